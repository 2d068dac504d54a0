// The committed OpenAPI types in src/gen/openapi are exactly what contracts/openapi generates.
import assert from "node:assert/strict";
import { it } from "node:test";
import { drift } from "../../scripts/openapi-types.js";

it("src/gen/openapi matches a fresh openapi-typescript generation from contracts/openapi", async () => {
  assert.deepEqual(await drift(), [], "run `npm run codegen:openapi` and commit src/gen/openapi");
});
