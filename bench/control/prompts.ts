// The prompt texts both sides send: one per concurrent request, the same on every run.
import { Xoshiro128 } from "../../src/models/prng.js";

const words = [
  "river",
  "stone",
  "lantern",
  "orchard",
  "copper",
  "meadow",
  "signal",
  "harbor",
  "winter",
  "garden",
  "engine",
  "window",
  "forest",
  "letter",
  "market",
  "silver",
  "bridge",
  "candle",
  "valley",
  "thunder",
  "morning",
  "island",
  "mirror",
  "pocket",
  "ladder",
  "violet",
  "station",
];

/**
 * `count` distinct prompts of `length` words from a seeded draw: real words, so the tokenizer
 * gives an ordinary prompt of roughly 1.3 tokens per word on both sides.
 */
export function promptTexts(count: number, length: number, seed: number): string[] {
  const rng = new Xoshiro128(seed >>> 0);
  return Array.from({ length: count }, (_, i) => {
    const body = Array.from({ length }, () => words[rng.nextU32() % words.length] as string);
    return `Story ${i + 1}: ${body.join(" ")}.`;
  });
}
