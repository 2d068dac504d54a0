// Runs one OpenAI embeddings request as an embedding task and answers with its vectors.
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Embeddings } from "../gen/llama_orch/v1/common.js";
import type { GatewayContext } from "./gateway-context.js";
import { admit } from "./openai-answer.js";
import {
  type EmbeddingList,
  type EmbeddingRequest,
  toEmbeddingList,
  toEmbeddingTask,
} from "./translate-embeddings.js";
import { missingEnd } from "./translate-openai.js";

/** Admits the task (refusals throw their OrchError) and waits for its `embeddings` and `end`. */
export async function runEmbedding(
  context: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
  body: EmbeddingRequest,
  sessionId: string | undefined,
): Promise<EmbeddingList> {
  const running = await admit(context, request, reply, toEmbeddingTask(body, sessionId));
  let embeddings: Embeddings | undefined;
  for await (const { event } of running.events) {
    if (event?.$case === "embeddings") embeddings = event.value;
    if (event?.$case === "end" && embeddings) {
      return toEmbeddingList(embeddings, event.value, body.model, body.encoding_format);
    }
  }
  throw missingEnd();
}
