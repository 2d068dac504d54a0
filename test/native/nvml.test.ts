// GPU telemetry through the fake NVML library: readings, live free-memory changes, and no-driver paths.
import assert from "node:assert/strict";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { fakeNvmlPath } from "../../src/common/paths.js";
import { type GpuDevice, probeGpus } from "../../src/engine/nvml.js";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

function setEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

function device(devices: GpuDevice[], index: number): GpuDevice {
  const found = devices.find((d) => d.index === index);
  assert.ok(found, `GPU ${index} is reported`);
  return found;
}

describe("NVML probe", () => {
  const saved = {
    lib: process.env.LLAMA_ORCH_NVML_LIB,
    state: process.env.FAKE_NVML_STATE,
  };
  let dir = "";
  let statePath = "";

  // Written by rename, as a long-lived worker would need, so a probe never reads a half-written file.
  async function writeState(text: string): Promise<void> {
    await writeFile(`${statePath}.tmp`, text);
    await rename(`${statePath}.tmp`, statePath);
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "llama-orch-nvml-"));
    statePath = join(dir, "state");
  });
  beforeEach(() => {
    setEnv("LLAMA_ORCH_NVML_LIB", fakeNvmlPath);
    setEnv("FAKE_NVML_STATE", statePath);
  });
  after(async () => {
    setEnv("LLAMA_ORCH_NVML_LIB", saved.lib);
    setEnv("FAKE_NVML_STATE", saved.state);
    await rm(dir, { recursive: true, force: true });
  });

  it("reports both GPUs with their names, totals and the free memory the state file sets", async () => {
    await writeState("0 free 6442450944\n1 free 3221225472\n");
    const probe = await probeGpus();
    assert.equal(probe.reason, undefined);
    assert.deepEqual(
      probe.devices.map((d) => d.index),
      [0, 1],
    );
    const rtx3090 = device(probe.devices, 0);
    assert.equal(rtx3090.name, "NVIDIA GeForce RTX 3090");
    assert.match(rtx3090.uuid ?? "", /^GPU-[0-9a-f-]+$/);
    assert.equal(rtx3090.memoryTotalBytes, 24576 * MiB);
    assert.equal(rtx3090.memoryFreeBytes, 6 * GiB);
    assert.equal(rtx3090.memoryUsedBytes, 18 * GiB);
    const rtx3060 = device(probe.devices, 1);
    assert.equal(rtx3060.name, "NVIDIA GeForce RTX 3060");
    assert.equal(rtx3060.memoryTotalBytes, 12288 * MiB);
    assert.equal(rtx3060.memoryFreeBytes, 3 * GiB);
    assert.notEqual(rtx3060.uuid, rtx3090.uuid);
    for (const gpu of probe.devices) {
      assert.equal(typeof gpu.utilizationGpuPercent, "number");
      assert.equal(typeof gpu.utilizationMemoryPercent, "number");
      assert.equal(typeof gpu.temperatureC, "number");
      assert.ok((gpu.powerWatts ?? 0) > 0);
    }
  });

  it("sees a changed state file on the next probe", async () => {
    await writeState("0 free 1073741824\n1 util 90 40\n");
    const first = await probeGpus();
    assert.equal(device(first.devices, 0).memoryFreeBytes, 1 * GiB);
    assert.equal(device(first.devices, 1).utilizationGpuPercent, 90);
    await writeState("0 free 22548578304\n1 free 2147483648\n");
    const second = await probeGpus();
    assert.equal(device(second.devices, 0).memoryFreeBytes, 21 * GiB);
    assert.equal(device(second.devices, 0).memoryUsedBytes, 3 * GiB);
    assert.equal(device(second.devices, 1).memoryFreeBytes, 2 * GiB);
  });

  it("leaves out a field NVML refuses and keeps the rest of the device", async () => {
    await writeState("1 fail temperature\n1 fail power\n");
    const rtx3060 = device((await probeGpus()).devices, 1);
    assert.equal("temperatureC" in rtx3060, false);
    assert.equal("powerWatts" in rtx3060, false);
    assert.equal(rtx3060.memoryTotalBytes, 12288 * MiB);
    assert.equal(typeof device((await probeGpus()).devices, 0).temperatureC, "number");
  });

  it("resolves with no GPUs and a reason when the library does not exist", async () => {
    const missing = join(dir, "no-such-dir", "libnvidia-ml.so.1");
    setEnv("LLAMA_ORCH_NVML_LIB", missing);
    const probe = await probeGpus();
    assert.deepEqual(probe.devices, []);
    assert.ok(probe.reason?.includes(missing), probe.reason);
  });

  it("resolves with no GPUs and a reason when the library is not NVML", async () => {
    const probe = await probeGpus("libm.so.6");
    assert.deepEqual(probe.devices, []);
    assert.match(probe.reason ?? "", /libm\.so\.6 is not an NVML library/);
  });

  it("resolves with no GPUs and NVML's own words when nvmlInit_v2 fails", async () => {
    await writeState("init fail\n");
    const probe = await probeGpus(fakeNvmlPath);
    assert.deepEqual(probe.devices, []);
    assert.match(probe.reason ?? "", /nvmlInit_v2 failed: Driver Not Loaded/);
  });
});
