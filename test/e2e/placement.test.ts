// VRAM-aware placement end to end (DESIGN decision 5): two cuda pools bound to the fake NVML's two
// GPUs (the CPU-built addon runs them on CPU); the pool whose GPU has the most free VRAM wins, pins
// and avoid lists override that, and every decision is logged with its reasons.
import assert from "node:assert/strict";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fakeNvmlPath } from "../../src/common/paths.js";
import { PlacementOverrides } from "../../src/gen/llama_orch/v1/orchestrator.js";
import { startedOf, submit } from "../support/grpc-calls.js";
import { type ServeProcess, startServe, waitForPool } from "../support/serve-process.js";
import { GPU_STANDIN } from "../support/worker-process.js";

const GiB = 1024 ** 3;
const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
workers: { heartbeat_ms: 200, stale_after_ms: 5000 }
pools:
  - { id: rtx-3090, model: "builtin:tiny", backend: cuda, devices: [0], slots: 2, context_size: 2048, threads: 1 }
  - { id: rtx-3060, model: "builtin:tiny", backend: cuda, devices: [1], slots: 2, context_size: 2048, threads: 1 }
`;

interface Placement {
  candidates: string[];
  filtered: { poolId: string; reason: string }[];
  ranking: string[];
  tieBreakers: string[];
  selected?: string;
}

describe("placement across two GPUs", () => {
  let serve: ServeProcess;
  let stateDir: string;
  let statePath: string;

  /** Free memory per GPU index, written atomically: workers read the file at every query. */
  async function setFree(free: [number, number]): Promise<void> {
    const temp = `${statePath}.tmp`;
    await writeFile(temp, free.map((bytes, index) => `${index} free ${bytes}\n`).join(""));
    await rename(temp, statePath);
  }

  /** Waits until both pools' heartbeats report the given free memory. */
  async function settled(free: [number, number]): Promise<void> {
    for (const [index, poolId] of ["rtx-3090", "rtx-3060"].entries()) {
      await waitForPool(
        serve.pools,
        poolId,
        (h) => h.devices.length === 1 && h.devices[0]?.memoryFreeBytes === free[index],
      );
    }
  }

  async function placedOn(overrides?: Partial<PlacementOverrides>): Promise<string | undefined> {
    const placement = overrides && PlacementOverrides.fromPartial(overrides);
    const out = await submit(serve.orchestrator, { prompt: "where?", maxTokens: 3, placement });
    assert.equal(out.error, undefined, out.error?.message);
    return startedOf(out)?.poolId;
  }

  function lastDecision(): Placement {
    const line = [...serve.logs].reverse().find((entry) => entry.msg === "placement decision");
    assert.ok(line, "a placement decision was logged");
    return line.placement as Placement;
  }

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "fake-nvml-"));
    statePath = join(stateDir, "state");
    await writeFile(statePath, `0 free ${20 * GiB}\n1 free ${10 * GiB}\n`);
    serve = await startServe({
      config,
      env: { LLAMA_ORCH_NVML_LIB: fakeNvmlPath, FAKE_NVML_STATE: statePath, ...GPU_STANDIN },
    });
  });
  after(async () => {
    await serve?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it("each pool reports only its own GPU", async () => {
    const gpu0 = await waitForPool(serve.pools, "rtx-3090", (h) => h.ready);
    const gpu1 = await waitForPool(serve.pools, "rtx-3060", (h) => h.ready);
    assert.equal(gpu0.backend, "cuda");
    assert.deepEqual(
      gpu0.devices.map((d) => [d.index, d.name]),
      [[0, "NVIDIA GeForce RTX 3090"]],
    );
    assert.deepEqual(
      gpu1.devices.map((d) => [d.index, d.name]),
      [[1, "NVIDIA GeForce RTX 3060"]],
    );
  });

  it("HME-010 places on the GPU with the most free VRAM (3090: 20 GiB free, 3060: 10 GiB)", async () => {
    await settled([20 * GiB, 10 * GiB]);
    for (let i = 0; i < 3; i++) {
      assert.equal(await placedOn(), "rtx-3090", JSON.stringify(lastDecision()));
    }
    const decision = lastDecision();
    assert.deepEqual(decision.candidates, ["rtx-3060", "rtx-3090"]);
    assert.deepEqual(decision.filtered, []);
    assert.deepEqual(decision.ranking, ["rtx-3090", "rtx-3060"]);
    assert.equal(decision.tieBreakers.at(-1), "most_free_vram");
    assert.equal(decision.selected, "rtx-3090");
  });

  it("follows free VRAM as it changes: the next task goes to the 3060", async () => {
    await setFree([4 * GiB, 10 * GiB]);
    await settled([4 * GiB, 10 * GiB]);
    assert.equal(await placedOn(), "rtx-3060", JSON.stringify(lastDecision()));
    const decision = lastDecision();
    assert.deepEqual(decision.ranking, ["rtx-3060", "rtx-3090"]);
    assert.equal(decision.tieBreakers.at(-1), "most_free_vram");
  });

  it("ORCH-3903 a pin overrides the ranking", async () => {
    assert.equal(await placedOn({ mode: "pin", pinPoolId: "rtx-3090" }), "rtx-3090");
    const decision = lastDecision();
    assert.deepEqual(decision.ranking, ["rtx-3090"]);
    assert.deepEqual(decision.filtered, [
      { poolId: "rtx-3060", reason: "not_pinned", detail: "not the pin" },
    ]);
  });

  it("ORCH-3903 an avoided pool is filtered out with its reason", async () => {
    assert.equal(await placedOn({ avoidPools: ["rtx-3060"] }), "rtx-3090");
    const decision = lastDecision();
    assert.deepEqual(decision.ranking, ["rtx-3090"]);
    assert.deepEqual(
      decision.filtered.map((f) => [f.poolId, f.reason]),
      [["rtx-3060", "avoided"]],
    );
  });

  it("ORCH-3903 a required device mask selects the pool on that GPU", async () => {
    assert.equal(await placedOn({ requireDeviceMask: "0" }), "rtx-3090");
    assert.deepEqual(
      lastDecision().filtered.map((f) => [f.poolId, f.reason]),
      [["rtx-3060", "device_mask_mismatch"]],
    );
  });
  it("HME-010 a GPU that refuses its memory reading reports it unknown, not 0 bytes, and still serves", async () => {
    const temp = `${statePath}.tmp`;
    await writeFile(temp, `0 fail memory\n0 free ${20 * GiB}\n1 free ${10 * GiB}\n`);
    await rename(temp, statePath);
    const health = await waitForPool(
      serve.pools,
      "rtx-3090",
      (h) => h.devices.length === 1 && h.devices[0]?.memoryFreeBytes === undefined,
    );
    assert.equal(health.devices[0]?.memoryTotalBytes, undefined);
    assert.equal(health.devices[0]?.name, "NVIDIA GeForce RTX 3090");
    assert.equal(await placedOn({ mode: "pin", pinPoolId: "rtx-3090" }), "rtx-3090");
    const metrics = await fetch(`${serve.http}/metrics`).then((r) => r.text());
    const vram = metrics.split("\n").filter((l) => l.startsWith("vram_used_bytes{"));
    assert.ok(
      vram.some((l) => l.includes('pool_id="rtx-3060"')),
      "the 3060 still reports VRAM",
    );
    assert.ok(!vram.some((l) => l.includes('pool_id="rtx-3090"')), "no made-up 0 for the 3090");
  });
});
