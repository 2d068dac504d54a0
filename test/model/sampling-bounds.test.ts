// The engine admits exactly the bounds table: each knob's edges generate, a step beyond them is refused.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { OrchError } from "../../src/common/errors.js";
import {
  logitBiasRange,
  samplingKnobNames,
  samplingKnobs,
} from "../../src/common/sampling-bounds.js";
import type { Engine } from "../../src/engine/engine.js";
import { justInside, justOutside } from "../support/sampling-edges.js";
import { loadTiny } from "../support/tiny.js";

describe("engine sampling bounds", () => {
  let engine: Engine;
  before(async () => {
    engine = await loadTiny({ slots: 2 });
  });
  after(() => engine.dispose());

  for (const name of samplingKnobNames) {
    const knob = samplingKnobs[name];
    it(`${name}: refuses a step outside ${knob.min}..${knob.max} with INVALID_PARAMS`, () => {
      for (const value of justOutside(knob)) {
        assert.throws(
          () => engine.submit({ prompt: "hi", maxTokens: 1, sampling: { [name]: value } }),
          (error: unknown) =>
            error instanceof OrchError &&
            error.code === "INVALID_PARAMS" &&
            error.message.startsWith(`${name} must be`),
          `${name} ${value}`,
        );
      }
    });

    if (knob.type === "integer") {
      it(`${name}: refuses a fraction (the table says integer)`, () => {
        const sampling = { [name]: justInside(knob)[0] + 0.5 };
        assert.throws(
          () => engine.submit({ prompt: "hi", maxTokens: 1, sampling }),
          (error: unknown) => error instanceof OrchError && error.code === "INVALID_PARAMS",
        );
      });
    }

    it(`${name}: generates at both edges`, async () => {
      for (const value of justInside(knob)) {
        const sampling = { [name]: value };
        const result = await engine.submit({ prompt: "hi", maxTokens: 1, sampling }).result();
        assert.equal(result.end.tokensOut, 1, `${name} ${value}`);
      }
    });
  }

  it("logit bias: refuses a value beyond the table's range, takes its edges", async () => {
    const bias = (value: number) => ({ logitBias: [{ token: 1, bias: value }] });
    assert.throws(
      () => engine.submit({ prompt: "hi", maxTokens: 1, sampling: bias(logitBiasRange.max + 1) }),
      (error: unknown) => error instanceof OrchError && error.code === "INVALID_PARAMS",
    );
    for (const value of [logitBiasRange.min, logitBiasRange.max]) {
      const result = await engine
        .submit({ prompt: "hi", maxTokens: 1, sampling: bias(value) })
        .result();
      assert.equal(result.end.tokensOut, 1);
    }
  });
});
