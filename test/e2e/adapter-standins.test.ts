// Adapter workers for vLLM, TGI and Triton as real processes, over each engine's wire format
// served by protocol stand-ins with real tokens from our engine: streaming, cancel, load from the
// engine's metrics, error mapping, and an engine that dies, refuses or goes down and comes back.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fromServiceError } from "../../src/common/grpc-errors.js";
import type { Engine } from "../../src/engine/engine.js";
import { FinishReason } from "../../src/gen/llama_orch/v1/common.js";
import type { WorkerHealth } from "../../src/gen/llama_orch/v1/worker.js";
import type { StandinServer } from "../support/engine-standins/standin-server.js";
import { tgiStandin } from "../support/engine-standins/tgi.js";
import { tritonStandin } from "../support/engine-standins/triton.js";
import { vllmStandin } from "../support/engine-standins/vllm.js";
import { RecordingRegistry } from "../support/recording-registry.js";
import { loadTiny } from "../support/tiny.js";
import { collect, describeWorker, generate, rpc } from "../support/worker-calls.js";
import { startWorker, type WorkerProcess } from "../support/worker-process.js";

const SERVED = "tiny";
const prompt = "The river runs past the stone lantern";
const greedy = { temperature: 0, seed: 7 };

const engines = [
  { engine: "vllm", standin: (e: Engine) => vllmStandin(e, SERVED), contextErrors: true },
  { engine: "tgi", standin: (e: Engine) => tgiStandin(e, SERVED), contextErrors: true },
  { engine: "triton", standin: (e: Engine) => tritonStandin(e, SERVED), contextErrors: false },
] as const;

let engine: Engine;
let registry: RecordingRegistry;

before(async () => {
  engine = await loadTiny({ slots: 4 });
  registry = await new RecordingRegistry(100).start();
});
after(async () => {
  registry?.close();
  await engine?.dispose();
});

/** What our engine writes for the request when asked directly: what the adapter must pass on. */
async function direct(maxTokens: number): Promise<string> {
  const sequence = engine.submit({ prompt, maxTokens, sampling: greedy });
  let text = "";
  for await (const event of sequence) if (event.type === "token") text += event.text;
  return text;
}

