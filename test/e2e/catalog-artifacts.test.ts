// Catalog, artifacts and task transcripts over real gRPC against a real `llama-orch serve`.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { credentials } from "@grpc/grpc-js";
import { OrchError } from "../../src/common/errors.js";
import { type Artifact, ArtifactsClient } from "../../src/gen/llama_orch/v1/artifacts.js";
import {
  CatalogClient,
  type CatalogEntry,
  type DeleteModelResponse,
  ModelState,
  Verification,
} from "../../src/gen/llama_orch/v1/catalog.js";
import type { TaskRecord } from "../../src/gen/llama_orch/v1/orchestrator.js";
import type { PoolHealth } from "../../src/gen/llama_orch/v1/pool.js";
import { submit, unary } from "../support/grpc-calls.js";
import { type ServeProcess, startServe } from "../support/serve-process.js";

const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 2048, threads: 1 }
`;

function code(expected: string) {
  return (error: unknown) => error instanceof OrchError && error.code === expected;
}

describe("catalog and artifacts over gRPC", () => {
  let serve: ServeProcess;
  let catalog: CatalogClient;
  let artifacts: ArtifactsClient;
  before(async () => {
    serve = await startServe({ config });
    catalog = new CatalogClient(serve.address, credentials.createInsecure());
    artifacts = new ArtifactsClient(serve.address, credentials.createInsecure());
  });
  after(async () => {
    catalog.close();
    artifacts.close();
    await serve.stop();
  });

  it("catalogs builtin:tiny with the pool's digest, verifies, retires and deletes it", async () => {
    const health = await unary<PoolHealth>((cb) => serve.pools.health({ poolId: "cpu-0" }, cb));
    const digest = `sha256:${health.modelDigest}`;
    const created = await unary<CatalogEntry>((cb) =>
      catalog.createModel({ id: "tiny", modelRef: "builtin:tiny", digest, metadata: {} }, cb),
    );
    assert.equal(created.digest, digest);
    assert.equal(created.verification, Verification.VERIFICATION_PASS);
    assert.ok(created.sizeBytes > 0);
    const verified = await unary<CatalogEntry>((cb) => catalog.verifyModel({ id: "tiny" }, cb));
    assert.equal(verified.verification, Verification.VERIFICATION_PASS);
    assert.ok(verified.lastVerifiedMs >= created.createdMs);
    const retired = await unary<CatalogEntry>((cb) =>
      catalog.setModelState({ id: "tiny", state: ModelState.MODEL_STATE_RETIRED }, cb),
    );
    assert.equal(retired.state, ModelState.MODEL_STATE_RETIRED);
    const got = await unary<CatalogEntry>((cb) => catalog.getModel({ id: "tiny" }, cb));
    assert.equal(got.state, ModelState.MODEL_STATE_RETIRED);
    const refused = await submit(serve.orchestrator, {
      prompt: "hi",
      maxTokens: 2,
      modelRef: "tiny",
    });
    assert.equal(refused.error?.code, "MODEL_DEPRECATED");
    // Retiring one catalog name of builtin:tiny retires that name only (issue 14).
    const other = await submit(serve.orchestrator, {
      prompt: "hi",
      maxTokens: 2,
      modelRef: "builtin:tiny",
    });
    assert.equal(other.error, undefined);
    const deleted = await unary<DeleteModelResponse>((cb) =>
      catalog.deleteModel({ id: "tiny" }, cb),
    );
    assert.equal(deleted.deleted, true);
    const served = await submit(serve.orchestrator, {
      prompt: "hi",
      maxTokens: 2,
      modelRef: "builtin:tiny",
    });
    assert.equal(served.error, undefined, "a deleted entry retires nothing");
    await assert.rejects(
      unary((cb) => catalog.getModel({ id: "tiny" }, cb)),
      code("CATALOG_ENTRY_NOT_FOUND"),
    );
  });

  it("refuses a wrong digest and an hf: ref with typed errors", async () => {
    const wrong = `sha256:${"0".repeat(64)}`;
    await assert.rejects(
      unary((cb) =>
        catalog.createModel({ id: "x", modelRef: "builtin:tiny", digest: wrong, metadata: {} }, cb),
      ),
      code("MODEL_DIGEST_MISMATCH"),
    );
    await assert.rejects(
      unary((cb) =>
        catalog.createModel(
          { id: "", modelRef: "hf:org/repo/m.gguf", digest: "", metadata: {} },
          cb,
        ),
      ),
      code("INVALID_PARAMS"),
    );
  });

  it("stores and reads back a content-addressed artifact", async () => {
    const content = Buffer.from(JSON.stringify({ plan: ["a", "b"] }));
    const request = {
      kind: "plan",
      content,
      contentType: "application/json",
      tags: ["t1"],
      parent: "",
      metadata: { who: "e2e" },
    };
    const created = await unary<Artifact>((cb) => artifacts.createArtifact(request, cb));
    assert.match(created.id, /^sha256:[0-9a-f]{64}$/);
    const again = await unary<Artifact>((cb) => artifacts.createArtifact(request, cb));
    assert.equal(again.id, created.id);
    const got = await unary<Artifact>((cb) => artifacts.getArtifact({ id: created.id }, cb));
    assert.deepEqual(Buffer.from(got.content), content);
    assert.deepEqual(got.metadata, { who: "e2e" });
    await assert.rejects(
      unary((cb) => artifacts.getArtifact({ id: `sha256:${"f".repeat(64)}` }, cb)),
      code("ARTIFACT_NOT_FOUND"),
    );
  });

  it("OC-CTRL-2067 HME-022 stores a task's transcript as a trace artifact named by its record", async () => {
    const out = await submit(serve.orchestrator, { prompt: "Hi", maxTokens: 4, ignoreEos: true });
    const admitted = out.events[0]?.event;
    assert.ok(admitted?.$case === "admitted");
    const { taskId, sessionId } = admitted.value;
    const record = await transcriptRecord(serve, taskId);
    const trace = await unary<Artifact>((cb) =>
      artifacts.getArtifact({ id: record.transcriptArtifactId }, cb),
    );
    assert.equal(trace.kind, "trace");
    assert.deepEqual(trace.tags, ["sse", "stream", `task:${taskId}`, `session:${sessionId}`]);
    assert.equal(trace.metadata.pool_id, "cpu-0");
    assert.equal(trace.metadata.model_digest, record.modelDigest);
    const doc = JSON.parse(Buffer.from(trace.content).toString("utf8")) as {
      task_id: string;
      events: { type: string; data: Record<string, unknown> }[];
    };
    assert.equal(doc.task_id, taskId);
    assert.deepEqual(
      doc.events.map((e) => e.type),
      out.kinds,
    );
    assert.equal(doc.events[0]?.type, "admitted");
    assert.equal(doc.events.at(-1)?.type, "end");
    // The SSE stream's names and fields, the first token at index 0.
    const byType = (type: string) => doc.events.filter((e) => e.type === type).map((e) => e.data);
    assert.deepEqual(
      byType("token").map((t) => t.i),
      [0, 1, 2, 3],
    );
    assert.equal(typeof byType("token")[0]?.t, "string");
    assert.equal(byType("started")[0]?.pool_id, "cpu-0");
    assert.equal(typeof byType("started")[0]?.queue_position, "number");
    assert.equal(byType("end")[0]?.tokens_out, 4);
    assert.equal(byType("end")[0]?.finish_reason, "length");
    assert.equal(byType("admitted")[0]?.task_id, taskId);
  });
});

/** GetTask until the ended task's record names its transcript (the end record is saved async). */
async function transcriptRecord(serve: ServeProcess, taskId: string): Promise<TaskRecord> {
  const until = Date.now() + 10_000;
  for (;;) {
    const record = await unary<TaskRecord>((cb) => serve.orchestrator.getTask({ taskId }, cb));
    if (record.transcriptArtifactId !== "") return record;
    if (Date.now() > until) throw new Error(`task ${taskId} has no transcript id`);
    await sleep(50);
  }
}
