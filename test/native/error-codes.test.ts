// The addon raises only codes the registry knows, and the registry maps each once to gRPC and HTTP.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { errorCodes, GrpcStatus, OrchError } from "../../src/common/errors.js";
import { addon } from "../../src/engine/binding.js";

describe("error registry", () => {
  it("knows every code the addon can raise", () => {
    assert.ok(addon.errorCodes.length >= 10);
    for (const code of addon.errorCodes)
      assert.ok(Object.hasOwn(errorCodes, code), `${code} is not in src/common/errors.ts`);
  });

  it("maps each code to a real HTTP status and gRPC status", () => {
    const grpc = new Set<number>(Object.values(GrpcStatus));
    for (const [code, info] of Object.entries(errorCodes)) {
      assert.ok(info.http >= 400 && info.http < 600, `${code} http ${info.http}`);
      assert.ok(grpc.has(info.grpc), `${code} grpc ${info.grpc}`);
    }
  });

  it("carries retry advice into OrchError", () => {
    const error = new OrchError("ADMISSION_REJECT", "queue full", { retryAfterMs: 2000 });
    assert.equal(error.retriable, true);
    assert.equal(error.retryAfterMs, 2000);
    assert.equal(error.httpStatus, 429);
    assert.equal(new OrchError("INVALID_PARAMS", "bad").retriable, false);
  });

  it("reports the llama.cpp commit it was built from", () => {
    assert.match(addon.llamaCppCommit, /^[0-9a-f]{40}$/);
  });
});
