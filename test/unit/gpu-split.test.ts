// Split-mode rules (issue 16): the split a multi-GPU pool runs with on the 24 + 12 GB reference box,
// and the explicit choices config load refuses because llama.cpp's conditions for them do not hold.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { ConfigError, validateConfig } from "../../src/common/config.js";
import { planSplit } from "../../src/common/gpu-split.js";

const GiB = 1024 ** 3;
// The reference box as the fake NVML library reports it: an RTX 3090 and an RTX 3060.
const box = [
  { index: 0, memoryTotalBytes: 24 * GiB },
  { index: 1, memoryTotalBytes: 12 * GiB },
];

function problemsOf(pool: string): readonly string[] {
  try {
    validateConfig(parse(`pools:\n  - ${pool}\n`), { env: {} });
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  return [];
}

describe("planSplit", () => {
  test("a pool over both cards splits layers 2:1 by total memory when it gives no tensor_split", () => {
    const plan = planSplit({ backend: "cuda" }, box);
    assert.deepEqual(plan.devices, [0, 1]);
    assert.equal(plan.splitMode, "layer");
    assert.deepEqual(plan.tensorSplit, [24, 12]);
    assert.equal(plan.rule, "layer split 2:1 by total memory (24 GiB + 12 GiB)");
  });

  test("the pool's own tensor_split wins, in devices order", () => {
    const plan = planSplit({ backend: "cuda", devices: [1, 0], tensorSplit: [1, 3] }, box);
    assert.deepEqual(plan.devices, [1, 0]);
    assert.deepEqual(plan.tensorSplit, [1, 3]);
    assert.equal(plan.rule, "layer split 1:3 as configured (tensor_split)");
  });

  test("one device is a single-GPU load with no split", () => {
    const plan = planSplit({ backend: "cuda", devices: [1] }, box);
    assert.deepEqual(plan, { devices: [1], splitMode: "layer", mainGpu: 0, rule: "single GPU 1" });
  });

  test("main_gpu is passed as its position in devices; split none keeps the model there", () => {
    const plan = planSplit({ backend: "cuda", splitMode: "none", mainGpu: 1 }, box);
    assert.deepEqual(plan, {
      devices: [0, 1],
      splitMode: "none",
      mainGpu: 1,
      rule: "single GPU 1",
    });
  });

  test("row mode over both cards keeps the proportional default", () => {
    const plan = planSplit({ backend: "cuda", splitMode: "row", flashAttn: "on" }, box);
    assert.equal(plan.rule, "row split 2:1 by total memory (24 GiB + 12 GiB)");
  });

  test("an unknown total leaves the split to llama.cpp, and says so", () => {
    const plan = planSplit({ backend: "cuda" }, [
      { index: 0, memoryTotalBytes: 24 * GiB },
      { index: 1 },
    ]);
    assert.equal(plan.tensorSplit, undefined);
    assert.match(plan.rule, /llama\.cpp's default \(free memory\): a total is unknown/);
  });
});

describe("config load refuses split choices whose conditions do not hold", () => {
  const cuda = "{ id: big, model: /m.gguf, backend: cuda";

  test("row without flash attention", () => {
    assert.deepEqual(problemsOf(`${cuda}, split_mode: row }`), [
      "pools[0].split_mode: row needs flash_attn: on and an unquantised KV cache (kv_type f16 or " +
        "f32), but the pool has flash_attn auto and kv_type f16; set both, or use split_mode: layer",
    ]);
  });

  test("tensor with a quantised KV cache", () => {
    const [problem] = problemsOf(`${cuda}, split_mode: tensor, flash_attn: on, kv_type: q8_0 }`);
    assert.match(problem ?? "", /^pools\[0\]\.split_mode: tensor needs .* kv_type q8_0;/);
  });

  test("row with flash attention on and f16 KV is accepted", () => {
    assert.deepEqual(problemsOf(`${cuda}, split_mode: row, flash_attn: on }`), []);
  });

  test("main_gpu outside devices, split keys on a cpu pool, tensor_split under split none", () => {
    assert.deepEqual(problemsOf(`${cuda}, devices: [1], main_gpu: 0 }`), [
      "pools[0].main_gpu: GPU 0 is not in devices [1]",
    ]);
    assert.deepEqual(
      problemsOf("{ id: c, model: builtin:tiny, backend: cpu, split_mode: layer }"),
      ['pools[0].split_mode: a cpu pool uses no GPU; remove it or set backend: "cuda"'],
    );
    assert.deepEqual(problemsOf(`${cuda}, split_mode: none, tensor_split: [2, 1] }`), [
      "pools[0].tensor_split: split_mode none keeps the model on main_gpu; remove one",
    ]);
  });
});
