// Which model file each local pool's worker starts with: a config or reload name that only the
// control plane can resolve (catalog names, `hf:`/URL pulls) travels as `--handoff` (a catalog
// entry's handoff JSON) or `--model-file`.
import type { Config, PoolConfig } from "../common/config.js";
import { parseModelRef } from "../models/model-ref-kind.js";
import type { ResolveModel, ServableModel } from "./model-resolver.js";
import { workerArgs } from "./worker-args.js";

export class PoolModels {
  readonly resolve: ResolveModel;
  readonly #models = new Map<string, ServableModel>();

  constructor(resolve: ResolveModel) {
    this.resolve = resolve;
  }

  /** Whether a pool's configured model must be resolved (maybe pulled) before its worker starts. */
  static needsResolving(model: string): boolean {
    const kind = parseModelRef(model).kind;
    return kind !== "builtin" && kind !== "path";
  }

  /** Whether the resolver must see the model before the first start: a pull, or a file to judge. */
  static resolvesFirst(pool: PoolConfig): boolean {
    const local = pool.engine === "llamacpp" && parseModelRef(pool.model).kind === "path";
    return local || PoolModels.needsResolving(pool.model);
  }

  /** The local file each pool's model is now, for garbage collection to keep. */
  paths(): Set<string> {
    return new Set([...this.#models.values()].map((m) => m.modelPath).filter((p) => p !== ""));
  }

  /** Resolves (pulling if need be) the pool's configured model before its first start. */
  async prepare(pool: PoolConfig): Promise<void> {
    this.#models.set(pool.id, await this.resolve(pool.model, true));
  }

  /** A reload switched the pool's model: its restarts load this one. */
  loaded(poolId: string, model: ServableModel): void {
    this.#models.set(poolId, model);
  }

  args(pool: PoolConfig, controlAddr: string, tls: Config["tls"]): string[] {
    const model = this.#models.get(pool.id) ?? {
      modelRef: pool.model,
      modelPath: "",
      handoffPath: "",
    };
    const args = workerArgs(pool, controlAddr, model.modelRef, tls);
    if (model.handoffPath !== "") args.push("--handoff", model.handoffPath);
    else if (model.modelPath !== "") args.push("--model-file", model.modelPath);
    return args;
  }
}
