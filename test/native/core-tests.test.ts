// Runs the engine core's plain C++ tests (built with the addon) against the tiny model.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { it } from "node:test";
import { promisify } from "node:util";
import { repoRoot } from "../../src/common/paths.js";
import { tinyModelPath } from "../support/tiny.js";

it("the C++ core tests pass (text stream, planner, command queue, engine loop)", async () => {
  const binary = join(repoRoot, "build", "core_tests");
  const { stdout } = await promisify(execFile)(binary, [await tinyModelPath()], {
    timeout: 120_000,
  });
  assert.match(stdout, /^\d+ passed, 0 failed$/m);
  assert.doesNotMatch(stdout, /^not ok/m);
});
