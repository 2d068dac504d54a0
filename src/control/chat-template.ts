// Chat prompts: the messages rendered by the chat template of the model (and, for a chat task,
// tokenized in the same call), asked of a ready worker serving it; the control plane holds no
// tokenizer or template.
import { OrchError } from "../common/errors.js";
import type { ChatTemplateRequest, ChatTemplateResponse } from "../gen/llama_orch/v1/common.js";
import type { PreparedPrompt } from "../gen/llama_orch/v1/worker.js";
import type { PoolRegistry, PoolState } from "./pool-registry.js";
import type { WorkerClient } from "./worker-client.js";

/** As admission: a model some pool is loading is worth a retry (POOL_UNREADY), any other is unknown. */
export function notServed(registry: PoolRegistry, modelRef: string): OrchError {
  const known = registry.all().some((p) => p.modelRef === modelRef);
  return new OrchError(
    known ? "POOL_UNREADY" : "MODEL_NOT_FOUND",
    `model_ref "${modelRef}" is not served by a ready pool; list served models with GET /v1/models`,
  );
}

/** An empty model_ref takes any ready pool's model, as admission's default model would. */
function templatePool(
  registry: PoolRegistry,
  modelRef: string,
): PoolState & { client: WorkerClient } {
  const serving = registry
    .all()
    .filter((p) => p.ready && p.client && (modelRef === "" || p.modelRef === modelRef));
  // An adapter pool whose engine renders no templates says so; a pool that can is asked first.
  const pool = serving.find((p) => p.description?.model?.hasChatTemplate) ?? serving[0];
  if (!pool?.client) throw notServed(registry, modelRef);
  return pool as PoolState & { client: WorkerClient };
}

export async function applyChatTemplate(
  registry: PoolRegistry,
  request: ChatTemplateRequest,
  correlationId: string | undefined,
): Promise<ChatTemplateResponse> {
  const pool = templatePool(registry, request.modelRef);
  return pool.client.applyChatTemplate({ ...request, modelRef: pool.modelRef }, correlationId);
}

/** A chat task's prompt: rendered and tokenized by one worker call, for the model `modelRef`. */
export async function preparePrompt(
  registry: PoolRegistry,
  modelRef: string,
  chat: ChatTemplateRequest,
  correlationId: string | undefined,
): Promise<PreparedPrompt> {
  const pool = templatePool(registry, modelRef);
  return pool.client.preparePrompt({ ...chat, modelRef: pool.modelRef }, correlationId);
}
