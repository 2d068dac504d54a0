// requirements/*.yaml is well-formed and test titles cite only ids it defines.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { coverage, loadCitations, loadRequirements } from "../../scripts/requirements-coverage.js";

describe("requirements", () => {
  const requirements = loadRequirements();

  it("gives every requirement a unique id and non-empty text", () => {
    assert.ok(requirements.length > 0);
    const ids = requirements.map((r) => r.id);
    const duplicates = ids.filter((id, index) => ids.indexOf(id) !== index);
    assert.deepEqual(duplicates, []);
    for (const r of requirements) assert.ok(r.text.trim().length > 0, `${r.file}: ${r.id}`);
  });

  it("is cited by test titles only with ids that requirements/ defines", () => {
    const result = coverage(requirements, loadCitations());
    assert.deepEqual(result.unknown, []);
    // Uncited ids are listed, not failed: the HTTP gateway's tests will cite them.
    console.log(
      `requirements not cited by a test (${result.uncited.length}): ${result.uncited.join(", ")}`,
    );
  });

  it("finds ids in it/test/describe titles and reports unknown ones", () => {
    const result = coverage(
      [{ id: "ORCH-2001", text: "t", file: "x.yaml" }],
      [
        { id: "ORCH-2001", file: "a.test.ts", title: "ORCH-2001 admits" },
        { id: "ORCH-9999", file: "a.test.ts", title: "ORCH-9999 nope" },
      ],
    );
    assert.deepEqual(result.cited, ["ORCH-2001"]);
    assert.deepEqual(result.uncited, []);
    assert.deepEqual(
      result.unknown.map((c) => c.id),
      ["ORCH-9999"],
    );
  });
});
