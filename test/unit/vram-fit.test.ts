// VRAM fit (issue 11): layers placed on devices as llama.cpp places them, each device's need, the
// refusal of what does not fit and the most layers that do; the per-layer bytes read from a GGUF.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ModelShape, modelShape, readModelShape } from "../../src/models/gguf-layers.js";
import { findKv, type GgufHeader, readGgufHeader } from "../../src/models/gguf-reader.js";
import { GgufValueType, tensorByteSize } from "../../src/models/gguf-types.js";
import { llamaTensors } from "../../src/models/llama-layout.js";
import { presets } from "../../src/models/presets.js";
import {
  chooseGpuLayers,
  deviceNeeds,
  type FitPlan,
  layerDevices,
  COMPUTE_MARGIN_BYTES as M,
  shortfalls,
} from "../../src/models/vram-fit.js";
import { tinyModelPath } from "../support/tiny.js";

// Two repeating layers of 100 bytes, an output layer of 50, 64 KV elements per token and layer.
const shape: ModelShape = {
  layerBytes: [100, 100],
  outputBytes: 50,
  hostBytes: 70,
  kvElementsPerToken: [64, 64],
  ctxMax: 4096,
};
const plan = (split: number[], kvType: FitPlan["kvType"] = "f16"): FitPlan => ({
  shape,
  contextTokens: 10,
  kvType,
  split,
});
const KV = 64 * 10 * 2; // one layer's KV at f16 for 10 tokens

describe("layerDevices: llama.cpp's layer -> device assignment (llama_model::load_tensors)", () => {
  const u = undefined;
  const cases: [string, number, number, number[], (number | undefined)[]][] = [
    ["all layers, one device", 4, -1, [1], [0, 0, 0, 0, 0]],
    ["the last 2 layers: the output layer and the top block", 4, 2, [1], [u, u, u, 0, 0]],
    ["none", 4, 0, [1], [u, u, u, u, u]],
    ["more than there are layers clamps", 4, 99, [1], [0, 0, 0, 0, 0]],
    ["a 3:1 split gives the first device the first 3/4", 4, -1, [3, 1], [0, 0, 0, 0, 1]],
    ["an even split", 3, -1, [1, 1], [0, 0, 1, 1]],
    ["a zero share puts nothing on that device", 4, -1, [0, 1], [1, 1, 1, 1, 1]],
    ["all-zero shares split evenly", 3, -1, [0, 0], [0, 0, 1, 1]],
    ["no device keeps everything on the CPU", 2, -1, [], [u, u, u]],
  ];
  for (const [name, layers, ngl, split, expected] of cases) {
    test(name, () => assert.deepEqual(layerDevices(layers, ngl, split), expected));
  }
});

describe("deviceNeeds: weights + KV of the layers a device holds + the compute margin", () => {
  test("all layers on one device", () => {
    assert.deepEqual(deviceNeeds(plan([1]), -1), [
      {
        device: 0,
        layers: 3,
        weightBytes: 250,
        kvBytes: 2 * KV,
        marginBytes: M,
        totalBytes: 250 + 2 * KV + M,
      },
    ]);
  });

  test("one layer offloaded is the output layer: its weights, no KV", () => {
    const [need] = deviceNeeds(plan([1]), 1);
    assert.deepEqual([need?.layers, need?.weightBytes, need?.kvBytes], [1, 50, 0]);
  });

  test("a q8_0 KV cache takes 34 bytes per 32 values", () => {
    const [need] = deviceNeeds(plan([1], "q8_0"), -1);
    assert.equal(need?.kvBytes, 2 * Math.ceil((64 * 10 * 34) / 32));
  });

  test("a split divides the estimate: each device pays its own layers and margin", () => {
    const needs = deviceNeeds(plan([1, 2]), -1);
    assert.deepEqual(
      needs.map((n) => [n.device, n.layers, n.weightBytes, n.kvBytes, n.totalBytes]),
      [
        [0, 1, 100, KV, 100 + KV + M],
        [1, 2, 150, KV, 150 + KV + M],
      ],
    );
  });

  test("no layers: no device needs anything", () => {
    assert.deepEqual(deviceNeeds(plan([1, 1]), 0), []);
  });
});

