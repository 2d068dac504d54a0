// Model refs: built-in names, paths and file: refs resolve; anything else says what to write instead.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { OrchError } from "../../src/common/errors.js";
import { modelsDir } from "../../src/common/paths.js";
import { resolveModelRef } from "../../src/models/model-ref.js";

describe("resolveModelRef", () => {
  it("builtin:tiny is the generated tiny model", async () => {
    assert.equal(await resolveModelRef("builtin:tiny"), join(modelsDir(), "tiny-f16-s42.gguf"));
  });

  it("paths resolve against the working directory, with or without file:", async () => {
    assert.equal(await resolveModelRef("/models/a.gguf"), "/models/a.gguf");
    assert.equal(await resolveModelRef("file:/models/a.gguf"), "/models/a.gguf");
    assert.equal(await resolveModelRef("models/a.gguf", "/srv"), "/srv/models/a.gguf");
    assert.equal(await resolveModelRef("file:a.bin", "/srv"), "/srv/a.bin");
    assert.equal(await resolveModelRef("a.gguf", "/srv"), "/srv/a.gguf");
  });

  for (const ref of ["tiny", "builtin:huge", "builtin:tiny-q4_k", "hf:org/model", "file:", ""]) {
    it(`"${ref}" is INVALID_PARAMS naming the accepted forms`, async () => {
      await assert.rejects(resolveModelRef(ref), (error: unknown) => {
        assert.ok(error instanceof OrchError);
        assert.equal(error.code, "INVALID_PARAMS");
        assert.match(error.message, /builtin:tiny/);
        return true;
      });
    });
  }
});
