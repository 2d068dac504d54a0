// Adapter workers against a real llama-server built from the pinned llama.cpp: the llamacpp-server
// adapter end to end (generate, seeds, sessions, tokenizer, chat template, cancel, error mapping,
// engine death and return) and the vLLM adapter's OpenAI-compatible path, which llama-server speaks.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { parsePrometheusText, sumOf } from "../../src/adapters/prometheus-text.js";
import { fromServiceError } from "../../src/common/grpc-errors.js";
import { ChatTemplateRequest, FinishReason } from "../../src/gen/llama_orch/v1/common.js";
import type { WorkerHealth } from "../../src/gen/llama_orch/v1/worker.js";
import { LlamaServerProcess } from "../support/llama-server-process.js";
import { RecordingRegistry } from "../support/recording-registry.js";
import { longPrompt } from "../support/tiny.js";
import { collect, describeWorker, generate, rpc } from "../support/worker-calls.js";
import { startWorker, type WorkerProcess } from "../support/worker-process.js";

let engine: LlamaServerProcess;
let registry: RecordingRegistry;

before(async () => {
  engine = await new LlamaServerProcess().start();
  registry = await new RecordingRegistry(100).start();
});
after(async () => {
  registry?.close();
  await engine?.kill();
});

function adapterWorker(name: string, poolId: string): Promise<WorkerProcess> {
  return startWorker(
    ["--control", registry.address, "--pool", poolId, "--model", "builtin:tiny"].concat(
      ["--engine", name, "--endpoint", engine.url, "--served-model", "tiny"],
      ["--backend", "cpu", "--slots", "2"],
    ),
  );
}

async function processing(): Promise<number> {
  const text = await (await fetch(`${engine.url}/metrics`)).text();
  return sumOf(parsePrometheusText(text), "llamacpp:requests_processing") ?? -1;
}

/** Cancels after 3 tokens; returns the outcome and whether the ack came back true. */
async function cancelAfterThree(worker: WorkerProcess, taskId: string) {
  let acknowledged: Promise<{ cancelled: boolean }> | undefined;
  const outcome = await collect(
    generate(worker.client, { taskId, maxTokens: 900 }),
    (count, mark) => {
      if (count !== 3) return;
      acknowledged = rpc((cb) => worker.client.cancel({ taskId }, cb));
      void acknowledged.then(mark);
    },
  );
  return { outcome, ack: await acknowledged };
}

