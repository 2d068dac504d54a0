// Float32 to F16 and Q8_0 bytes, bit-identical to ggml's reference conversions.

// Bit casts go through one shared word; the converters below are synchronous, so no one else sees it.
const word = new Float32Array(1);
const wordBits = new Uint32Array(word.buffer);

function bitsOf(f: number): number {
  word[0] = f;
  return wordBits[0] as number;
}

function floatOf(bits: number): number {
  wordBits[0] = bits;
  return word[0] as number;
}

const SCALE_TO_INF = 2 ** 112;
const SCALE_TO_ZERO = 2 ** -110;

/**
 * One float32 to IEEE half bits, round to nearest even (ggml_compute_fp32_to_fp16). Each step
 * is rounded to float32 with Math.fround; a double result of one float op rounded to float32
 * equals the float32 op, so this matches the C code bit for bit.
 */
export function f32ToF16(value: number): number {
  const f = Math.fround(value);
  let base = Math.fround(Math.fround(Math.abs(f) * SCALE_TO_INF) * SCALE_TO_ZERO);
  const w = bitsOf(f);
  const shl1w = (w * 2) >>> 0;
  const sign = w & 0x80000000;
  let bias = shl1w & 0xff000000;
  if (bias >>> 0 < 0x71000000) bias = 0x71000000;
  base = Math.fround(floatOf(((bias >>> 1) + 0x07800000) >>> 0) + base);
  const bits = bitsOf(base);
  const nonsign = ((bits >>> 13) & 0x7c00) + (bits & 0x0fff);
  return ((sign >>> 16) | (shl1w > 0xff000000 ? 0x7e00 : nonsign)) & 0xffff;
}

/** IEEE half bits to a number; exact, every half is a float32. */
export function f16ToF32(half: number): number {
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >>> 10) & 0x1f;
  const mantissa = half & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** Little-endian F16 bytes, two per value. */
export function toF16Bytes(values: Float32Array): Uint8Array {
  const halves = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) halves[i] = f32ToF16(values[i] as number);
  return littleEndianBytes(halves);
}

/** Little-endian F32 bytes, four per value. */
export function toF32Bytes(values: Float32Array): Uint8Array {
  return littleEndianBytes(values);
}

export const Q8_0_BLOCK = 32;
export const Q8_0_BLOCK_BYTES = 2 + Q8_0_BLOCK;

/** C roundf: halves go away from zero (Math.round would send -2.5 to -2). */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/** Q8_0 blocks (f16 scale d = amax/127, then 32 int8 of round(x/d)), as quantize_row_q8_0_ref. */
export function toQ8_0Bytes(values: Float32Array): Uint8Array {
  if (values.length % Q8_0_BLOCK !== 0) {
    throw new RangeError(`Q8_0 needs a multiple of ${Q8_0_BLOCK} values, got ${values.length}`);
  }
  const blocks = values.length / Q8_0_BLOCK;
  const out = new Uint8Array(blocks * Q8_0_BLOCK_BYTES);
  const view = new DataView(out.buffer);
  const quants = new Int8Array(out.buffer);
  for (let b = 0; b < blocks; b++) {
    const first = b * Q8_0_BLOCK;
    let amax = 0;
    for (let j = 0; j < Q8_0_BLOCK; j++)
      amax = Math.max(amax, Math.abs(values[first + j] as number));
    const d = Math.fround(amax / 127);
    const id = d ? Math.fround(1 / d) : 0;
    const at = b * Q8_0_BLOCK_BYTES;
    view.setUint16(at, f32ToF16(d), true);
    for (let j = 0; j < Q8_0_BLOCK; j++) {
      quants[at + 2 + j] = roundHalfAway(Math.fround((values[first + j] as number) * id));
    }
  }
  return out;
}

const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function littleEndianBytes(array: Uint16Array | Float32Array): Uint8Array {
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  if (hostIsLittleEndian) return bytes;
  const swapped = new Uint8Array(bytes.length);
  const width = array.BYTES_PER_ELEMENT;
  for (let i = 0; i < bytes.length; i += width) {
    for (let k = 0; k < width; k++) swapped[i + k] = bytes[i + width - 1 - k] as number;
  }
  return swapped;
}
