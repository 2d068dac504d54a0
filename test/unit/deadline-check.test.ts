// The deadline check at admission: a task refused only when it named a deadline its predicted
// start plus decode would miss, with the prediction in the message.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { OrchError } from "../../src/common/errors.js";
import { checkDeadline } from "../../src/control/deadline-check.js";

describe("checkDeadline", () => {
  const explicit = { deadlineMs: 1000, deadlineFromRequest: true };

  test("a predicted end past the deadline is DEADLINE_UNMET with the prediction", () => {
    assert.throws(
      () => checkDeadline(explicit, { startMs: 400, decodeMs: 700 }),
      (e: unknown) =>
        e instanceof OrchError &&
        e.code === "DEADLINE_UNMET" &&
        /start in 400 ms plus decode of 700 ms ends at 1100 ms/.test(e.message),
    );
  });

  test("a predicted end exactly at the deadline is accepted", () => {
    assert.doesNotThrow(() => checkDeadline(explicit, { startMs: 400, decodeMs: 600 }));
  });

  test("a task that named no deadline is never refused as late", () => {
    const defaulted = { deadlineMs: 1000, deadlineFromRequest: false };
    assert.doesNotThrow(() => checkDeadline(defaulted, { startMs: 5000, decodeMs: 5000 }));
  });
});