describe("llamacpp-server adapter worker against a real llama-server", { timeout: 300_000 }, () => {
  const poolId = "llama-server-0";
  let worker: WorkerProcess;

  before(async () => {
    worker = await adapterWorker("llamacpp-server", poolId);
    await registry.waitFor(() => registry.registrationsOf(poolId).length > 0, "registration");
  });
  after(() => worker?.kill());

  it("describes the engine: its build, its per-slot context, its features", async () => {
    const description = await describeWorker(worker.client);
    assert.equal(description.engine, "llamacpp-server");
    assert.match(description.engineVersion, /^b\d+/);
    assert.equal(description.model?.contextSize, 1024, "-c 2048 over -np 2");
    assert.equal(description.features.gbnf_grammar, true);
    assert.equal(description.features.strict_determinism, false);
  });

  it("streams llama-server's tokens with their ids; CountTokens counts what it prefilled", async () => {
    const prompt = "Once upon a time there was";
    const { count } = await rpc<{ count: number }>((cb) =>
      worker.client.countTokens({ text: prompt }, cb),
    );
    const outcome = await collect(generate(worker.client, { prompt, maxTokens: 6 }));
    assert.equal(outcome.error, undefined);
    assert.deepEqual(
      outcome.tokens.map((t) => t.i),
      [0, 1, 2, 3, 4, 5],
    );
    assert.ok(outcome.tokens.every((t) => t.id >= 0));
    assert.equal(outcome.end?.finishReason, FinishReason.FINISH_REASON_LENGTH);
    assert.equal(outcome.end?.tokensOut, 6);
    assert.equal(outcome.end?.tokensIn, count);
  });

  it("the seed passes through: the same seed gives the same tokens", async () => {
    const request = { maxTokens: 8, sampling: { temperature: 1, seed: 4242 } };
    const first = await collect(generate(worker.client, request));
    const second = await collect(generate(worker.client, request));
    assert.equal(first.tokens.length, 8);
    assert.deepEqual(
      second.tokens.map((t) => t.id),
      first.tokens.map((t) => t.id),
    );
  });

  it("a session's next turn goes to the slot holding its KV and reuses it", async () => {
    const sessionKey = "s-affinity";
    const first = longPrompt(120);
    await collect(generate(worker.client, { prompt: first, sessionKey, maxTokens: 4 }));
    const next = await collect(
      generate(worker.client, { prompt: `${first} and then`, sessionKey, maxTokens: 4 }),
    );
    assert.ok((next.end?.cachedTokens ?? 0) >= 100, `cached ${next.end?.cachedTokens}`);
    await registry.waitFor(
      () => registry.lastHeartbeat(poolId)?.telemetry?.warmSessions.includes(sessionKey) ?? false,
      "the session reported warm",
    );
  });

  it("renders chat messages with the model's template", async () => {
    const request = ChatTemplateRequest.fromPartial({
      messages: [{ role: "user", content: "hello there" }],
      addAssistant: true,
    });
    const { prompt } = await rpc<{ prompt: string }>((cb) =>
      worker.client.applyChatTemplate(request, cb),
    );
    assert.match(prompt, /hello there/);
    assert.notEqual(prompt, "hello there");
  });

  it("Cancel: no token after the ack; llama-server frees the request", async () => {
    const { outcome, ack } = await cancelAfterThree(worker, "ls-cancel");
    assert.deepEqual(ack, { cancelled: true });
    assert.equal(outcome.tokensAfterMark, 0);
    assert.equal(outcome.end?.finishReason, FinishReason.FINISH_REASON_CANCELLED);
    for (let i = 0; i < 100 && (await processing()) !== 0; i++) await sleep(50);
    assert.equal(await processing(), 0);
  });

  it("a prompt past the slot's context is PROMPT_TOO_LONG, not a 500", async () => {
    const outcome = await collect(
      generate(worker.client, { prompt: longPrompt(1500), maxTokens: 4 }),
    );
    assert.ok(outcome.error);
    assert.equal(fromServiceError(outcome.error).code, "PROMPT_TOO_LONG");
  });

  it("engine death: the running task ends retriable, the pool is unready, then back", async () => {
    const stream = generate(worker.client, { maxTokens: 900 });
    const errors: string[] = [];
    stream.on(
      "data",
      (e: { event?: { $case: string; value: { code?: string; retriable?: boolean } } }) => {
        if (e.event?.$case === "error")
          errors.push(`${e.event.value.code}:${e.event.value.retriable}`);
      },
    );
    const outcome = collect(stream, (count) => {
      if (count === 2) void engine.kill();
    });
    await outcome;
    assert.deepEqual(errors, ["POOL_UNAVAILABLE:true"]);
    await registry.waitFor(
      () => /unreachable/.test(registry.lastHeartbeat(poolId)?.telemetry?.unreadyReason ?? ""),
      "unready with the engine unreachable",
    );
    const health = await rpc<WorkerHealth>((cb) => worker.client.health({}, cb));
    assert.equal(health.ready, false);
    await engine.start();
    await registry.waitFor(
      () => registry.lastHeartbeat(poolId)?.telemetry?.unreadyReason === "",
      "ready once llama-server is back",
      60_000,
    );
    const after = await collect(generate(worker.client, { maxTokens: 3 }));
    assert.equal(after.tokens.length, 3);
  });
});

describe("vllm adapter worker over llama-server's OpenAI-compatible API", {
  timeout: 300_000,
}, () => {
  const poolId = "openai-0";
  let worker: WorkerProcess;

  before(async () => {
    worker = await adapterWorker("vllm", poolId);
    await registry.waitFor(() => registry.registrationsOf(poolId).length > 0, "registration");
  });
  after(() => worker?.kill());

  it("finds the served model and its context in /v1/models", async () => {
    const description = await describeWorker(worker.client);
    assert.equal(description.engine, "vllm");
    assert.equal(description.model?.contextSize, 1024);
  });

  it("streams /v1/completions text and ends with the usage counts", async () => {
    const outcome = await collect(generate(worker.client, { maxTokens: 6 }));
    assert.equal(outcome.error, undefined);
    assert.ok(outcome.tokens.length > 0 && outcome.tokens.length <= 6);
    assert.equal(outcome.end?.finishReason, FinishReason.FINISH_REASON_LENGTH);
    assert.equal(outcome.end?.tokensOut, 6);
    assert.ok((outcome.end?.tokensIn ?? 0) > 0);
  });

  it("Cancel: no token after the ack; the upstream request is freed", async () => {
    const { outcome, ack } = await cancelAfterThree(worker, "oai-cancel");
    assert.deepEqual(ack, { cancelled: true });
    assert.equal(outcome.tokensAfterMark, 0);
    assert.equal(outcome.end?.finishReason, FinishReason.FINISH_REASON_CANCELLED);
    for (let i = 0; i < 100 && (await processing()) !== 0; i++) await sleep(50);
    assert.equal(await processing(), 0);
  });
});
