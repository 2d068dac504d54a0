// What a GGUF model puts in memory per layer, as llama.cpp splits it: weight bytes of each repeating
// layer, of the output layer, of what stays on the host, and the KV elements a token takes per layer.
import { stat } from "node:fs/promises";
import { findKv, type GgufHeader, readGgufHeader } from "./gguf-reader.js";
import type { GgufValue } from "./gguf-types.js";
import { splitParts } from "./pull/hf-hub.js";

export interface ModelShape {
  /** Weight bytes of each repeating layer (`blk.N.*`), layer 0 first. */
  layerBytes: number[];
  /** The output layer: the output norm and matrix, or the token embedding when the two are tied. */
  outputBytes: number;
  /** Weights llama.cpp always keeps on the CPU: the input layer (token embedding) and the rest. */
  hostBytes: number;
  /** K plus V elements one token takes in each repeating layer. */
  kvElementsPerToken: number[];
  /** The trained context (`<arch>.context_length`), 0 when unset. */
  ctxMax: number;
}

/** One file of the model (a split model has several) and its size on disk. */
export interface ModelPart {
  header: GgufHeader;
  fileSize: number;
}

/**
 * Bytes of each tensor's data, from the gap to the next tensor's offset (the last one ends at the end
 * of the file): exact for every ggml type, quantised or not, and off by alignment padding at most.
 */
function tensorBytes(part: ModelPart): Map<string, number> {
  const sorted = [...part.header.tensors].sort((a, b) => a.offset - b.offset);
  const dataBytes = part.fileSize - part.header.dataOffset;
  return new Map(
    sorted.map((t, i) => [t.name, (sorted[i + 1]?.offset ?? dataBytes) - t.offset] as const),
  );
}

function numberOf(value: GgufValue | undefined, layer: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "object") return numberOf(value.items[layer], layer);
  return typeof value === "number" || typeof value === "bigint" ? Number(value) : undefined;
}

/** `n_head_kv x (head_dim_k + head_dim_v)` per layer, with llama.cpp's defaults for absent keys. */
function kvElements(header: GgufHeader, layerCount: number): number[] {
  const arch = String(findKv(header, "general.architecture")?.value ?? "");
  const key = (name: string) => findKv(header, `${arch}.${name}`)?.value;
  return Array.from({ length: layerCount }, (_, layer) => {
    const embd = numberOf(key("embedding_length"), layer) ?? 0;
    const heads = numberOf(key("attention.head_count"), layer) || 1;
    const headsKv = numberOf(key("attention.head_count_kv"), layer) ?? heads;
    const dimK = numberOf(key("attention.key_length"), layer) ?? embd / heads;
    const dimV = numberOf(key("attention.value_length"), layer) ?? embd / heads;
    return headsKv * (dimK + dimV);
  });
}

const OUTPUT_TENSOR = /^output(_norm)?\./;

/** The shape of a model from all its parts, the first part (which holds the metadata) first. */
export function modelShape(parts: readonly ModelPart[]): ModelShape {
  const [first] = parts;
  if (!first) throw new Error("a model has at least one part");
  const arch = String(findKv(first.header, "general.architecture")?.value ?? "");
  const layerCount = numberOf(findKv(first.header, `${arch}.block_count`)?.value, 0) ?? 0;
  const shape: ModelShape = {
    layerBytes: new Array<number>(layerCount).fill(0),
    outputBytes: 0,
    hostBytes: 0,
    kvElementsPerToken: kvElements(first.header, layerCount),
    ctxMax: numberOf(findKv(first.header, `${arch}.context_length`)?.value, 0) ?? 0,
  };
  const sizes = new Map(parts.flatMap((part) => [...tensorBytes(part)]));
  for (const [name, bytes] of sizes) {
    const layer = Number(/^blk\.(\d+)\./.exec(name)?.[1] ?? Number.NaN);
    if (layer < layerCount) shape.layerBytes[layer] = (shape.layerBytes[layer] ?? 0) + bytes;
    else if (OUTPUT_TENSOR.test(name)) shape.outputBytes += bytes;
    else shape.hostBytes += bytes;
  }
  // A tied output (no output.weight) makes llama.cpp copy the token embedding to the output device.
  if (!sizes.has("output.weight")) shape.outputBytes += sizes.get("token_embd.weight") ?? 0;
  return shape;
}

/** Reads the headers of a model file and, for a split model, of its other parts beside it. */
export async function readModelShape(path: string): Promise<ModelShape> {
  const paths = splitParts(path);
  const parts = await Promise.all(
    paths.map(async (p) => ({ header: await readGgufHeader(p), fileSize: (await stat(p)).size })),
  );
  return modelShape(parts);
}
