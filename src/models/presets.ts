// The model shapes and weight types that can be generated, and how a generated model is named.

export interface ModelPreset {
  readonly name: PresetName;
  readonly contextLength: number;
  readonly embeddingLength: number;
  readonly blockCount: number;
  readonly feedForwardLength: number;
  readonly headCount: number;
  readonly headCountKv: number;
  readonly ropeFreqBase: number;
  readonly rmsNormEps: number;
  /** Standard deviation of the seeded normal weights; small enough to keep activations tame. */
  readonly weightStd: number;
}

export const presetNames = ["tiny", "bench"] as const;
export type PresetName = (typeof presetNames)[number];

/** Matrix weight types; norm weights and other 1-D tensors are always F32. */
export const weightTypes = ["f16", "q8_0"] as const;
export type WeightType = (typeof weightTypes)[number];

export const DEFAULT_SEED = 42;

const common = { contextLength: 4096, ropeFreqBase: 10000, rmsNormEps: 1e-5, weightStd: 0.02 };

export const presets: Readonly<Record<PresetName, ModelPreset>> = {
  // Loads in milliseconds: for tests that need a real model, not a good one.
  tiny: {
    ...common,
    name: "tiny",
    embeddingLength: 64,
    blockCount: 2,
    headCount: 4,
    headCountKv: 2,
    feedForwardLength: 256,
  },
  // GPT-2-small sized (134M parameters): heavy enough for throughput numbers to mean something.
  bench: {
    ...common,
    name: "bench",
    embeddingLength: 768,
    blockCount: 12,
    headCount: 12,
    headCountKv: 12,
    feedForwardLength: 2048,
  },
};

export function isPresetName(value: string): value is PresetName {
  return (presetNames as readonly string[]).includes(value);
}

export function isWeightType(value: string): value is WeightType {
  return (weightTypes as readonly string[]).includes(value);
}

/** The file name a generated model gets in the models cache. */
export function modelFileName(preset: PresetName, type: WeightType, seed: number): string {
  return `${preset}-${type}-s${seed}.gguf`;
}