describe("shortfalls and chooseGpuLayers", () => {
  const all = 250 + 2 * KV + M;
  const two = 150 + KV + M;

  test("a device with less free than its need is named with both numbers", () => {
    const needs = deviceNeeds(plan([1]), -1);
    assert.deepEqual(shortfalls(needs, new Map([[0, all - 1]])), [
      { need: needs[0], freeBytes: all - 1 },
    ]);
    assert.deepEqual(shortfalls(needs, new Map([[0, all]])), []);
  });

  test("a device NVML gave no reading for is not judged", () => {
    assert.deepEqual(shortfalls(deviceNeeds(plan([1]), -1), new Map([[0, undefined]])), []);
  });

  const choices: [string, number[], [number, number | undefined][], number][] = [
    ["everything fits", [1], [[0, all]], 3],
    ["one block short: two layers", [1], [[0, all - 1]], 2],
    ["only the output layer", [1], [[0, two - 1]], 1],
    ["not even the margin: 0 layers, the CPU", [1], [[0, M]], 0],
    ["an unknown reading does not hold layers back", [1], [[0, undefined]], 3],
    [
      "the small device of a split decides",
      [1, 1],
      [
        [0, 10 * M],
        [1, 50 + M - 1],
      ],
      // The output layer lands on device 1 until only it is offloaded, and then on device 0.
      1,
    ],
  ];
  for (const [name, split, free, layers] of choices) {
    test(name, () => {
      const choice = chooseGpuLayers(plan(split), new Map(free));
      assert.equal(choice.gpuLayers, layers);
      assert.equal(choice.of, 3);
      assert.deepEqual(shortfalls(choice.needs, new Map(free)), []);
    });
  }
});

describe("modelShape: per-layer bytes of a GGUF, as llama.cpp offloads them", () => {
  test("the generated tiny model: blocks, output layer, input layer on the host, KV per token", async () => {
    const p = presets.tiny;
    const path = await tinyModelPath();
    const read = await readModelShape(path);
    const vocab = Number(findKv(await readGgufHeader(path), "llama.vocab_size")?.value);
    const tensors = llamaTensors(p, vocab, "f16");
    const bytesOf = (match: (name: string) => boolean) =>
      tensors.filter((t) => match(t.name)).reduce((n, t) => n + tensorByteSize(t.type, t.dims), 0);
    const headDim = p.embeddingLength / p.headCount;
    assert.equal(read.layerBytes.length, p.blockCount);
    read.layerBytes.forEach((bytes, i) => {
      // Alignment padding (32 bytes per tensor at most) is the only slack.
      const exact = bytesOf((n) => n.startsWith(`blk.${i}.`));
      assert.ok(bytes >= exact && bytes < exact + 9 * 32, `layer ${i}: ${bytes} vs ${exact}`);
    });
    const output = bytesOf((n) => n.startsWith("output"));
    assert.ok(read.outputBytes >= output && read.outputBytes < output + 64);
    assert.ok(read.hostBytes >= bytesOf((n) => n === "token_embd.weight"));
    assert.deepEqual(read.kvElementsPerToken, [
      2 * p.headCountKv * headDim,
      2 * p.headCountKv * headDim,
    ]);
    assert.equal(read.ctxMax, p.contextLength);
  });

  test("tied embeddings: the output layer carries a copy of the token embedding", () => {
    const u32 = (key: string, value: number) => ({ key, type: GgufValueType.UINT32, value });
    const tensor = (name: string, offset: number) => ({ name, dims: [1], type: 0, offset });
    const header: GgufHeader = {
      version: 3,
      kv: [
        { key: "general.architecture", type: GgufValueType.STRING, value: "llama" },
        u32("llama.block_count", 1),
        u32("llama.embedding_length", 64),
        u32("llama.attention.head_count", 4),
        // Per-layer arrays (as some architectures write) are read per layer.
        {
          key: "llama.attention.head_count_kv",
          type: GgufValueType.ARRAY,
          value: { elementType: GgufValueType.UINT32, items: [1] },
        },
        u32("llama.attention.key_length", 8),
      ],
      tensors: [
        tensor("token_embd.weight", 0),
        tensor("blk.0.attn_q.weight", 1000),
        tensor("output_norm.weight", 1300),
      ],
      alignment: 32,
      dataOffset: 500,
    };
    const read = modelShape([{ header, fileSize: 500 + 1400 }]);
    assert.deepEqual(read.layerBytes, [300]);
    assert.equal(read.outputBytes, 100 + 1000);
    assert.equal(read.hostBytes, 1000);
    // key_length 8 from the file, value_length defaults to n_embd / n_head = 16.
    assert.deepEqual(read.kvElementsPerToken, [1 * (8 + 16)]);
  });
});
