// Generated GGUF models: the format round trip, bit-exact conversions, and determinism by seed.
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { llamaCppDir } from "../../src/common/paths.js";
import { ensureModel } from "../../src/models/ensure-model.js";
import { generateModel } from "../../src/models/generate-model.js";
import { findKv, type GgufHeader, readGgufHeader } from "../../src/models/gguf-reader.js";
import { GgmlType, type GgufKv, GgufValueType as T } from "../../src/models/gguf-types.js";
import { writeGguf } from "../../src/models/gguf-writer.js";
import { presets } from "../../src/models/presets.js";
import { NormalSampler, Xoshiro128 } from "../../src/models/prng.js";
import { f16ToF32, f32ToF16, toQ8_0Bytes } from "../../src/models/quantize.js";
import { CHAT_TEMPLATE, defaultVocabPath } from "../../src/models/tokenizer-source.js";

let dir = "";
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "llama-orch-gguf-"));
});
after(() => rm(dir, { recursive: true, force: true }));

async function tensorBytes(path: string, header: GgufHeader, name: string, bytes: number) {
  const info = header.tensors.find((t) => t.name === name);
  assert.ok(info, `tensor ${name}`);
  const start = header.dataOffset + info.offset;
  return (await readFile(path)).subarray(start, start + bytes);
}

describe("GGUF writer and reader", () => {
  const kv: GgufKv[] = [
    { key: "general.alignment", type: T.UINT32, value: 64 },
    { key: "u8", type: T.UINT8, value: 255 },
    { key: "i8", type: T.INT8, value: -128 },
    { key: "u16", type: T.UINT16, value: 65535 },
    { key: "i16", type: T.INT16, value: -32768 },
    { key: "u32", type: T.UINT32, value: 0xffffffff },
    { key: "i32", type: T.INT32, value: -0x80000000 },
    { key: "f32", type: T.FLOAT32, value: Math.fround(0.1) },
    { key: "bool.true", type: T.BOOL, value: true },
    { key: "bool.false", type: T.BOOL, value: false },
    { key: "string", type: T.STRING, value: "héllo ▁wörld <|end|> 🦙" },
    { key: "u64", type: T.UINT64, value: 2n ** 64n - 1n },
    { key: "i64", type: T.INT64, value: -(2n ** 63n) },
    { key: "f64", type: T.FLOAT64, value: Math.PI },
    { key: "array.str", type: T.ARRAY, value: { elementType: T.STRING, items: ["a", "", "ß"] } },
    { key: "array.i32", type: T.ARRAY, value: { elementType: T.INT32, items: [3, -1, 0] } },
    { key: "array.f32", type: T.ARRAY, value: { elementType: T.FLOAT32, items: [-1000, 0.5] } },
    { key: "array.u64", type: T.ARRAY, value: { elementType: T.UINT64, items: [1n, 2n ** 40n] } },
    { key: "array.empty", type: T.ARRAY, value: { elementType: T.UINT8, items: [] } },
    {
      key: "array.nested",
      type: T.ARRAY,
      value: { elementType: T.ARRAY, items: [{ elementType: T.BOOL, items: [true, false] }] },
    },
  ];
  const tensors = [
    { name: "a", dims: [3], type: GgmlType.F32 },
    { name: "b", dims: [32, 2], type: GgmlType.Q8_0 },
    { name: "c", dims: [5], type: GgmlType.F16 },
  ];
  const fill = (size: number, value: number) => new Uint8Array(size).fill(value);
  const sizes = [12, 68, 10];

  test("every value type, alignment and tensor data survive a round trip", async () => {
    const path = join(dir, "round-trip.gguf");
    await writeGguf(path, { kv, tensors, data: (_t, i) => [fill(sizes[i] as number, i + 1)] });
    const header = await readGgufHeader(path);
    assert.equal(header.version, 3);
    assert.deepEqual(header.kv, kv);
    assert.equal(header.alignment, 64);
    assert.equal(header.dataOffset % 64, 0);
    assert.deepEqual(
      header.tensors.map((t) => [t.name, t.dims, t.type, t.offset]),
      [
        ["a", [3], GgmlType.F32, 0],
        ["b", [32, 2], GgmlType.Q8_0, 64],
        ["c", [5], GgmlType.F16, 192],
      ],
    );
    assert.deepEqual(await tensorBytes(path, header, "b", 68), Buffer.from(fill(68, 2)));
    assert.equal((await stat(path)).size, header.dataOffset + 192 + 64);
  });

  test("a value that does not fit its declared type is refused", async () => {
    const path = join(dir, "bad.gguf");
    const write = (entry: GgufKv) => writeGguf(path, { kv: [entry], tensors: [], data: () => [] });
    await assert.rejects(write({ key: "k", type: T.UINT8, value: 256 }), TypeError);
    await assert.rejects(write({ key: "k", type: T.UINT64, value: 1 }), TypeError);
    await assert.rejects(write({ key: "k", type: T.STRING, value: true }), TypeError);
    const u8: GgufKv = { key: "u8", type: T.UINT8, value: 1 };
    const twice = { kv: [u8, u8], tensors: [], data: () => [] };
    await assert.rejects(writeGguf(path, twice), /duplicate GGUF key: u8/);
  });

  test("tensor data of the wrong length is refused", async () => {
    const path = join(dir, "short.gguf");
    const f32 = { name: "a", dims: [3], type: GgmlType.F32 };
    const contents = { kv: [], tensors: [f32], data: () => [new Uint8Array(11)] };
    await assert.rejects(writeGguf(path, contents), /got 11 bytes, expected 12/);
  });
});

