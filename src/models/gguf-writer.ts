// Writes a GGUF v3 file: typed metadata, tensor infos, then aligned tensor data streamed tensor by tensor.
import { type FileHandle, open } from "node:fs/promises";
import {
  alignUp,
  GGUF_ALIGNMENT_KEY,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_VERSION,
  type GgmlType,
  type GgufKv,
  type GgufValue,
  GgufValueType,
  tensorByteSize,
} from "./gguf-types.js";

export interface GgufTensorSpec {
  readonly name: string;
  /** GGUF order: dims[0] is the row length. */
  readonly dims: readonly number[];
  readonly type: GgmlType;
}

/** A tensor's data in order, in chunks of any size; the total must equal the tensor's byte size. */
export type TensorChunks = Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

export interface GgufContents<T extends GgufTensorSpec = GgufTensorSpec> {
  readonly kv: readonly GgufKv[];
  readonly tensors: readonly T[];
  /** Called once per tensor, in the order of `tensors`, while the file is written. */
  readonly data: (tensor: T, index: number) => TensorChunks;
}

const utf8 = new TextEncoder();

/** Little-endian bytes that grow as written; used for the header only, which stays small. */
class ByteSink {
  private bytes = new Uint8Array(1 << 16);
  private view = new DataView(this.bytes.buffer);
  length = 0;

