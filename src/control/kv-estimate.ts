// KV cache size of a task's context, the figure placement subtracts from a pool's free VRAM.

/** Per-token KV size of a model: K and V for every layer and KV head. */
export interface KvDims {
  layers: number;
  kvHeads: number;
  headDim: number;
  /** 2 for f16, ~1.06 for q8_0, 4 for f32. */
  bytesPerElement: number;
}

/** KV bytes `tokens` tokens of context take, from the model's dimensions or a per-token figure. */
export function estimateKvBytes(tokens: number, perToken: KvDims | number): number {
  const bytesPerToken =
    typeof perToken === "number"
      ? perToken
      : 2 * perToken.layers * perToken.kvHeads * perToken.headDim * perToken.bytesPerElement;
  return Math.ceil(tokens * bytesPerToken);
}
