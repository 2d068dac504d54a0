// Parses a GGUF header: metadata with each value's exact type, tensor infos, and where data starts.
import { open } from "node:fs/promises";
import {
  alignUp,
  GGUF_ALIGNMENT_KEY,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  type GgufArray,
  type GgufKv,
  type GgufTensorInfo,
  type GgufValue,
  GgufValueType,
} from "./gguf-types.js";

export interface GgufHeader {
  readonly version: number;
  readonly kv: readonly GgufKv[];
  readonly tensors: readonly GgufTensorInfo[];
  readonly alignment: number;
  /** Absolute file offset of the tensor data section. */
  readonly dataOffset: number;
}

/** The bytes given end inside the header; the caller may retry with more of the file. */
export class GgufTruncatedError extends Error {}

// Fatal decoding: a lossy replacement character would silently change a token on copy.
const utf8 = new TextDecoder("utf-8", { fatal: true });

class Cursor {
  private readonly view: DataView;
  offset = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private take(n: number): number {
    if (this.offset + n > this.bytes.byteLength) throw new GgufTruncatedError("truncated GGUF");
    const at = this.offset;
    this.offset += n;
    return at;
  }

  u8 = () => this.view.getUint8(this.take(1));
  i8 = () => this.view.getInt8(this.take(1));
  u16 = () => this.view.getUint16(this.take(2), true);
  i16 = () => this.view.getInt16(this.take(2), true);
  u32 = () => this.view.getUint32(this.take(4), true);
  i32 = () => this.view.getInt32(this.take(4), true);
  f32 = () => this.view.getFloat32(this.take(4), true);
  f64 = () => this.view.getFloat64(this.take(8), true);
  u64 = () => this.view.getBigUint64(this.take(8), true);
  i64 = () => this.view.getBigInt64(this.take(8), true);

  /** A u64 count or size that must fit a JS number to be usable at all. */
  count(): number {
    const n = this.u64();
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`GGUF count ${n} is too large`);
    return Number(n);
  }

  str(): string {
    const length = this.count();
    const at = this.take(length);
    return utf8.decode(this.bytes.subarray(at, at + length));
  }
}

function readScalar(c: Cursor, type: number): GgufValue {
  switch (type) {
    case GgufValueType.UINT8:
      return c.u8();
    case GgufValueType.INT8:
      return c.i8();
    case GgufValueType.UINT16:
      return c.u16();
    case GgufValueType.INT16:
      return c.i16();
    case GgufValueType.UINT32:
      return c.u32();
    case GgufValueType.INT32:
      return c.i32();
    case GgufValueType.FLOAT32:
      return c.f32();
    case GgufValueType.BOOL:
      return c.i8() !== 0;
    case GgufValueType.STRING:
      return c.str();
    case GgufValueType.UINT64:
      return c.u64();
    case GgufValueType.INT64:
      return c.i64();
    case GgufValueType.FLOAT64:
      return c.f64();
    case GgufValueType.ARRAY:
      return readArray(c);
    default:
      throw new Error(`unknown GGUF value type ${type}`);
  }
}

function readArray(c: Cursor): GgufArray {
  const elementType = c.u32() as GgufValueType;
  const length = c.count();
  const items: GgufValue[] = new Array(length);
  for (let i = 0; i < length; i++) items[i] = readScalar(c, elementType);
  return { elementType, items };
}

function readKv(c: Cursor): GgufKv {
  const key = c.str();
  const type = c.u32() as GgufValueType;
  return { key, type, value: readScalar(c, type) };
}

function readTensorInfo(c: Cursor): GgufTensorInfo {
  const name = c.str();
  const nDims = c.u32();
  const dims: number[] = [];
  for (let i = 0; i < nDims; i++) dims.push(c.count());
  const type = c.u32();
  return { name, dims, type, offset: c.count() };
}

function alignmentOf(kv: readonly GgufKv[]): number {
  const entry = kv.find((e) => e.key === GGUF_ALIGNMENT_KEY);
  if (!entry) return GGUF_DEFAULT_ALIGNMENT;
  if (entry.type !== GgufValueType.UINT32) throw new Error(`${GGUF_ALIGNMENT_KEY} must be u32`);
  return entry.value as number;
}

/** Parses the header from the start of a GGUF file; throws GgufTruncatedError if bytes end early. */
export function parseGgufHeader(bytes: Uint8Array): GgufHeader {
  const c = new Cursor(bytes);
  if (c.u32() !== GGUF_MAGIC) throw new Error("not a GGUF file (bad magic)");
  const version = c.u32();
  if (version !== 2 && version !== 3) throw new Error(`unsupported GGUF version ${version}`);
  const nTensors = c.count();
  const nKv = c.count();
  const kv: GgufKv[] = [];
  for (let i = 0; i < nKv; i++) kv.push(readKv(c));
  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < nTensors; i++) tensors.push(readTensorInfo(c));
  const alignment = alignmentOf(kv);
  return { version, kv, tensors, alignment, dataOffset: alignUp(c.offset, alignment) };
}

/** Reads only as much of the file as the header needs, so a 270 MB model costs a few MB. */
export async function readGgufHeader(path: string): Promise<GgufHeader> {
  const file = await open(path, "r");
  try {
    const { size } = await file.stat();
    for (let want = Math.min(size, 1 << 20); ; want = Math.min(size, want * 4)) {
      const bytes = new Uint8Array(want);
      const { bytesRead } = await file.read(bytes, 0, want, 0);
      try {
        return parseGgufHeader(bytes.subarray(0, bytesRead));
      } catch (error) {
        if (!(error instanceof GgufTruncatedError) || want >= size) throw error;
      }
    }
  } finally {
    await file.close();
  }
}

/** The entry for a key, or undefined when the file does not set it. */
export function findKv(header: GgufHeader, key: string): GgufKv | undefined {
  return header.kv.find((e) => e.key === key);
}
