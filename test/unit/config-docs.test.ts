// docs/config.md is generated from the config schema; this fails when someone forgets to regenerate.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import { configDocsPath, renderConfigDocs } from "../../scripts/config-docs.js";

test("docs/config.md matches the schema (regenerate: npx tsx scripts/config-docs.ts)", async () => {
  assert.equal(await readFile(configDocsPath, "utf8"), renderConfigDocs());
});
