// Generates a llama GGUF with seeded weights and a real tokenizer; same inputs, same bytes.
import { randomBytes } from "node:crypto";
import { mkdir, rename, stat, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { elementCount, GgmlType } from "./gguf-types.js";
import { writeGguf } from "./gguf-writer.js";
import { llamaMetadata, llamaTensors, type PlannedTensor, parameterCount } from "./llama-layout.js";
import { DEFAULT_SEED, type PresetName, presets, type WeightType } from "./presets.js";
import { hashName, NormalSampler, splitmix32, Xoshiro128 } from "./prng.js";
import { toF16Bytes, toF32Bytes, toQ8_0Bytes } from "./quantize.js";
import { readTokenizerSource } from "./tokenizer-source.js";

export interface GenerateOptions {
  readonly preset: PresetName;
  readonly type: WeightType;
  readonly outPath: string;
  readonly seed?: number;
  /** A vocab-only GGUF to take the tokenizer from; the pinned llama.cpp's Phi-3 vocab by default. */
  readonly vocabPath?: string;
}

export interface GeneratedModel {
  readonly path: string;
  readonly bytes: number;
  readonly parameterCount: number;
}

/** Values per chunk: bounds memory to a few MB per tensor and is a whole number of Q8_0 blocks. */
const CHUNK_VALUES = 1 << 20;

const encoders: Record<GgmlType, (values: Float32Array) => Uint8Array> = {
  [GgmlType.F32]: toF32Bytes,
  [GgmlType.F16]: toF16Bytes,
  [GgmlType.Q8_0]: toQ8_0Bytes,
};

/**
 * Each tensor draws from its own stream, keyed by seed and name, so its values do not depend on
 * the tensors before it, nor on the chunk size, nor on the weight type it is stored as.
 */
function* tensorChunks(tensor: PlannedTensor, seed: number, std: number): Generator<Uint8Array> {
  const sampler = new NormalSampler(
    new Xoshiro128((splitmix32(seed) ^ hashName(tensor.name)) >>> 0),
  );
  const encode = encoders[tensor.type];
  let left = elementCount(tensor.dims);
  while (left > 0) {
    const values = new Float32Array(Math.min(left, CHUNK_VALUES));
    if (tensor.init === "ones") values.fill(1);
    else sampler.fill(values, 0, std);
    yield encode(values);
    left -= values.length;
  }
}

/** Writes next to the target, then renames: a reader never sees a half-written model there. */
async function writeAtomically(outPath: string, write: (tmpPath: string) => Promise<void>) {
  await mkdir(dirname(outPath), { recursive: true });
  const tmpPath = `${outPath}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  try {
    await write(tmpPath);
    await rename(tmpPath, outPath);
  } catch (error) {
    await unlink(tmpPath).catch(() => undefined);
    throw error;
  }
}

export async function generateModel(options: GenerateOptions): Promise<GeneratedModel> {
  const { preset: presetName, type, outPath, seed = DEFAULT_SEED } = options;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
  }
  const preset = presets[presetName];
  const tokenizer = await readTokenizerSource(options.vocabPath);
  const tensors = llamaTensors(preset, tokenizer.vocabSize, type);
  const count = parameterCount(tensors);
  const metadata = llamaMetadata({
    preset,
    type,
    // Starts with the vocab's own name, so llama.cpp applies that tokenizer's quirks.
    name: `${tokenizer.name} llama-orch ${presetName} ${type} s${seed}`,
    vocabSize: tokenizer.vocabSize,
    parameterCount: count,
  });
  const kv = [...metadata, ...tokenizer.kv];
  const data = (tensor: PlannedTensor) => tensorChunks(tensor, seed, preset.weightStd);
  await writeAtomically(outPath, (tmpPath) => writeGguf(tmpPath, { kv, tensors, data }));
  return { path: outPath, bytes: (await stat(outPath)).size, parameterCount: count };
}
