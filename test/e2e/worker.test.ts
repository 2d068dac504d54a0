// The worker as a real process over loopback: registration, heartbeats, the Worker service, model switch.
import assert from "node:assert/strict";
import { copyFile, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type ServiceError, status } from "@grpc/grpc-js";
import { fromServiceError } from "../../src/common/grpc-errors.js";
import { fakeNvmlPath } from "../../src/common/paths.js";
import { FinishReason } from "../../src/gen/llama_orch/v1/common.js";
import {
  GenerateRequest,
  type WorkerClient,
  type WorkerDescription,
} from "../../src/gen/llama_orch/v1/worker.js";
import { ensureModel } from "../../src/models/ensure-model.js";
import { modelDigest } from "../../src/models/model-digest.js";
import { writeHandoff } from "../../src/models/model-handoff.js";
import { flipLastByte } from "../support/flip-byte.js";
import { RecordingRegistry } from "../support/recording-registry.js";
import { collect, describeWorker, generate, rpc } from "../support/worker-calls.js";
import { cleanEnv, startWorker, type WorkerProcess } from "../support/worker-process.js";

const poolId = "cpu0";

describe("worker process", { timeout: 300_000 }, () => {
  let registry: RecordingRegistry;
  let worker: WorkerProcess;
  let client: WorkerClient;

  before(async () => {
    registry = await new RecordingRegistry(100).start();
    await ensureModel("tiny", "q8_0");
    worker = await startWorker(
      ["--control", registry.address, "--pool", poolId, "--model", "builtin:tiny"].concat([
        "--backend",
        "cpu",
        "--slots",
        "2",
        "--context-size",
        "2048",
        "--threads",
        "2",
        // Every step as its own message: these tests count tokens per step (the pacing a CPU
        // pool has by default is tested in token-batches.test.ts).
        "--stream-interval-ms",
        "0",
      ]),
      cleanEnv({ LLAMA_ORCH_NVML_LIB: fakeNvmlPath }),
    );
    client = worker.client;
    await registry.waitFor(() => registry.registrationsOf(poolId).length > 0, "registration");
  });
  after(() => {
    worker?.kill();
    registry?.close();
  });

  it("registers with its address, its description and telemetry", () => {
    const [first] = registry.registrationsOf(poolId);
    assert.equal(first?.request.address, worker.address);
    assert.equal(first?.request.description?.model?.modelRef, "builtin:tiny");
    assert.equal(first?.request.telemetry?.slotsTotal, 2);
    assert.equal(first?.authorization, undefined);
  });

  it("Describe reports the model digest, slots, engine and backend", async () => {
    const description = await describeWorker(client);
    assert.equal(description.model?.digest, await modelDigest(await ensureModel("tiny")));
    assert.equal(description.slots, 2);
    assert.equal(description.model?.contextSize, 2048);
    assert.equal(description.poolId, poolId);
    assert.equal(description.backend, "cpu");
    assert.equal(description.engine, "llamacpp");
    assert.ok(description.engineVersion.length > 0);
    assert.equal(description.workerId, registry.registrationsOf(poolId).at(-1)?.workerId);
  });

  it("Generate with ignore_eos gives exactly max_tokens tokens, then end(length); CountTokens agrees", async () => {
    const prompt = "Once upon a time <|end|> there was";
    const { count } = await rpc<{ count: number }>((cb) =>
      client.countTokens({ text: prompt }, cb),
    );
    const outcome = await collect(generate(client, { prompt, maxTokens: 6 }));
    assert.equal(outcome.error, undefined);
    assert.deepEqual(
      outcome.tokens.map((token) => token.i),
      [0, 1, 2, 3, 4, 5],
    );
    assert.equal(outcome.end?.finishReason, FinishReason.FINISH_REASON_LENGTH);
    assert.equal(outcome.end?.tokensOut, 6);
    assert.equal(outcome.end?.tokensIn, count, "CountTokens counts what Generate prefills");
    assert.equal(outcome.end?.decodeMs, outcome.end?.decodeTimeMs);
  });

  it("the same seed gives the same tokens", async () => {
    const request = { maxTokens: 8, sampling: { temperature: 1, seed: 1234 } };
    const first = await collect(generate(client, request));
    const second = await collect(generate(client, request));
    assert.equal(first.tokens.length, 8);
    assert.deepEqual(
      second.tokens.map((token) => token.id),
      first.tokens.map((token) => token.id),
    );
  });

  it("Cancel by task id: no token after it is acknowledged, end cancelled", async () => {
    let acknowledged: Promise<{ cancelled: boolean }> | undefined;
    const stream = generate(client, { taskId: "cancel-rpc", maxTokens: 1900 });
    const outcome = await collect(stream, (count, mark) => {
      if (count !== 3) return;
      acknowledged = rpc((cb) => client.cancel({ taskId: "cancel-rpc" }, cb));
      void acknowledged.then(mark);
    });
    assert.deepEqual(await acknowledged, { cancelled: true });
    assert.equal(outcome.tokensAfterMark, 0);
    assert.equal(outcome.end?.finishReason, FinishReason.FINISH_REASON_CANCELLED);
    assert.ok((outcome.end?.tokensOut ?? 1900) < 1900);
    const again = await rpc<{ cancelled: boolean }>((cb) =>
      client.cancel({ taskId: "cancel-rpc" }, cb),
    );
    assert.equal(again.cancelled, false, "an ended task is unknown");
  });

  /** The worker's own account of how a task ended. */
  function taskEnd(taskId: string) {
    return worker.waitForLog((entry) => entry.msg === "generate ended" && entry.task_id === taskId);
  }

  it("cancelling the call cancels the sequence on the worker", async () => {
    const stream = generate(client, { taskId: "cancel-call", maxTokens: 1900 });
    const outcome = await collect(stream, (count) => {
      if (count === 3) stream.cancel();
    });
    assert.equal(outcome.error?.code, status.CANCELLED);
    assert.equal(outcome.tokens.length, 3);
    const end = await taskEnd("cancel-call");
    assert.equal(end.finish_reason, "cancelled");
    assert.ok((end.tokens_out as number) < 1900);
  });

  it("a deadline cancels the sequence like a client cancel", async () => {
    const request = GenerateRequest.fromPartial({
      taskId: "deadline",
      prompt: "deadline",
      maxTokens: 1900,
      ignoreEos: true,
    });
    const outcome = await collect(client.generate(request, { deadline: Date.now() + 150 }));
    assert.equal(outcome.error?.code, status.DEADLINE_EXCEEDED);
    const end = await taskEnd("deadline");
    assert.equal(end.finish_reason, "cancelled");
    assert.ok((end.tokens_out as number) < 1900);
  });

  it("max_tokens 0 fails the call with INVALID_PARAMS", async () => {
    const outcome = await collect(generate(client, { maxTokens: 0 }));
    assert.ok(outcome.error, "the call fails");
    assert.equal(outcome.error.code, status.INVALID_ARGUMENT);
    assert.equal(fromServiceError(outcome.error).code, "INVALID_PARAMS");
    assert.equal(outcome.tokens.length, 0);
  });

  it("heartbeats carry telemetry: slots and both fake GPUs", async () => {
    const count = registry.heartbeats.length;
    await registry.waitFor(() => registry.heartbeats.length > count + 1, "two heartbeats");
    const telemetry = registry.lastHeartbeat(poolId)?.telemetry;
    assert.equal(telemetry?.slotsTotal, 2);
    assert.ok((telemetry?.kvCellsTotal ?? 0) > 0);
    assert.deepEqual(
      telemetry?.devices.map((device) => device.name),
      ["NVIDIA GeForce RTX 3090", "NVIDIA GeForce RTX 3060"],
    );
    assert.equal(telemetry?.devices[0]?.memoryTotalBytes, 24 * 1024 ** 3);
  });

  it("an unknown-worker answer makes the worker register again", async () => {
    const count = registry.registrationsOf(poolId).length;
    registry.known = false;
    await registry.waitFor(() => registry.registrationsOf(poolId).length > count, "re-register");
    registry.known = true;
    const newId = registry.registrationsOf(poolId).at(-1)?.workerId;
    await registry.waitFor(
      () => registry.lastHeartbeat(poolId)?.workerId === newId,
      "a heartbeat under the new id",
    );
    assert.equal((await describeWorker(client)).workerId, newId);
  });

  it("LoadModel switches to builtin:tiny-q8_0 while an earlier Generate completes", async () => {
    const q8Digest = await modelDigest(await ensureModel("tiny", "q8_0"));
    let switched: Promise<WorkerDescription> | undefined;
    let received = 0;
    let tokensAtSwitch = -1;
    const outcome = await collect(generate(client, { taskId: "old", maxTokens: 1000 }), (count) => {
      received = count;
      if (count !== 1) return;
      switched = rpc<WorkerDescription>((cb) =>
        client.loadModel({ modelRef: "builtin:tiny-q8_0", modelPath: "", handoffPath: "" }, cb),
      ).then((description) => {
        tokensAtSwitch = received;
        return description;
      });
    });
    const description = await switched;
    assert.equal(description?.model?.digest, q8Digest);
    assert.equal(description?.model?.modelRef, "builtin:tiny-q8_0");
    assert.equal(outcome.end?.finishReason, FinishReason.FINISH_REASON_LENGTH);
    assert.equal(outcome.end?.tokensOut, 1000);
    assert.ok(tokensAtSwitch < 1000, "the switch completed while the old model was generating");
    const oldEnd = await taskEnd("old");
    assert.equal(oldEnd.model_digest, await modelDigest(await ensureModel("tiny")));
    assert.equal((await describeWorker(client)).model?.digest, q8Digest);
    const next = await collect(generate(client, { maxTokens: 3 }));
    assert.equal(next.end?.tokensOut, 3);
  });

  it("LoadModel to a missing file is MODEL_NOT_FOUND and the current model keeps serving", async () => {
    const before = (await describeWorker(client)).model?.digest;
    const error = await rpc((cb) =>
      client.loadModel(
        { modelRef: "/nonexistent/llama-orch/model.gguf", modelPath: "", handoffPath: "" },
        cb,
      ),
    ).then(
      () => assert.fail("the load should fail"),
      (failure: ServiceError) => failure,
    );
    assert.equal(error.code, status.NOT_FOUND);
    assert.equal(fromServiceError(error).code, "MODEL_NOT_FOUND");
    assert.equal((await describeWorker(client)).model?.digest, before);
    const health = await rpc<{ ready: boolean; lastError: string }>((cb) => client.health({}, cb));
    assert.equal(health.ready, true);
    assert.match(health.lastError, /nonexistent/);
    const next = await collect(generate(client, { maxTokens: 2 }));
    assert.equal(next.end?.tokensOut, 2);
  });

  it("MODP: LoadModel from a handoff JSON loads the file it names and refuses one whose digest differs", async () => {
    const dir = await mkdtemp(join(tmpdir(), "llama-orch-handoff-"));
    try {
      const copy = join(dir, "tiny-copy.gguf");
      await copyFile(await ensureModel("tiny", "q8_0"), copy);
      const digest = `sha256:${await modelDigest(copy)}`;
      const size = (await stat(copy)).size;
      const model = { id: "tiny-copy", path: copy, digest, verified: true };
      const handoffPath = await writeHandoff(dir, {
        model,
        metadata: { size_bytes: size, ctx_max: null },
      });
      const load = () =>
        rpc<WorkerDescription>((cb) =>
          client.loadModel({ modelRef: "tiny-copy", modelPath: "", handoffPath }, cb),
        );
      const loaded = await load();
      assert.equal(`sha256:${loaded.model?.digest}`, digest);
      assert.equal(loaded.model?.modelRef, "tiny-copy");
      // Same size, other bytes: what a disk fault or a swapped file looks like to the worker.
      await flipLastByte(copy);
      const refused = await load().then(
        () => assert.fail("a file that is not the one vouched for must not load"),
        (failure: ServiceError) => fromServiceError(failure),
      );
      assert.equal(refused.code, "MODEL_DIGEST_MISMATCH");
      assert.match(refused.message, new RegExp(`handoff says ${digest}`));
      assert.equal((await describeWorker(client)).model?.modelRef, "tiny-copy");
      const next = await collect(generate(client, { maxTokens: 2 }));
      assert.equal(next.end?.tokensOut, 2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("keeps stdout clean: logs go to stderr", () => {
    assert.equal(worker.stdout(), "");
    assert.ok(worker.logs.some((line) => line.msg === "registered with the control plane"));
  });
});
