// OpenAI embeddings bodies (contracts/openapi/openai.yaml) into an embedding task, and the task's
// vectors back into OpenAI's list: floats, or base64 of little-endian float32 bytes.
import type { Embeddings, End } from "../gen/llama_orch/v1/common.js";
import { TaskRequest } from "../gen/llama_orch/v1/orchestrator.js";
import type { components } from "../gen/openapi/openai.js";

type Schemas = components["schemas"];
export type EmbeddingRequest = Schemas["EmbeddingRequest"];
export type EmbeddingList = Schemas["EmbeddingList"];

/** One string, strings, one token array, or token arrays: always a list of inputs. */
function inputsOf(input: EmbeddingRequest["input"]): (string | number[])[] {
  if (typeof input === "string") return [input];
  if (input.every((item) => typeof item === "number")) return [input as number[]];
  return input as (string | number[])[];
}

export function toEmbeddingTask(
  body: EmbeddingRequest,
  sessionId: string | undefined,
): TaskRequest {
  return TaskRequest.fromPartial({
    workload: "embedding",
    modelRef: body.model,
    sessionId: sessionId ?? "",
    maxTokens: 1,
    embeddingInputs: inputsOf(body.input).map((input) =>
      typeof input === "string" ? { text: input, tokens: [] } : { text: "", tokens: input },
    ),
    embeddingDimensions: body.dimensions,
  });
}

/** What the official SDKs decode: the vector's float32 bytes, little-endian, in base64. */
function toBase64(values: readonly number[]): string {
  const bytes = Buffer.alloc(values.length * 4);
  for (const [i, value] of values.entries()) bytes.writeFloatLE(value, i * 4);
  return bytes.toString("base64");
}

export function toEmbeddingList(
  embeddings: Embeddings,
  end: End,
  model: string,
  format: EmbeddingRequest["encoding_format"],
): EmbeddingList {
  const data = embeddings.data.map(({ values }, index) => ({
    object: "embedding" as const,
    index,
    embedding: format === "base64" ? toBase64(values) : values,
  }));
  const usage = { prompt_tokens: end.tokensIn, total_tokens: end.tokensIn };
  return { object: "list", data, model, usage };
}
