// The GGUF v3 on-disk vocabulary shared by the reader and the writer: enums, typed values, tensor sizes.

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;
export const GGUF_ALIGNMENT_KEY = "general.alignment";

/** gguf_type from ggml/include/gguf.h. */
export const GgufValueType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;
export type GgufValueType = (typeof GgufValueType)[keyof typeof GgufValueType];

/** 64-bit integers are bigint so that every value survives a read/write round trip exactly. */
export type GgufScalar = number | bigint | boolean | string;

export interface GgufArray {
  readonly elementType: GgufValueType;
  readonly items: readonly GgufValue[];
}

export type GgufValue = GgufScalar | GgufArray;

export interface GgufKv {
  readonly key: string;
  readonly type: GgufValueType;
  readonly value: GgufValue;
}

/** The ggml_type values this project writes; the reader accepts any id. */
export const GgmlType = { F32: 0, F16: 1, Q8_0: 8 } as const;
export type GgmlType = (typeof GgmlType)[keyof typeof GgmlType];

/** Elements per block and bytes per block, from ggml's type traits. */
const blockLayout: Record<GgmlType, { blockSize: number; typeSize: number }> = {
  [GgmlType.F32]: { blockSize: 1, typeSize: 4 },
  [GgmlType.F16]: { blockSize: 1, typeSize: 2 },
  [GgmlType.Q8_0]: { blockSize: 32, typeSize: 34 },
};

export interface GgufTensorInfo {
  readonly name: string;
  /** GGUF order: dims[0] is the row length (columns), dims[1] the number of rows. */
  readonly dims: readonly number[];
  readonly type: number;
  /** Offset of the tensor's data from the start of the data section. */
  readonly offset: number;
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((n, d) => n * d, 1);
}

/** Bytes of a tensor's data; rows must hold whole blocks, as ggml requires. */
export function tensorByteSize(type: GgmlType, dims: readonly number[]): number {
  const { blockSize, typeSize } = blockLayout[type];
  const rowLength = dims[0] ?? 1;
  if (rowLength % blockSize !== 0) {
    throw new Error(`row length ${rowLength} is not a multiple of the block size ${blockSize}`);
  }
  return (elementCount(dims) / blockSize) * typeSize;
}

export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}
