// Shared fixture: the generated tiny model and an engine loaded on it.
import { Engine } from "../../src/engine/engine.js";
import type { EngineOptions } from "../../src/engine/types.js";
import { ensureModel } from "../../src/models/ensure-model.js";

export function tinyModelPath(): Promise<string> {
  return ensureModel("tiny");
}

export async function loadTiny(options: Partial<EngineOptions> = {}): Promise<Engine> {
  return Engine.load({
    modelPath: await tinyModelPath(),
    threads: 2,
    contextSize: 1024,
    ...options,
  });
}

/** A prompt of roughly `words` tokens that is the same on every call. */
export function longPrompt(words: number): string {
  const vocabulary = [
    "river",
    "stone",
    "lantern",
    "orchard",
    "copper",
    "meadow",
    "signal",
    "harbor",
  ];
  return Array.from({ length: words }, (_, i) => vocabulary[(i * 7) % vocabulary.length]).join(" ");
}
