// The VRAM estimate's inputs read from the GGUF agree with what llama.cpp itself loaded: the KV
// bytes one token takes (at each KV type) and the parameter count behind the weight bytes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readModelShape } from "../../src/models/gguf-layers.js";
import { KV_TYPE_BYTES } from "../../src/models/vram-fit.js";
import { loadTiny, tinyModelPath } from "../support/tiny.js";

describe("VRAM estimate against llama.cpp's own model", () => {
  // q8_0 needs a head size divisible by its 32-value block; the tiny model's heads are 16 wide.
  for (const kvType of ["f16", "f32"] as const) {
    it(`KV bytes per token at ${kvType} match the loaded context's`, async () => {
      const shape = await readModelShape(await tinyModelPath());
      const engine = await loadTiny({ kvType, contextSize: 256, slots: 1 });
      try {
        const elements = shape.kvElementsPerToken.reduce((a, b) => a + b, 0);
        assert.equal(elements * KV_TYPE_BYTES[kvType], engine.info.kvBytesPerToken);
      } finally {
        await engine.dispose();
      }
    });
  }

  it("the weight bytes of all layers are the file's tensor data (f16: 2 bytes a parameter)", async () => {
    const shape = await readModelShape(await tinyModelPath());
    const engine = await loadTiny({ contextSize: 256, slots: 1 });
    try {
      const weights =
        shape.layerBytes.reduce((a, b) => a + b, 0) + shape.outputBytes + shape.hostBytes;
      // Norm vectors are f32 (4 bytes) and tensors are padded to 32 bytes: a little above 2 x params.
      const perParameter = weights / engine.info.parameterCount;
      assert.ok(perParameter >= 2 && perParameter < 2.01, `${perParameter} bytes per parameter`);
      assert.ok(weights < engine.info.fileSizeBytes);
    } finally {
      await engine.dispose();
    }
  });
});