describe("conversions", () => {
  test("F16 matches IEEE round-to-nearest-even on known values", () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff], // largest half
      [65519, 0x7bff], // just below the tie with infinity
      [65520, 0x7c00], // the tie rounds to even, which is infinity
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // tie between 0 and 2^-24 goes to even 0
      [3 * 2 ** -25, 0x0002], // tie between 1 and 2 subnormal units goes to even 2
      [1 + 2 ** -11, 0x3c00], // tie goes down to even
      [1 + 3 * 2 ** -11, 0x3c02], // tie goes up to even
      [0.1, 0x2e66],
      [1 / 3, 0x3555],
      [Number.POSITIVE_INFINITY, 0x7c00],
      [Number.NaN, 0x7e00],
    ];
    for (const [value, half] of cases) assert.equal(f32ToF16(value), half, `f16(${value})`);
    assert.equal(f16ToF32(0x0001), 2 ** -24);
    assert.equal(f16ToF32(0x7bff), 65504);
  });

  test("Q8_0 blocks hold an f16 scale amax/127 and round(x/d) half away from zero", () => {
    const x = new Float32Array(96);
    x.set([127, -127, 0.5, -0.5, 1.5, -2.5, 3.49]); // block 0: d = 1
    x.set([254, 3, -5], 64); // block 2: d = 2; block 1 stays all zero
    const q = toQ8_0Bytes(x);
    assert.equal(q.length, 3 * 34);
    const block = (b: number) => [...q.subarray(b * 34, b * 34 + 9)];
    const i8 = (v: number) => v & 0xff;
    assert.deepEqual(block(0), [0x00, 0x3c, 127, i8(-127), 1, i8(-1), 2, i8(-3), 3]);
    assert.deepEqual([...q.subarray(34, 68)], new Array(34).fill(0));
    assert.deepEqual(block(2), [0x00, 0x40, 127, 2, i8(-3), 0, 0, 0, 0]);
    assert.throws(() => toQ8_0Bytes(new Float32Array(33)), RangeError);
  });

  test("the PRNG is xoshiro128** (checked against the reference C) and draws N(0,1)", () => {
    const rng = new Xoshiro128(42);
    const first = Array.from({ length: 4 }, () => rng.nextU32());
    assert.deepEqual(first, [1962818870, 1222316584, 3741832822, 3850430075]);
    const values = new Float32Array(200_000);
    new NormalSampler(new Xoshiro128(1)).fill(values, 0, 1);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
    assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
    assert.ok(Math.abs(variance - 1) < 0.02, `variance ${variance}`);
  });
});