for (const { engine: name, standin, contextErrors } of engines) {
  describe(`${name} adapter worker against its protocol stand-in`, { timeout: 240_000 }, () => {
    const poolId = `${name}-0`;
    let server: StandinServer;
    let worker: WorkerProcess;

    before(async () => {
      server = await standin(engine).start();
      worker = await startWorker(
        ["--control", registry.address, "--pool", poolId, "--model", "builtin:tiny"].concat(
          ["--engine", name, "--endpoint", server.url, "--served-model", SERVED],
          ["--backend", "cpu", "--slots", "2", "--context-size", "1024"],
        ),
      );
      await registry.waitFor(() => registry.registrationsOf(poolId).length > 0, "registration");
    });
    after(async () => {
      worker?.kill();
      await server?.stop();
    });

    it("registers as its engine, with the features it has and the model name tasks use", async () => {
      const description = await describeWorker(worker.client);
      assert.equal(description.engine, name);
      assert.equal(description.model?.modelRef, "builtin:tiny");
      assert.equal(description.model?.contextSize, 1024);
      assert.equal(description.features.streaming, true);
      assert.equal(description.features.strict_determinism, false);
      assert.equal(registry.registrationsOf(poolId)[0]?.request.telemetry?.unreadyReason, "");
    });

    it("streams the engine's own tokens, in order, then end", async () => {
      const outcome = await collect(
        generate(worker.client, { maxTokens: 8, ignoreEos: false, sampling: greedy }),
      );
      assert.equal(outcome.error, undefined);
      assert.ok(outcome.tokens.length > 0);
      assert.deepEqual(
        outcome.tokens.map((t) => t.i),
        outcome.tokens.map((_, i) => i),
      );
      assert.equal(outcome.tokens.map((t) => t.t).join(""), await direct(8));
      assert.ok(outcome.end, "the stream ends with end");
    });

    it("Cancel: no token after the ack, end cancelled, the upstream request closed", async () => {
      server.faults = { tokenDelayMs: 20 };
      const closedBefore = server.closedByClient;
      let acknowledged: Promise<{ cancelled: boolean }> | undefined;
      const outcome = await collect(
        generate(worker.client, { taskId: `${name}-cancel`, maxTokens: 200 }),
        (count, mark) => {
          if (count !== 3) return;
          acknowledged = rpc((cb) => worker.client.cancel({ taskId: `${name}-cancel` }, cb));
          void acknowledged.then(mark);
        },
      );
      server.faults = {};
      assert.deepEqual(await acknowledged, { cancelled: true });
      assert.equal(outcome.tokensAfterMark, 0);
      assert.equal(outcome.end?.finishReason, FinishReason.FINISH_REASON_CANCELLED);
      assert.equal(outcome.end?.tokensOut, outcome.tokens.length);
      for (let i = 0; i < 100 && server.closedByClient === closedBefore; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(server.closedByClient, closedBefore + 1, "the engine saw the disconnect");
    });

    it("Cancel at random moments, before the first token included: never a token after the ack", async () => {
      server.faults = { tokenDelayMs: 5 };
      for (let round = 0; round < 4; round++) {
        const at = round === 0 ? 0 : Math.floor(Math.random() * 12);
        const taskId = `${name}-random-${round}`;
        let seen = 0;
        let atAck: number | undefined;
        let asking = false;
        let ended = false;
        const cancel = () => {
          if (asking || atAck !== undefined) return;
          asking = true;
          rpc<{ cancelled: boolean }>((cb) => worker.client.cancel({ taskId }, cb)).then(
            (reply) => {
              asking = false;
              if (reply.cancelled) atAck = seen;
              // Not live yet (the call is still on its way): ask again.
              else if (!ended) setTimeout(cancel, 5);
            },
          );
        };
        const stream = generate(worker.client, { taskId, maxTokens: 40 });
        stream.on("data", (e: { event?: { $case: string } }) => {
          if (e.event?.$case !== "token") return;
          seen += 1;
          if (seen >= at) cancel();
        });
        if (at === 0) cancel();
        const done = await collect(stream);
        ended = true;
        // The ack may come back after the stream's end: wait for it before judging.
        for (let i = 0; i < 100 && atAck === undefined && done.tokens.length >= at; i++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        assert.ok(
          atAck !== undefined || done.tokens.length < at,
          `round ${round}: acked (at ${at}, ${done.tokens.length} tokens, end ${done.end?.finishReason})`,
        );
        assert.equal(
          seen,
          atAck ?? seen,
          `round ${round}, cancel at ${at}: no token after the ack`,
        );
        assert.ok(done.end, `round ${round} ends with end`);
      }
      server.faults = {};
    });

    it("reports the engine's own running and waiting counts as its load", async () => {
      server.faults = { otherRunning: 3, otherWaiting: 2 };
      await registry.waitFor(() => {
        const t = registry.lastHeartbeat(poolId)?.telemetry;
        return t?.slotsBusy === 3 && t.pending === 2;
      }, "telemetry from the engine's metrics");
      server.faults = {};
    });

    it("strict determinism is refused with ENGINE_UNSUPPORTED", async () => {
      const outcome = await collect(generate(worker.client, { strict: true }));
      assert.ok(outcome.error);
      assert.equal(fromServiceError(outcome.error).code, "ENGINE_UNSUPPORTED");
    });

    it("an overloaded engine (429) is ENGINE_BUSY with retry advice", async () => {
      server.faults = { refuseWith: 429 };
      const outcome = await collect(generate(worker.client, {}));
      server.faults = {};
      assert.ok(outcome.error);
      const error = fromServiceError(outcome.error);
      assert.equal(error.code, "ENGINE_BUSY");
      assert.ok((error.retryAfterMs ?? 0) > 0);
    });

    if (contextErrors) {
      it("a prompt past the engine's context is PROMPT_TOO_LONG", async () => {
        const outcome = await collect(generate(worker.client, { maxTokens: 5000 }));
        assert.ok(outcome.error);
        assert.equal(fromServiceError(outcome.error).code, "PROMPT_TOO_LONG");
      });
    }

    it("an engine that dies mid-stream ends the task with a retriable error", async () => {
      server.faults = { dieAfterTokens: 2 };
      const events: string[] = [];
      const stream = generate(worker.client, { maxTokens: 50 });
      stream.on(
        "data",
        (e: { event?: { $case: string; value: { code?: string; retriable?: boolean } } }) => {
          if (e.event?.$case === "error")
            events.push(`${e.event.value.code}:${e.event.value.retriable}`);
        },
      );
      const outcome = await collect(stream);
      server.faults = {};
      assert.equal(outcome.tokens.length, 2);
      assert.deepEqual(events, ["POOL_UNAVAILABLE:true"]);
    });

    it("an engine that is down makes the pool unready with the reason, and ready once back", async () => {
      server.faults = { down: true };
      await registry.waitFor(
        () => /503/.test(registry.lastHeartbeat(poolId)?.telemetry?.unreadyReason ?? ""),
        "a heartbeat unready with the engine's answer",
      );
      const health = await rpc<WorkerHealth>((cb) => worker.client.health({}, cb));
      assert.equal(health.ready, false);
      assert.match(health.lastError, /503/);
      const refused = await collect(generate(worker.client, {}));
      assert.equal(refused.error && fromServiceError(refused.error).code, "POOL_UNREADY");
      server.faults = {};
      await registry.waitFor(
        () => registry.lastHeartbeat(poolId)?.telemetry?.unreadyReason === "",
        "a ready heartbeat",
      );
    });
  });
}
