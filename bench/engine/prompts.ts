// Seeded prompts of ordinary vocabulary tokens, one distinct prompt per concurrent sequence.
import { findKv, readGgufHeader } from "../../src/models/gguf-reader.js";
import type { GgufValue } from "../../src/models/gguf-types.js";
import { Xoshiro128 } from "../../src/models/prng.js";

/** llama.cpp's LLAMA_TOKEN_TYPE_NORMAL: not control, byte, unknown, unused or user-defined. */
const NORMAL_TOKEN = 1;

function arrayItems(value: GgufValue | undefined, key: string): readonly GgufValue[] {
  if (typeof value !== "object" || value === null || !("items" in value)) {
    throw new Error(`the model has no ${key} array`);
  }
  return value.items;
}

/**
 * Token ids a prompt may use: normal and non-empty, so no sequence holds a control token that
 * could change how the model treats the rest (special tokens are not what a benchmark prompt is).
 */
export async function ordinaryTokens(modelPath: string): Promise<number[]> {
  const header = await readGgufHeader(modelPath);
  const types = arrayItems(findKv(header, "tokenizer.ggml.token_type")?.value, "token_type");
  const texts = arrayItems(findKv(header, "tokenizer.ggml.tokens")?.value, "tokens");
  const ids: number[] = [];
  for (let id = 0; id < types.length; id++) {
    if (types[id] === NORMAL_TOKEN && typeof texts[id] === "string" && texts[id] !== "")
      ids.push(id);
  }
  if (ids.length === 0) throw new Error(`no ordinary tokens in ${modelPath}`);
  return ids;
}

/** `count` prompts of `length` tokens; the same seed always gives the same prompts. */
export function seededPrompts(
  vocabulary: readonly number[],
  count: number,
  length: number,
  seed: number,
): number[][] {
  const rng = new Xoshiro128(seed >>> 0);
  const prompts: number[][] = [];
  const seen = new Set<string>();
  while (prompts.length < count) {
    const prompt = Array.from(
      { length },
      () => vocabulary[rng.nextU32() % vocabulary.length] as number,
    );
    const key = prompt.join(",");
    // Identical prompts would be one prompt measured twice; redraw (never happens in practice).
    if (seen.has(key)) continue;
    seen.add(key);
    prompts.push(prompt);
  }
  return prompts;
}
