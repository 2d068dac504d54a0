// Counts a prompt's tokens with the tokenizer of a worker serving the model, for admission's
// prompt + max_tokens <= ctx check.
import { Metadata, type ServiceError } from "@grpc/grpc-js";
import { fromServiceError } from "../common/grpc-errors.js";
import type { PoolRegistry } from "./pool-registry.js";

const COUNT_DEADLINE_MS = 5000;

/** 0 when no ready pool serves the model: admission then refuses the model as not served. */
export function countPromptTokens(
  registry: PoolRegistry,
  modelRef: string,
  prompt: string,
): Promise<number> {
  const pool = registry.all().find((p) => p.ready && p.client && p.modelRef === modelRef);
  if (!pool?.client || prompt.length === 0) return Promise.resolve(0);
  const client = pool.client;
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + COUNT_DEADLINE_MS;
    client.countTokens(
      { text: prompt },
      new Metadata(),
      { deadline },
      (error: ServiceError | null, reply) => {
        if (error) reject(fromServiceError(error));
        else resolve(reply.count);
      },
    );
  });
}