describe("generated tiny model", () => {
  const generate = (name: string, seed: number, type: "f16" | "q8_0" = "f16") =>
    generateModel({ preset: "tiny", type, seed, outPath: join(dir, name) });

  test("the same seed gives the same bytes, another seed other bytes", async () => {
    const a = await readFile((await generate("s1-a.gguf", 1)).path);
    const b = await readFile((await generate("s1-b.gguf", 1)).path);
    const c = await readFile((await generate("s2.gguf", 2)).path);
    assert.ok(a.equals(b));
    assert.equal(a.length, c.length);
    assert.ok(!a.equals(c));
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.endsWith(".tmp")),
      [],
    );
  });

  test("it carries the vocab file's tokenizer, with the system-keeping chat template", async () => {
    const header = await readGgufHeader((await generate("tokenizer.gguf", 42)).path);
    const vocab = await readGgufHeader(defaultVocabPath());
    const tokenizerKeys = (h: GgufHeader) =>
      h.kv.filter((e) => e.key.startsWith("tokenizer.") && e.key !== "tokenizer.chat_template");
    assert.deepEqual(tokenizerKeys(header), tokenizerKeys(vocab));
    assert.equal(tokenizerKeys(header).length, 11);
    assert.equal(findKv(header, "tokenizer.chat_template")?.value, CHAT_TEMPLATE);
    const vocabName = String(findKv(vocab, "general.name")?.value);
    assert.match(String(findKv(header, "general.name")?.value), new RegExp(`^${vocabName} `));
  });

  test("its hyper-parameters and tensors are the preset's", async () => {
    const model = await generate("hparams.gguf", 42);
    const header = await readGgufHeader(model.path);
    const p = presets.tiny;
    const expected: [string, number, number | bigint | string][] = [
      ["general.architecture", T.STRING, "llama"],
      ["llama.context_length", T.UINT32, p.contextLength],
      ["llama.embedding_length", T.UINT32, 64],
      ["llama.block_count", T.UINT32, 2],
      ["llama.feed_forward_length", T.UINT32, 256],
      ["llama.attention.head_count", T.UINT32, 4],
      ["llama.attention.head_count_kv", T.UINT32, 2],
      ["llama.rope.dimension_count", T.UINT32, 16],
      ["llama.rope.freq_base", T.FLOAT32, 10000],
      ["llama.attention.layer_norm_rms_epsilon", T.FLOAT32, Math.fround(1e-5)],
      ["llama.vocab_size", T.UINT32, 32064],
      ["general.file_type", T.UINT32, 1],
      ["general.quantization_version", T.UINT32, 2],
      ["general.parameter_count", T.UINT64, BigInt(model.parameterCount)],
    ];
    for (const [key, type, value] of expected)
      assert.deepEqual(findKv(header, key), { key, type, value });
    assert.equal(
      model.parameterCount,
      64 * 32064 * 2 + 2 * (64 * 64 * 2 + 64 * 32 * 2 + 64 * 256 * 3 + 128) + 64,
    );
    assert.equal(header.tensors.length, 3 + 2 * 9);
    assert.deepEqual(header.tensors.find((t) => t.name === "blk.1.attn_k.weight")?.dims, [64, 32]);
    assert.deepEqual(
      header.tensors.find((t) => t.name === "blk.0.ffn_down.weight")?.dims,
      [256, 64],
    );
  });

  test("norms are F32 ones and matrices hold N(0, 0.02) weights", async () => {
    const { path } = await generate("weights.gguf", 42);
    const header = await readGgufHeader(path);
    const norm = await tensorBytes(path, header, "blk.0.ffn_norm.weight", 64 * 4);
    assert.deepEqual(
      [...new Float32Array(norm.buffer.slice(norm.byteOffset, norm.byteOffset + 256))],
      new Array(64).fill(1),
    );
    const embd = await tensorBytes(path, header, "token_embd.weight", 64 * 32064 * 2);
    const halves = new Uint16Array(
      embd.buffer.slice(embd.byteOffset, embd.byteOffset + embd.length),
    );
    const values = Array.from(halves, f16ToF32);
    const std = Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
    assert.ok(Math.abs(std - 0.02) < 0.0005, `std ${std}`);
  });

  test("q8_0 stores matrices as Q8_0, 1-D tensors as F32, and says so in file_type", async () => {
    const { path, bytes } = await generate("q8.gguf", 42, "q8_0");
    const header = await readGgufHeader(path);
    assert.equal(findKv(header, "general.file_type")?.value, 7);
    const types = new Set(header.tensors.map((t) => `${t.dims.length}:${t.type}`));
    assert.deepEqual([...types].sort(), [`1:${GgmlType.F32}`, `2:${GgmlType.Q8_0}`]);
    const output = header.tensors.at(-1);
    assert.equal(output?.name, "output.weight");
    // 34 bytes per 32 weights, and the file ends with the last tensor, padded.
    assert.equal(bytes - header.dataOffset, (output?.offset ?? 0) + ((64 * 32064) / 32) * 34);
  });
});

describe("ensureModel", () => {
  test("generates once into the models cache and returns the same path after", async () => {
    const saved = { cache: process.env.LLAMA_ORCH_CACHE, cpp: process.env.LLAMA_CPP_DIR };
    process.env.LLAMA_CPP_DIR = llamaCppDir(); // keep the vocab where it is while the cache moves
    process.env.LLAMA_ORCH_CACHE = join(dir, "cache");
    try {
      const [a, b] = await Promise.all([
        ensureModel("tiny", "f16", 3),
        ensureModel("tiny", "f16", 3),
      ]);
      assert.equal(a, join(dir, "cache", "models", "tiny-f16-s3.gguf"));
      assert.equal(b, a);
      const before = await stat(a);
      assert.equal(await ensureModel("tiny", "f16", 3), a);
      assert.equal((await stat(a)).mtimeMs, before.mtimeMs);
    } finally {
      for (const [name, value] of [
        ["LLAMA_ORCH_CACHE", saved.cache],
        ["LLAMA_CPP_DIR", saved.cpp],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});
