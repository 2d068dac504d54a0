// A failed worker call maps once to a registry error: the worker's own code when it sent one, a
// dropped connection to a retriable WORKER_RESET, a missed deadline to a retriable POOL_UNAVAILABLE.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { OrchError } from "../../src/common/errors.js";
import { toStatus } from "../../src/common/grpc-errors.js";
import { workerError } from "../../src/control/worker-client.js";

function failed(code: status, details: string, metadata = new Metadata()): ServiceError {
  return Object.assign(new Error(details), { code, details, metadata });
}

describe("worker client: one error mapping", () => {
  it("keeps the registry code a worker handler failed with", () => {
    const sent = toStatus(new OrchError("PROMPT_TOO_LONG", "the prompt has 9000 tokens"));
    const reply = failed(sent.code ?? status.UNKNOWN, sent.details ?? "", sent.metadata);
    const error = workerError("p", "countTokens", reply);
    assert.equal(error.code, "PROMPT_TOO_LONG");
    assert.equal(error.message, "the prompt has 9000 tokens");
  });

  it("a dropped connection or cancelled call is a retriable WORKER_RESET naming the pool", () => {
    for (const code of [status.UNAVAILABLE, status.CANCELLED]) {
      const error = workerError("gpu-1", "Generate", failed(code, "Connection dropped"));
      assert.equal(error.code, "WORKER_RESET");
      assert.equal(error.retriable, true);
      assert.match(error.message, /pool gpu-1 .*Connection dropped/);
    }
  });

  it("a worker too slow for the call's deadline is a retriable POOL_UNAVAILABLE", () => {
    const error = workerError("cpu-0", "preparePrompt", failed(status.DEADLINE_EXCEEDED, "late"));
    assert.equal(error.code, "POOL_UNAVAILABLE");
    assert.equal(error.retriable, true);
    assert.match(error.message, /cpu-0 did not answer preparePrompt in time/);
  });
});
