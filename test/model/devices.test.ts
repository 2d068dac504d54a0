// Device selection and out-of-memory at load (issue 16): the engine loads on exactly the devices it
// is given, refuses one it does not have by name, and turns a failed allocation into a typed error.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { OrchError } from "../../src/common/errors.js";
import { addon } from "../../src/engine/binding.js";
import { Engine } from "../../src/engine/engine.js";
import { ensureModel } from "../../src/models/ensure-model.js";
import { loadTiny } from "../support/tiny.js";

async function generated(engine: Engine): Promise<number> {
  let tokens = 0;
  for await (const event of engine.submit({ prompt: "river stone", maxTokens: 4 })) {
    if (event.type === "token") tokens += 1;
  }
  return tokens;
}

// The kernel's default overcommit policy (0) refuses a single allocation larger than RAM + swap,
// and policy 2 refuses it too; under policy 1 it would succeed and the KV clear would touch it all.
function refusesHugeAllocations(bytes: number): boolean {
  const policy = readFileSync("/proc/sys/vm/overcommit_memory", "utf8").trim();
  const meminfo = readFileSync("/proc/meminfo", "utf8");
  const kib = (key: string) => Number(meminfo.match(new RegExp(`^${key}:\\s+(\\d+)`, "m"))?.[1]);
  return policy !== "1" && bytes > 2 * 1024 * (kib("MemTotal") + kib("SwapTotal"));
}

describe("device selection", { timeout: 300_000 }, () => {
  it("devices: [] loads on the CPU alone and generates", async () => {
    const engine = await loadTiny({ devices: [], gpuLayers: -1, slots: 1 });
    try {
      assert.equal(await generated(engine), 4);
    } finally {
      await engine.dispose();
    }
  });

  it("a GPU the addon does not have is POOL_DEVICE_UNAVAILABLE, naming it and what there is", async () => {
    const present = addon.gpuDevices();
    const missing = present.length;
    await assert.rejects(loadTiny({ devices: [missing], gpuLayers: -1 }), (error: unknown) => {
      assert.ok(error instanceof OrchError, String(error));
      assert.equal(error.code, "POOL_DEVICE_UNAVAILABLE");
      assert.match(error.message, new RegExp(`GPU device ${missing} is not available`));
      if (present.length === 0) assert.match(error.message, /no GPU backend \(CPU only\)/);
      for (const device of present) assert.ok(error.message.includes(device.name), device.name);
      return true;
    });
  });

  it("a KV cache that cannot be allocated is POOL_INSUFFICIENT_VRAM with the size, not a crash", async (t) => {
    // The bench model at f32 needs 72 KiB of KV per token: 256 slots x 4096 tokens is 72 GiB.
    const kvBytes = 256 * 4096 * 2 * 12 * 12 * 64 * 4;
    if (!refusesHugeAllocations(kvBytes)) {
      t.skip("this machine's overcommit policy or memory would let a 72 GiB KV cache through");
      return;
    }
    const modelPath = await ensureModel("bench");
    const load = Engine.load({
      modelPath,
      slots: 256,
      contextSize: 4096,
      kvType: "f32",
      threads: 1,
    });
    await assert.rejects(load, (error: unknown) => {
      assert.ok(error instanceof OrchError, String(error));
      assert.equal(error.code, "POOL_INSUFFICIENT_VRAM");
      assert.match(error.message, /out of memory creating the context/);
      assert.match(error.message, /failed to allocate/);
      assert.match(error.message, /lower gpu_layers, context_size or slots/);
      return true;
    });
    // The process that hit the failure still serves.
    const engine = await loadTiny({ slots: 1 });
    try {
      assert.equal(await generated(engine), 4);
    } finally {
      await engine.dispose();
    }
  });
});
