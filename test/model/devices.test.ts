// Device selection and out-of-memory at load (issue 16): the engine loads on exactly the devices it
// is given, refuses one it does not have by name, and turns a failed allocation into a typed error.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OrchError } from "../../src/common/errors.js";
import { addon } from "../../src/engine/binding.js";
import { Engine } from "../../src/engine/engine.js";
import { ensureModel } from "../../src/models/ensure-model.js";
import { hugeKvLoad, hugeKvUntestable } from "../support/oom.js";
import { loadTiny } from "../support/tiny.js";

async function generated(engine: Engine): Promise<number> {
  let tokens = 0;
  for await (const event of engine.submit({ prompt: "river stone", maxTokens: 4 })) {
    if (event.type === "token") tokens += 1;
  }
  return tokens;
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

  it("ORCH-3052 a GPU the addon does not have is POOL_DEVICE_UNAVAILABLE, naming it and what there is", async () => {
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

  it("ORCH-3039 a host KV cache that cannot be allocated is POOL_INSUFFICIENT_MEMORY with the size, not a crash", async (t) => {
    const untestable = hugeKvUntestable();
    if (untestable) {
      t.skip(untestable);
      return;
    }
    const load = Engine.load({ modelPath: await ensureModel("bench"), ...hugeKvLoad, threads: 1 });
    await assert.rejects(load, (error: unknown) => {
      assert.ok(error instanceof OrchError, String(error));
      assert.equal(error.code, "POOL_INSUFFICIENT_MEMORY");
      assert.match(error.message, /out of host memory creating the context/);
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
