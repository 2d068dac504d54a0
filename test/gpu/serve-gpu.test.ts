// `llama-orch serve` with cuda pools on the real GPU 0 and the real NVML (issue 16): readings reach
// the pool's health and /metrics, a task runs on the GPU, and a pool too large for the GPU is
// refused with a registry code while the control plane and the other pools keep serving.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { request } from "undici";
import { PlacementOverrides } from "../../src/gen/llama_orch/v1/orchestrator.js";
import { submit } from "../support/grpc-calls.js";
import { type ServeProcess, startServe, waitForPool } from "../support/serve-process.js";
import { gpuPresence } from "./gpu-presence.js";

const presence = await gpuPresence();

// gpu-huge asks for 2^30 tokens of KV (256 GiB for the tiny model): more than any one GPU holds.
const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
workers: { heartbeat_ms: 200 }
supervisor: { backoff_initial_ms: 600000, backoff_max_ms: 600000 }
pools:
  - { id: gpu-0, model: "builtin:tiny", backend: cuda, devices: [0], gpu_layers: -1, slots: 2, context_size: 512 }
  - { id: gpu-huge, model: "builtin:tiny", backend: cuda, devices: [0], gpu_layers: -1, slots: 1, context_size: 1073741824 }
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 2, context_size: 512, threads: 1 }
`;

async function runOn(serve: ServeProcess, poolId: string) {
  const placement = PlacementOverrides.fromPartial({ mode: "pin", pinPoolId: poolId });
  return submit(serve.orchestrator, { prompt: "gpu?", maxTokens: 4, placement });
}

/** The value of one series of a metric in Prometheus text, e.g. vram_used_bytes for gpu-0. */
function seriesValue(text: string, name: string, labels: string[]): number | undefined {
  const line = text
    .split("\n")
    .find((l) => l.startsWith(`${name}{`) && labels.every((label) => l.includes(label)));
  return line === undefined ? undefined : Number(line.split(" ").at(-1));
}

describe("serve on GPU 0", { skip: presence.skip }, () => {
  let serve: ServeProcess;

  before(async () => {
    // The real driver's NVML, whatever the other suites point LLAMA_ORCH_NVML_LIB at.
    serve = await startServe({
      config,
      env: { LLAMA_ORCH_NVML_LIB: undefined, FAKE_NVML_STATE: undefined },
      waitReady: false,
    });
    await waitForPool(serve.pools, "gpu-0", (h) => h.ready, 120_000);
  });
  after(() => serve?.stop());

  it("reports GPU 0's utilisation, memory, power and temperature in the pool's health", async () => {
    const health = await waitForPool(
      serve.pools,
      "gpu-0",
      (h) => h.devices.some((d) => d.index === 0 && (d.memoryUsedBytes ?? 0) > 0),
      30_000,
    );
    const device = health.devices.find((d) => d.index === 0);
    assert.ok(device);
    assert.equal(device.name, presence.gpu?.name);
    assert.ok((device.memoryTotalBytes ?? 0) > (device.memoryUsedBytes ?? 0));
    assert.ok(device.utilizationGpuPercent !== undefined, "utilisation reading");
    assert.ok((device.temperatureC ?? 0) > 0, "temperature reading");
    assert.ok((device.powerWatts ?? 0) > 0, "power reading");
  });

  it("exports gpu-0's VRAM and utilisation from NVML on /metrics", async () => {
    const text = await (await request(`${serve.http}/metrics`)).body.text();
    const labels = ['pool_id="gpu-0"', 'device="0"'];
    assert.ok((seriesValue(text, "vram_used_bytes", labels) ?? 0) > 0, "vram_used_bytes");
    assert.ok(seriesValue(text, "gpu_utilization", labels) !== undefined, "gpu_utilization");
  });

  it("runs a task on the GPU pool", async () => {
    const out = await runOn(serve, "gpu-0");
    assert.equal(out.error, undefined, out.error?.message);
    assert.equal(out.kinds.at(-1), "end");
  });

  it("refuses the pool that cannot fit with a VRAM code and GPU 0 named; the rest keep serving", async () => {
    const health = await waitForPool(serve.pools, "gpu-huge", (h) => h.lastError !== "", 120_000);
    assert.equal(health.ready, false);
    // 16b's POOL_INSUFFICIENT_VRAM when llama.cpp runs out; POOL_UNAVAILABLE when the fit
    // estimate refuses the load before llama.cpp is asked.
    assert.match(health.lastError, /POOL_INSUFFICIENT_VRAM|POOL_UNAVAILABLE: .*does not fit/);
    assert.match(health.lastError, /GPU 0/);
    assert.equal(serve.child.exitCode, null, "the control plane is still up");
    for (const poolId of ["gpu-0", "cpu-0"]) {
      const out = await runOn(serve, poolId);
      assert.equal(out.error, undefined, `${poolId}: ${out.error?.message}`);
    }
  });
});
