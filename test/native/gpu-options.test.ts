// A cuda pool's start on the reference box (the fake NVML library: RTX 3090 24 GB + RTX 3060 12 GB):
// the split it loads with and the pool-start log line that names the rule, or a typed refusal.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { OrchError } from "../../src/common/errors.js";
import { createLogger } from "../../src/common/logger.js";
import { fakeNvmlPath } from "../../src/common/paths.js";
import { gpuEngineOptions } from "../../src/worker/gpu-options.js";

function recorder() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level: "info",
    destination: { write: (line: string) => lines.push(JSON.parse(line)) },
  });
  return { log, lines };
}

function refusedWith(code: string, pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof OrchError, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  };
}

describe("GPU options at pool start", () => {
  const saved = { lib: process.env.LLAMA_ORCH_NVML_LIB, state: process.env.FAKE_NVML_STATE };
  before(() => {
    process.env.LLAMA_ORCH_NVML_LIB = fakeNvmlPath;
    delete process.env.FAKE_NVML_STATE;
  });
  after(() => {
    for (const [key, value] of [
      ["LLAMA_ORCH_NVML_LIB", saved.lib],
      ["FAKE_NVML_STATE", saved.state],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it("a pool over both cards loads a 2:1 layer split, and its start log says which rule", async () => {
    const { log, lines } = recorder();
    const options = await gpuEngineOptions("duo", { backend: "cuda" }, log, {});
    assert.deepEqual(options, {
      devices: [0, 1],
      mainGpu: 0,
      tensorSplit: [24, 12],
      splitMode: "layer",
    });
    const line = lines.find((l) => l.msg === "gpu split chosen");
    assert.equal(line?.rule, "layer split 2:1 by total memory (24 GiB + 12 GiB)");
    assert.deepEqual(line?.memory_total_bytes, [24 * 1024 ** 3, 12 * 1024 ** 3]);
  });

  it("one card per pool: the 3060 pool loads on GPU 1 alone", async () => {
    const { log, lines } = recorder();
    const options = await gpuEngineOptions("small", { backend: "cuda", devices: [1] }, log, {});
    assert.deepEqual(options.devices, [1]);
    assert.equal(options.tensorSplit, undefined);
    assert.equal(lines.find((l) => l.msg === "gpu split chosen")?.rule, "single GPU 1");
  });

  it("a GPU the host lacks is POOL_DEVICE_UNAVAILABLE, naming the ones it has", async () => {
    const { log } = recorder();
    await assert.rejects(
      gpuEngineOptions("p", { backend: "cuda", devices: [0, 2] }, log, {}),
      refusedWith("POOL_DEVICE_UNAVAILABLE", /asks for GPU 2 but this host has GPU 0, 1/),
    );
    await assert.rejects(
      gpuEngineOptions("p", { backend: "cuda", mainGpu: 3 }, log, {}),
      refusedWith("POOL_DEVICE_UNAVAILABLE", /asks for GPU 3 but this host has GPU 0, 1/),
    );
  });

  it("a worker started by hand with row split and no flash attention is refused", async () => {
    const { log } = recorder();
    await assert.rejects(
      gpuEngineOptions("p", { backend: "cuda", splitMode: "row", kvType: "f16" }, log, {}),
      refusedWith("INVALID_PARAMS", /split_mode: row needs flash_attn: on/),
    );
  });
});
