// Admission of the workload a task asks for: embedding tasks' inputs and dimensions, and that the
// model has a pool of the task's kind (embeddings pools serve embeddings only).
import { OrchError } from "../common/errors.js";
import type { EmbeddingInput, TaskInput, Workload } from "./types.js";

/** What admission knows of a served model's pools, beyond its context (see ModelLimits). */
export interface ModelWorkloads {
  /** The kinds of task its ready pools serve; absent: generation only. */
  workloads?: ReadonlySet<Workload>;
  /** The vector size its embeddings pools return; 0 or absent: none. */
  embeddingLength?: number;
}

/** OpenAI's limit on inputs per embeddings request. */
export const MAX_EMBEDDING_INPUTS = 2048;
const TOKEN_MAX = 0x7fffffff;

function invalid(message: string): OrchError {
  return new OrchError("INVALID_PARAMS", message);
}

/** INVALID_PARAMS when no ready pool of the model serves the task's kind, saying which kind does. */
export function checkWorkload(modelRef: string, workload: Workload, model: ModelWorkloads): void {
  const served = model.workloads ?? new Set<Workload>(["completion"]);
  if (served.has(workload)) return;
  if (workload === "embedding") {
    throw invalid(
      `model "${modelRef}" is served by generation pools only; embeddings need a pool with ` +
        "embeddings: true for it (docs/config.md), or use an embeddings model's name",
    );
  }
  throw invalid(
    `model "${modelRef}" is served by embeddings pools only (embeddings: true): use POST ` +
      "/v1/embeddings for it, or configure a generation pool to chat with it",
  );
}

function validInput(input: EmbeddingInput, i: number): number {
  if (typeof input === "string") {
    if (input.length === 0) throw invalid(`input[${i}] is empty; give text or token ids`);
    // An upper bound of its tokens (token-count.ts); the worker counts exactly.
    return Buffer.byteLength(input, "utf8") + 2;
  }
  if (input.length === 0) throw invalid(`input[${i}] has no tokens; give at least one token id`);
  const bad = input.find((t) => !Number.isInteger(t) || t < 0 || t > TOKEN_MAX);
  if (bad !== undefined) throw invalid(`input[${i}] has token id ${bad}; ids are integers >= 0`);
  return input.length;
}

/**
 * An embedding task's inputs, checked: 1 to 2048 non-empty inputs, `dimensions` (if given) equal
 * to the model's embedding length since vectors are never shortened. Returns the inputs and an
 * upper bound of their tokens.
 */
export function validEmbedding(
  input: TaskInput,
  modelRef: string,
  model: ModelWorkloads,
): { inputs: EmbeddingInput[]; promptTokens: number } {
  const inputs = [...(input.embeddingInputs ?? [])];
  if (inputs.length === 0 || inputs.length > MAX_EMBEDDING_INPUTS) {
    throw invalid(`input must have 1 to ${MAX_EMBEDDING_INPUTS} entries; got ${inputs.length}`);
  }
  const dims = input.embeddingDimensions;
  const length = model.embeddingLength ?? 0;
  if (dims !== undefined && dims !== length) {
    throw invalid(
      `dimensions ${dims} is not the embedding size of model "${modelRef}" (${length}); vectors ` +
        `are not shortened here: omit dimensions or send ${length}`,
    );
  }
  const promptTokens = inputs.reduce((sum, item, i) => sum + validInput(item, i), 0);
  return { inputs, promptTokens };
}
