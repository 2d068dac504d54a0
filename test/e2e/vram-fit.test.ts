// VRAM fit before a GPU load, end to end on the fake NVML (issue 11): a pool whose model cannot fit
// its GPU's free memory is refused with the numbers before llama.cpp loads anything, and
// `gpu_layers: auto` loads with the most layers that fit (the CPU-built addon then runs them on CPU).
import assert from "node:assert/strict";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fakeNvmlPath } from "../../src/common/paths.js";
import { PlacementOverrides } from "../../src/gen/llama_orch/v1/orchestrator.js";
import type { ReloadResponse } from "../../src/gen/llama_orch/v1/pool.js";
import { ensureModel } from "../../src/models/ensure-model.js";
import { readModelShape } from "../../src/models/gguf-layers.js";
import { deviceNeeds, type FitPlan, mib } from "../../src/models/vram-fit.js";
import { submit, unary } from "../support/grpc-calls.js";
import {
  type ServeProcess,
  startServe,
  waitForLog,
  waitForPool,
} from "../support/serve-process.js";
import { tinyModelPath } from "../support/tiny.js";
import { GPU_STANDIN } from "../support/worker-process.js";

const MiB = 1024 ** 2;
const SMALL_FREE = 256 * MiB;
const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
workers: { heartbeat_ms: 200, stale_after_ms: 5000 }
supervisor: { backoff_initial_ms: 600000, backoff_max_ms: 600000 }
pools:
  - { id: gpu-auto, model: "builtin:tiny", backend: cuda, devices: [0], gpu_layers: auto, slots: 2, context_size: 512, threads: 1 }
  - { id: gpu-small, model: "builtin:tiny", backend: cuda, devices: [1], gpu_layers: -1, slots: 2, context_size: 512, threads: 1 }
  - { id: gpu-split, model: "builtin:tiny", backend: cuda, devices: [0, 1], tensor_split: [1, 1], slots: 2, context_size: 512, threads: 1 }
