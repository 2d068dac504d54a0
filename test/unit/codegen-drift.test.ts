// The committed gRPC stubs in src/gen are exactly what the protos generate.
import assert from "node:assert/strict";
import { it } from "node:test";
import { drift } from "../../scripts/codegen.js";

it("src/gen matches a fresh ts-proto generation from proto/", () => {
  assert.deepEqual(drift(), [], "run `npm run codegen` and commit src/gen");
});
