// The llama architecture as GGUF sees it: hyper-parameter keys and the tensor list for a preset.

import { elementCount, GgmlType, type GgufKv, GgufValueType } from "./gguf-types.js";
import type { GgufTensorSpec } from "./gguf-writer.js";
import type { ModelPreset, WeightType } from "./presets.js";

/** How a tensor's values are drawn: seeded normal weights, or ones for the RMS norm scales. */
export type TensorInit = "normal" | "ones";

export interface PlannedTensor extends GgufTensorSpec {
  readonly init: TensorInit;
}

const matrixType: Record<WeightType, GgmlType> = { f16: GgmlType.F16, q8_0: GgmlType.Q8_0 };

/** llama_ftype: the file's dominant weight type, shown by llama.cpp when it loads the model. */
const fileType: Record<WeightType, number> = { f16: 1, q8_0: 7 };

/** GGML_QNT_VERSION in ggml.h. */
const QUANTIZATION_VERSION = 2;

/** Tensors in llama.cpp's order; dims are [columns, rows], rows being the output features. */
export function llamaTensors(p: ModelPreset, vocabSize: number, type: WeightType): PlannedTensor[] {
  const headDim = p.embeddingLength / p.headCount;
  const qWidth = p.headCount * headDim;
  const kvWidth = p.headCountKv * headDim;
  const matrix = (name: string, cols: number, rows: number): PlannedTensor => ({
    name,
    dims: [cols, rows],
    type: matrixType[type],
    init: "normal",
  });
  const norm = (name: string): PlannedTensor => ({
    name,
    dims: [p.embeddingLength],
    type: GgmlType.F32,
    init: "ones",
  });
  const tensors = [matrix("token_embd.weight", p.embeddingLength, vocabSize)];
  for (let i = 0; i < p.blockCount; i++) {
    const blk = `blk.${i}`;
    tensors.push(
      norm(`${blk}.attn_norm.weight`),
      matrix(`${blk}.attn_q.weight`, p.embeddingLength, qWidth),
      matrix(`${blk}.attn_k.weight`, p.embeddingLength, kvWidth),
      matrix(`${blk}.attn_v.weight`, p.embeddingLength, kvWidth),
      matrix(`${blk}.attn_output.weight`, qWidth, p.embeddingLength),
      norm(`${blk}.ffn_norm.weight`),
      matrix(`${blk}.ffn_gate.weight`, p.embeddingLength, p.feedForwardLength),
      matrix(`${blk}.ffn_down.weight`, p.feedForwardLength, p.embeddingLength),
      matrix(`${blk}.ffn_up.weight`, p.embeddingLength, p.feedForwardLength),
    );
  }
  // An untied output matrix, as most real llama models have, so the benchmark pays its cost.
  tensors.push(norm("output_norm.weight"), matrix("output.weight", p.embeddingLength, vocabSize));
  return tensors;
}

export function parameterCount(tensors: readonly GgufTensorSpec[]): number {
  return tensors.reduce((n, t) => n + elementCount(t.dims), 0);
}

export interface LlamaMetadataInput {
  readonly preset: ModelPreset;
  readonly type: WeightType;
  readonly name: string;
  readonly vocabSize: number;
  readonly parameterCount: number;
}

/** general.* and llama.* keys, with the value types convert_hf_to_gguf.py writes. */
export function llamaMetadata(input: LlamaMetadataInput): GgufKv[] {
  const p = input.preset;
  const u32 = (key: string, value: number): GgufKv => ({ key, type: GgufValueType.UINT32, value });
  const f32 = (key: string, value: number): GgufKv => ({ key, type: GgufValueType.FLOAT32, value });
  const str = (key: string, value: string): GgufKv => ({ key, type: GgufValueType.STRING, value });
  return [
    str("general.architecture", "llama"),
    str("general.name", input.name),
    u32("llama.context_length", p.contextLength),
    u32("llama.embedding_length", p.embeddingLength),
    u32("llama.block_count", p.blockCount),
    u32("llama.feed_forward_length", p.feedForwardLength),
    u32("llama.attention.head_count", p.headCount),
    u32("llama.attention.head_count_kv", p.headCountKv),
    u32("llama.rope.dimension_count", p.embeddingLength / p.headCount),
    f32("llama.rope.freq_base", p.ropeFreqBase),
    f32("llama.attention.layer_norm_rms_epsilon", p.rmsNormEps),
    u32("llama.vocab_size", input.vocabSize),
    u32("general.file_type", fileType[input.type]),
    u32("general.quantization_version", QUANTIZATION_VERSION),
    {
      key: "general.parameter_count",
      type: GgufValueType.UINT64,
      value: BigInt(input.parameterCount),
    },
  ];
}