`;

describe("VRAM fit on fake GPUs", () => {
  let serve: ServeProcess;
  let stateDir: string;
  let plan: FitPlan;
  let autoFree: number;
  let statePath: string;

  before(async () => {
    // GPU 0 gets room for the output layer and the top block but not the bottom one: 2 of 3 layers.
    const shape = await readModelShape(await tinyModelPath());
    plan = { shape, contextTokens: 512 * 2, kvType: "f16", split: [1, 0] };
    const [two] = deviceNeeds(plan, 2);
    const [three] = deviceNeeds(plan, 3);
    assert.ok(two && three);
    autoFree = two.totalBytes + Math.floor((three.totalBytes - two.totalBytes) / 2);
    stateDir = await mkdtemp(join(tmpdir(), "fake-nvml-"));
    statePath = join(stateDir, "state");
    await writeFile(statePath, `0 free ${autoFree}\n1 free ${SMALL_FREE}\n`);
    serve = await startServe({
      config,
      env: { LLAMA_ORCH_NVML_LIB: fakeNvmlPath, FAKE_NVML_STATE: statePath, ...GPU_STANDIN },
      waitReady: false,
    });
  });
  after(async () => {
    await serve?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it("refuses a model that does not fit its GPU with POOL_UNAVAILABLE, the device, needed and free", async () => {
    const health = await waitForPool(serve.pools, "gpu-small", (h) => h.lastError !== "", 60_000);
    const [need] = deviceNeeds({ ...plan, split: [0, 1] }, -1);
    assert.ok(need);
    assert.equal(need.device, 1);
    assert.equal(health.ready, false);
    assert.match(health.lastError, /POOL_UNAVAILABLE: pool gpu-small: the model does not fit/);
    assert.ok(
      health.lastError.includes(`GPU 1 needs ${mib(need.totalBytes)} for 3 layers`),
      health.lastError,
    );
    assert.ok(health.lastError.includes(`has ${mib(SMALL_FREE)} free`), health.lastError);
    assert.match(health.lastError, /gpu_layers: auto/);
    const line = await waitForLog(
      serve,
      (e) => e.msg === "model does not fit VRAM" && e.pool_id === "gpu-small",
    );
    assert.deepEqual(line.devices, [
      { device: 1, layers: 3, needed_bytes: need.totalBytes, free_bytes: SMALL_FREE },
    ]);
    // Refused before llama.cpp was asked: that worker never loaded a model.
    assert.ok(!serve.logs.some((e) => e.pool_id === "gpu-small" && e.msg === "model loaded"));
  });

  it("gpu_layers auto offloads the most layers that fit (2 of 3) and serves", async () => {
    await waitForPool(serve.pools, "gpu-auto", (h) => h.ready, 60_000);
    const chosen = await waitForLog(serve, (e) => e.msg === "gpu layers chosen to fit VRAM");
    assert.equal(chosen.pool_id, "gpu-auto");
    assert.equal(chosen.gpu_layers, 2);
    assert.equal(chosen.offloadable_layers, 3);
    const [device] = chosen.devices as {
      device: number;
      needed_bytes: number;
      free_bytes: number;
    }[];
    assert.equal(device?.device, 0);
    assert.equal(device?.free_bytes, autoFree);
    assert.ok((device?.needed_bytes ?? Infinity) <= autoFree);
    const placement = PlacementOverrides.fromPartial({ mode: "pin", pinPoolId: "gpu-auto" });
    const out = await submit(serve.orchestrator, { prompt: "fit?", maxTokens: 3, placement });
    assert.equal(out.error, undefined, out.error?.message);
    assert.equal(out.kinds.at(-1), "end");
  });

  it("splits the estimate by tensor_split: only the device whose share does not fit is named", async () => {
    const health = await waitForPool(serve.pools, "gpu-split", (h) => h.lastError !== "", 60_000);
    // An even split of 3 layers: the two blocks on GPU 0, the output layer on GPU 1.
    const needs = deviceNeeds({ ...plan, split: [1, 1] }, -1);
    assert.deepEqual(
      needs.map((n) => [n.device, n.layers]),
      [
        [0, 2],
        [1, 1],
      ],
    );
    const gpu1 = needs[1];
    assert.ok(gpu1);
    assert.ok(
      health.lastError.includes(`GPU 1 needs ${mib(gpu1.totalBytes)} for 1 layer (`),
      health.lastError,
    );
    assert.ok(!health.lastError.includes("GPU 0"), "GPU 0's share fits");
  });

  it("checks again at each reload: with less VRAM free the reload offloads fewer layers", async () => {
    const q8 = await readModelShape(await ensureModel("tiny", "q8_0"));
    const [one] = deviceNeeds({ ...plan, shape: q8 }, 1);
    assert.ok(one);
    // Room for the output layer only; the file is re-read at every NVML query.
    await writeFile(`${statePath}.tmp`, `0 free ${one.totalBytes}\n1 free ${SMALL_FREE}\n`);
    await rename(`${statePath}.tmp`, statePath);
    const chosen = (e: Record<string, unknown>) =>
      e.msg === "gpu layers chosen to fit VRAM" && e.pool_id === "gpu-auto";
    const before = serve.logs.filter(chosen).length;
    const reloaded = await unary<ReloadResponse>((cb) =>
      serve.pools.reload({ poolId: "gpu-auto", newModelRef: "builtin:tiny-q8_0" }, cb),
    );
    assert.ok(reloaded);
    const line = await waitForLog(
      serve,
      (e) => chosen(e) && serve.logs.filter(chosen).length > before,
    );
    const latest = serve.logs.filter(chosen).at(-1);
    assert.ok(line && latest);
    assert.equal(latest.gpu_layers, 1);
    await waitForPool(
      serve.pools,
      "gpu-auto",
      (h) => h.ready && h.modelRef === "builtin:tiny-q8_0",
    );
  });
});