  private reserve(n: number): number {
    if (this.length + n > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  /** Reserves first: reserve may replace this.bytes and this.view. */
  private put(n: number, write: (at: number) => void): void {
    write(this.reserve(n));
  }

  u8 = (v: number) => this.put(1, (at) => this.view.setUint8(at, v));
  i8 = (v: number) => this.put(1, (at) => this.view.setInt8(at, v));
  u16 = (v: number) => this.put(2, (at) => this.view.setUint16(at, v, true));
  i16 = (v: number) => this.put(2, (at) => this.view.setInt16(at, v, true));
  u32 = (v: number) => this.put(4, (at) => this.view.setUint32(at, v, true));
  i32 = (v: number) => this.put(4, (at) => this.view.setInt32(at, v, true));
  f32 = (v: number) => this.put(4, (at) => this.view.setFloat32(at, v, true));
  f64 = (v: number) => this.put(8, (at) => this.view.setFloat64(at, v, true));
  u64 = (v: bigint) => this.put(8, (at) => this.view.setBigUint64(at, v, true));
  i64 = (v: bigint) => this.put(8, (at) => this.view.setBigInt64(at, v, true));

  str(s: string): void {
    const encoded = utf8.encode(s);
    this.u64(BigInt(encoded.length));
    const at = this.reserve(encoded.length); // before touching this.bytes: reserve may replace it
    this.bytes.set(encoded, at);
  }

  padTo(alignment: number): void {
    this.reserve(alignUp(this.length, alignment) - this.length); // new space is already zero
  }

  result(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

type ScalarType = Exclude<GgufValueType, typeof GgufValueType.ARRAY>;

interface ScalarCodec {
  readonly fits: (value: GgufValue) => boolean;
  readonly write: (sink: ByteSink, value: GgufValue) => void;
}

function intCodec(lo: number, hi: number, write: (sink: ByteSink, v: number) => void): ScalarCodec {
  return {
    fits: (v) => typeof v === "number" && Number.isInteger(v) && v >= lo && v <= hi,
    write: (sink, v) => write(sink, v as number),
  };
}

const floatCodec = (write: (sink: ByteSink, v: number) => void): ScalarCodec => ({
  fits: (v) => typeof v === "number",
  write: (sink, v) => write(sink, v as number),
});

/** 64-bit integers take a bigint, as the reader returns them, so nothing is silently rounded. */
const bigCodec = (write: (sink: ByteSink, v: bigint) => void): ScalarCodec => ({
  fits: (v) => typeof v === "bigint",
  write: (sink, v) => write(sink, v as bigint),
});

const scalarCodecs: Record<ScalarType, ScalarCodec> = {
  [GgufValueType.UINT8]: intCodec(0, 0xff, (s, v) => s.u8(v)),
  [GgufValueType.INT8]: intCodec(-0x80, 0x7f, (s, v) => s.i8(v)),
  [GgufValueType.UINT16]: intCodec(0, 0xffff, (s, v) => s.u16(v)),
  [GgufValueType.INT16]: intCodec(-0x8000, 0x7fff, (s, v) => s.i16(v)),
  [GgufValueType.UINT32]: intCodec(0, 0xffffffff, (s, v) => s.u32(v)),
  [GgufValueType.INT32]: intCodec(-0x80000000, 0x7fffffff, (s, v) => s.i32(v)),
  [GgufValueType.FLOAT32]: floatCodec((s, v) => s.f32(v)),
  [GgufValueType.FLOAT64]: floatCodec((s, v) => s.f64(v)),
  [GgufValueType.UINT64]: bigCodec((s, v) => s.u64(v)),
  [GgufValueType.INT64]: bigCodec((s, v) => s.i64(v)),
  [GgufValueType.BOOL]: { fits: (v) => typeof v === "boolean", write: (s, v) => s.i8(v ? 1 : 0) },
  [GgufValueType.STRING]: {
    fits: (v) => typeof v === "string",
    write: (s, v) => s.str(v as string),
  },
};

function writeValue(sink: ByteSink, type: GgufValueType, value: GgufValue): void {
  if (type === GgufValueType.ARRAY) {
    writeArray(sink, value);
    return;
  }
  const codec = scalarCodecs[type];
  if (!codec) throw new TypeError(`unknown GGUF value type ${type}`);
  if (!codec.fits(value))
    throw new TypeError(`GGUF value ${String(value)} does not fit type ${type}`);
  codec.write(sink, value);
}

function writeArray(sink: ByteSink, value: GgufValue): void {
  if (typeof value !== "object") {
    throw new TypeError("GGUF array value must be { elementType, items }");
  }
  sink.u32(value.elementType);
  sink.u64(BigInt(value.items.length));
  for (const item of value.items) writeValue(sink, value.elementType, item);
}

function alignmentOf(kv: readonly GgufKv[]): number {
  const entry = kv.find((e) => e.key === GGUF_ALIGNMENT_KEY);
  if (!entry) return GGUF_DEFAULT_ALIGNMENT;
  const value = entry.value;
  const isPowerOfTwo = typeof value === "number" && value > 0 && (value & (value - 1)) === 0;
  if (entry.type !== GgufValueType.UINT32 || !isPowerOfTwo) {
    throw new Error(`${GGUF_ALIGNMENT_KEY} must be a u32 power of two`);
  }
  return value as number;
}

function assertUnique(names: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new Error(`duplicate GGUF ${what}: ${name}`);
    seen.add(name);
  }
}

/** Header bytes, padded to the alignment, and each tensor's data size in bytes. */
function encodeGgufHeader(contents: Omit<GgufContents, "data">): {
  header: Uint8Array;
  sizes: number[];
  alignment: number;
} {
  const alignment = alignmentOf(contents.kv);
  // gguf.cpp refuses a file that repeats a key or a tensor name; fail here, not at load time.
  assertUnique(
    contents.kv.map((e) => e.key),
    "key",
  );
  assertUnique(
    contents.tensors.map((t) => t.name),
    "tensor name",
  );
  const sink = new ByteSink();
  sink.u32(GGUF_MAGIC);
  sink.u32(GGUF_VERSION);
  sink.u64(BigInt(contents.tensors.length));
  sink.u64(BigInt(contents.kv.length));
  for (const { key, type, value } of contents.kv) {
    sink.str(key);
    sink.u32(type);
    writeValue(sink, type, value);
  }
  const sizes: number[] = [];
  let offset = 0;
  for (const tensor of contents.tensors) {
    sink.str(tensor.name);
    sink.u32(tensor.dims.length);
    for (const d of tensor.dims) sink.u64(BigInt(d));
    sink.u32(tensor.type);
    sink.u64(BigInt(offset));
    const size = tensorByteSize(tensor.type, tensor.dims);
    sizes.push(size);
    offset = alignUp(offset + size, alignment);
  }
  sink.padTo(alignment);
  return { header: sink.result(), sizes, alignment };
}

/** FileHandle.write may write less than asked; loop until the chunk is on its way to disk. */
async function writeAll(file: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.byteLength; ) {
    const { bytesWritten } = await file.write(bytes, done, bytes.byteLength - done);
    done += bytesWritten;
  }
}

/** Writes the whole file at `path` (created or truncated); holds one chunk of data at a time. */
export async function writeGguf<T extends GgufTensorSpec>(
  path: string,
  contents: GgufContents<T>,
): Promise<void> {
  const { header, sizes, alignment } = encodeGgufHeader(contents);
  const file = await open(path, "w");
  try {
    await writeAll(file, header);
    for (const [index, tensor] of contents.tensors.entries()) {
      let written = 0;
      for await (const chunk of contents.data(tensor, index)) {
        await writeAll(file, chunk);
        written += chunk.byteLength;
      }
      if (written !== sizes[index]) {
        throw new Error(`tensor ${tensor.name}: got ${written} bytes, expected ${sizes[index]}`);
      }
      // gguf.cpp pads after every tensor, the last one included.
      await writeAll(file, new Uint8Array(alignUp(written, alignment) - written));
    }
    await file.sync();
  } finally {
    await file.close();
  }
}
