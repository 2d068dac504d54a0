// A prompt's token count for admission's prompt + max_tokens <= ctx check: a byte bound when that
// already proves the fit, else counted by the tokenizer of a worker serving the model.
import type { PoolRegistry } from "./pool-registry.js";
import type { TaskInput } from "./types.js";

/**
 * Every token covers at least one byte of the prompt, except BOS and the space the tokenizer may
 * prefix: so bytes + 2 bounds the count from above.
 */
export function promptTokenBound(prompt: string): number {
  return Buffer.byteLength(prompt, "utf8") + 2;
}

/**
 * The count admission checks: the byte bound when it fits the task's context anyway (no RPC on
 * the hot path of short prompts), the tokenizer's exact count otherwise.
 */
export function promptTokensFor(
  registry: PoolRegistry,
  modelRef: string,
  input: TaskInput,
  correlationId?: string,
): Promise<number> {
  const prompt = input.prompt ?? "";
  const bound = promptTokenBound(prompt);
  const ctxMax = Math.min(
    ...registry
      .all()
      .filter((p) => p.ready && p.modelRef === modelRef)
      .map((p) => p.description?.model?.contextSize ?? 0),
  );
  const ctx = Math.min(input.ctx ?? ctxMax, ctxMax);
  if (Number.isFinite(ctx) && bound + (input.maxTokens ?? 0) <= ctx) return Promise.resolve(bound);
  return countPromptTokens(registry, modelRef, prompt, correlationId);
}

/** 0 when no ready pool serves the model: admission then refuses the model as not served. */
export async function countPromptTokens(
  registry: PoolRegistry,
  modelRef: string,
  prompt: string,
  correlationId?: string,
): Promise<number> {
  const pool = registry.all().find((p) => p.ready && p.client && p.modelRef === modelRef);
  if (!pool?.client || prompt.length === 0) return 0;
  return pool.client.countTokens(prompt, correlationId);
}
