// The reference configs in docs/examples (issue 16) load through the real config loader, and what the
// loader and the split rules derive from them on their boxes is what docs/gpu.md says.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { loadConfig } from "../../src/common/config.js";
import { planSplit, type SplitDevice } from "../../src/common/gpu-split.js";
import { repoRoot } from "../../src/common/paths.js";
import { workerArgs } from "../../src/control/worker-args.js";

const GiB = 1024 ** 3;
const referenceBox: SplitDevice[] = [
  { index: 0, memoryTotalBytes: 24 * GiB },
  { index: 1, memoryTotalBytes: 12 * GiB },
];

const example = (name: string) => loadConfig(join(repoRoot, "docs", "examples", name), {});

function flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at < 0 ? undefined : args[at + 1];
}

describe("docs/examples", () => {
  test("3090 + 3060 as two pools: one card each, all layers on the 3090, auto on the 3060", async () => {
    const { pools } = await example("rtx3090-3060-two-pools.yaml");
    assert.deepEqual(
      pools.map((p) => [p.id, p.backend, p.devices, p.gpuLayers]),
      [
        ["rtx3090", "cuda", [0], -1],
        ["rtx3060", "cuda", [1], "auto"],
      ],
    );
    assert.deepEqual(
      pools.map((p) => planSplit(p, referenceBox).rule),
      ["single GPU 0", "single GPU 1"],
    );
    const [big, small] = pools.map((p) => workerArgs(p, "127.0.0.1:50051", p.model));
    assert.equal(flag(big ?? [], "--devices"), "0");
    assert.equal(flag(small ?? [], "--gpu-layers"), "auto");
  });

  test("3090 + 3060 as one pool: the larger model splits layers 2:1 by total memory", async () => {
    const { pools } = await example("rtx3090-3060-split.yaml");
    assert.equal(pools.length, 1);
    const [duo] = pools;
    assert.ok(duo);
    assert.equal(duo.tensorSplit, undefined, "the split is derived, not written");
    const plan = planSplit(duo, referenceBox);
    assert.deepEqual(plan.devices, [0, 1]);
    assert.equal(plan.splitMode, "layer");
    assert.deepEqual(plan.tensorSplit, [24, 12]);
    assert.equal(plan.rule, "layer split 2:1 by total memory (24 GiB + 12 GiB)");
    assert.equal(duo.kvType, "q8_0");
  });

  test("a single GPU: every layer on GPU 0, flash attention on", async () => {
    const { pools } = await example("single-gpu.yaml");
    const [gpu] = pools;
    assert.ok(gpu);
    assert.deepEqual([gpu.backend, gpu.gpuLayers, gpu.flashAttn], ["cuda", -1, "on"]);
    const box = referenceBox.slice(0, 1);
    assert.equal(planSplit(gpu, box).rule, "single GPU 0");
    assert.equal(flag(workerArgs(gpu, "127.0.0.1:50051", gpu.model), "--flash-attn"), "on");
  });

  test("CPU only: an explicit cpu pool, no layer offloaded, no GPU flags for its worker", async () => {
    const { pools } = await example("cpu-only.yaml");
    const [cpu] = pools;
    assert.ok(cpu);
    assert.deepEqual([cpu.backend, cpu.gpuLayers], ["cpu", 0]);
    const args = workerArgs(cpu, "127.0.0.1:50051", cpu.model);
    assert.equal(flag(args, "--backend"), "cpu");
    assert.equal(flag(args, "--devices"), undefined);
  });
});
