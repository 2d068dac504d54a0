// The adapter for each external engine a pool may name.
import { LlamaServerAdapter } from "./llamacpp-server.js";
import { TgiAdapter } from "./tgi.js";
import { TritonAdapter } from "./triton.js";
import type { AdapterEngine, AdapterOptions, EngineAdapter } from "./types.js";
import { VllmAdapter } from "./vllm.js";

const constructors: Record<AdapterEngine, new (options: AdapterOptions) => EngineAdapter> = {
  "llamacpp-server": LlamaServerAdapter,
  vllm: VllmAdapter,
  tgi: TgiAdapter,
  triton: TritonAdapter,
};

export function createAdapter(engine: AdapterEngine, options: AdapterOptions): EngineAdapter {
  return new constructors[engine](options);
}
