// The data plane over real HTTP: admission, backpressure, validation, cancel and sessions against
// a real `llama-orch serve` on the tiny model.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Ajv } from "ajv";
import { request } from "undici";
import { enqueue, type RunningTask, startTask, submit } from "../support/grpc-calls.js";
import { type Answer, call } from "../support/http-calls.js";
import { type ServeProcess, startServe } from "../support/serve-process.js";

const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
admission: { queue_capacity: 2, policy: reject }
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 4096, threads: 1 }
`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Asserts `answer` is our error envelope with `status` and `code`. */
function assertEnvelope(answer: Answer, status: number, code: string): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.body?.code, code);
  assert.equal(typeof answer.body?.message, "string");
  assert.equal(typeof answer.body?.retriable, "boolean");
  assert.match(String(answer.headers["x-correlation-id"]), UUID);
}

/** Admits a task over HTTP and reads its SSE stream to the end: the generated text. */
async function runText(serve: ServeProcess, body: Record<string, unknown>) {
  const admitted = await call(serve, "POST", "/v1/tasks", {
    json: { model_ref: "builtin:tiny", ...body },
  });
  assert.equal(admitted.status, 202, JSON.stringify(admitted.body));
  const taskId = String(admitted.body?.task_id);
  const res = await request(`${serve.http}/v1/tasks/${taskId}/stream`);
  const frames = (await res.body.text()).split("\n\n").filter((f) => f.startsWith("event: "));
  const tokens = frames.filter((f) => f.startsWith("event: token\n"));
  const text = tokens.map((f) => (JSON.parse(f.split("data: ")[1] ?? "{}") as { t: string }).t);
  assert.ok(frames.at(-1)?.startsWith("event: end\n"), frames.at(-1));
  return { taskId, text: text.join("") };
}

function holdSlot(serve: ServeProcess): Promise<RunningTask> {
  return startTask(serve.orchestrator, { prompt: "hold", maxTokens: 3000, ignoreEos: true });
}

describe("data plane over HTTP", () => {
  let serve: ServeProcess;
  before(async () => {
    serve = await startServe({ config });
  });
  after(() => serve?.stop());

  it("ORCH-2001 OC-CTRL-2050 admits a task: 202 AdmissionResponse with its stream URLs", async () => {
    const taskId = randomUUID();
    const answer = await call(serve, "POST", "/v1/tasks", {
      json: { task_id: taskId, model_ref: "builtin:tiny", prompt: "Hello", max_tokens: 4 },
      headers: { "x-correlation-id": "corr-admit-1" },
    });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    assert.equal(answer.headers["x-correlation-id"], "corr-admit-1");
    assert.equal(answer.body?.task_id, taskId);
    assert.equal(typeof answer.body?.queue_position, "number");
    assert.equal(typeof answer.body?.predicted_start_ms, "number");
    assert.equal(answer.body?.backoff_ms, 0);
    assert.deepEqual(answer.body?.streams, {
      sse: `/v1/tasks/${taskId}/stream`,
      sse_verbose: `/v1/tasks/${taskId}/stream?verbose=true`,
    });
    assert.equal(answer.headers["x-budget-tokens-remaining"], undefined, "no budgets, no header");
  });

  it("HME-020 sends X-Budget-Tokens-Remaining when the session has a token budget", async () => {
    const sessionId = randomUUID();
    const first = await submit(serve.orchestrator, {
      sessionId,
      prompt: "a",
      maxTokens: 5,
      ignoreEos: true,
      budgets: { tokens: 100 },
    });
    assert.equal(first.error, undefined);
    const answer = await call(serve, "POST", "/v1/tasks", {
      json: { session_id: sessionId, model_ref: "builtin:tiny", prompt: "b", max_tokens: 10 },
    });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    assert.equal(answer.body?.session_id, sessionId);
    assert.equal(answer.headers["x-budget-tokens-remaining"], "85");
    assert.equal(answer.headers["x-budget-time-remaining-ms"], undefined);
  });

  it("ORCH-2007 OC-CTRL-2030 HME-032 answers 429 ADMISSION_REJECT with Retry-After, X-Backoff-Ms and a message saying when to retry", async () => {
    const hold = await holdSlot(serve);
    await enqueue(serve.orchestrator, { prompt: "q1", maxTokens: 2 });
    await enqueue(serve.orchestrator, { prompt: "q2", maxTokens: 2 });
    const answer = await call(serve, "POST", "/v1/tasks", {
      json: { model_ref: "builtin:tiny", prompt: "one too many", max_tokens: 2 },
    });
    assertEnvelope(answer, 429, "ADMISSION_REJECT");
    const retryMs = Number(answer.body?.retry_after_ms);
    assert.ok(retryMs > 0, `retry_after_ms ${retryMs}`);
    assert.equal(answer.body?.retriable, true);
    assert.equal(answer.body?.policy_label, "reject");
    assert.match(String(answer.body?.message), new RegExp(`retry after ${retryMs} ms`));
    assert.equal(answer.headers["x-backoff-ms"], String(retryMs));
    assert.equal(answer.headers["retry-after"], String(Math.max(1, Math.ceil(retryMs / 1000))));
    hold.call.cancel();
    await hold.done;
  });

  it("ORCH-2006 answers malformed, mistyped, unknown-field and oversized bodies with a 4xx envelope", async () => {
    const cases: [Parameters<typeof call>[3], number, string][] = [
      [{ raw: '{"model_ref": "builtin:tiny", "max_tokens": ' }, 400, "INVALID_PARAMS"],
      [{ json: { model_ref: "builtin:tiny", max_tokens: "four" } }, 400, "INVALID_PARAMS"],
      [{ json: { model_ref: "builtin:tiny", max_tokens: 0 } }, 400, "INVALID_PARAMS"],
      [{ json: { model_ref: "builtin:tiny", max_tokens: 4, tempo: 1 } }, 400, "INVALID_PARAMS"],
      [
        { json: { task_id: "not-a-uuid", model_ref: "builtin:tiny", max_tokens: 4 } },
        400,
        "INVALID_PARAMS",
      ],
      [{ json: { prompt: "no model" } }, 400, "INVALID_PARAMS"],
      // The bounds table's (0, 1]: top_p 0 would leave no token to sample.
      [
        { json: { model_ref: "builtin:tiny", max_tokens: 4, sampling: { top_p: 0 } } },
        400,
        "INVALID_PARAMS",
      ],
      [
        { json: { model_ref: "builtin:tiny", max_tokens: 4, ctx: 999999 } },
        400,
        "CONTEXT_TOO_LARGE",
      ],
      [
        {
          raw: JSON.stringify({
            model_ref: "x",
            prompt: "a".repeat(3 * 1024 * 1024),
            max_tokens: 1,
          }),
        },
        413,
        "PAYLOAD_TOO_LARGE",
      ],
    ];
    for (const [options, status, code] of cases) {
      const answer = await call(serve, "POST", "/v1/tasks", options);
      assertEnvelope(answer, status, code);
    }
  });

  it("ORCH-2003 cancels by id with 204, idempotently; an unknown id is 404 TASK_NOT_FOUND", async () => {
    const hold = await holdSlot(serve);
    const admitted = await call(serve, "POST", "/v1/tasks", {
      json: { model_ref: "builtin:tiny", prompt: "queued", max_tokens: 4 },
    });
    const path = `/v1/tasks/${String(admitted.body?.task_id)}/cancel`;
    const first = await call(serve, "POST", path, { headers: { "x-correlation-id": "corr-c" } });
    assert.equal(first.status, 204);
    assert.equal(first.headers["x-correlation-id"], "corr-c");
    assert.equal(first.headers["x-tokens-delivered"], "0", "a queued task delivered nothing");
    const again = await call(serve, "POST", path);
    assert.equal(again.status, 204);
    assert.match(String(again.headers["x-correlation-id"]), UUID);
    assertEnvelope(
      await call(serve, "POST", `/v1/tasks/${randomUUID()}/cancel`),
      404,
      "TASK_NOT_FOUND",
    );
    assertEnvelope(await call(serve, "POST", "/v1/tasks/nope/cancel"), 400, "INVALID_PARAMS");
    hold.call.cancel();
    await hold.done;
  });

  it("ORCH-2004 ORCH-2005 reads a session, deletes it, then 404s it; deleting again is 204", async () => {
    const sessionId = randomUUID();
    const admitted = await call(serve, "POST", "/v1/tasks", {
      json: { session_id: sessionId, model_ref: "builtin:tiny", prompt: "s", max_tokens: 2 },
    });
    assert.equal(admitted.status, 202, JSON.stringify(admitted.body));
    const info = await call(serve, "GET", `/v1/sessions/${sessionId}`);
    assert.equal(info.status, 200, JSON.stringify(info.body));
    assert.equal(info.body?.session_id, sessionId);
    assert.equal(info.body?.turns, 1);
    assert.ok(Number(info.body?.ttl_ms_remaining) > 0);
    assert.equal(typeof info.body?.kv_bytes, "number");
    assert.equal(typeof info.body?.kv_warmth, "boolean");
    const deleted = await call(serve, "DELETE", `/v1/sessions/${sessionId}`);
    assert.equal(deleted.status, 204);
    assert.match(String(deleted.headers["x-correlation-id"]), UUID);
    assertEnvelope(await call(serve, "GET", `/v1/sessions/${sessionId}`), 404, "SESSION_NOT_FOUND");
    assert.equal((await call(serve, "DELETE", `/v1/sessions/${sessionId}`)).status, 204);
  });

  it("OC-CTRL-2052 echoes X-Correlation-Id on errors and generates one when absent", async () => {
    const echoed = await call(serve, "GET", `/v1/sessions/${randomUUID()}`, {
      headers: { "x-correlation-id": "corr-404" },
    });
    assert.equal(echoed.status, 404);
    assert.equal(echoed.headers["x-correlation-id"], "corr-404");
    const generated = await call(serve, "POST", "/v1/tasks", { json: {} });
    assertEnvelope(generated, 400, "INVALID_PARAMS");
  });

  it("OC-CTRL-2004 does not serve /v1/replicasets", async () => {
    const gone = await call(serve, "GET", "/v1/replicasets");
    assertEnvelope(gone, 404, "ROUTE_NOT_FOUND");
  });
  it("ORCH-2001 POST /v1/tasks takes the gRPC Sampling fields, grammar and stop; GET /v1/tasks/{id} returns the record", async () => {
    const greedy = { temperature: 1.5, top_k: 1, top_p: 0.9, min_p: 0, repeat_penalty: 1.1 };
    const a = await runText(serve, {
      prompt: "The river",
      max_tokens: 12,
      seed: 1,
      sampling: greedy,
    });
    const b = await runText(serve, {
      prompt: "The river",
      max_tokens: 12,
      seed: 2,
      sampling: greedy,
    });
    assert.equal(a.text, b.text, "top_k 1 samples greedily whatever the seed");
    const grammar = 'root ::= "yes" | "no"';
    const constrained = await runText(serve, { prompt: "Answer:", max_tokens: 8, grammar });
    assert.ok(["yes", "no"].includes(constrained.text), constrained.text);
    const record = await call(serve, "GET", `/v1/tasks/${constrained.taskId}`);
    assert.equal(record.status, 200, JSON.stringify(record.body));
    assert.equal(record.body?.task_id, constrained.taskId);
    assert.equal(record.body?.state, "finished_stop");
    assert.equal(record.body?.pool_id, "cpu-0");
    assert.equal(record.body?.model_ref, "builtin:tiny");
    assert.ok(Number(record.body?.tokens_out) >= 1 && Number(record.body?.tokens_in) >= 1);
    assert.ok(Number(record.body?.ended_ms) >= Number(record.body?.created_ms));
    const unknown = await call(serve, "GET", `/v1/tasks/${randomUUID()}`);
    assertEnvelope(unknown, 404, "TASK_NOT_FOUND");
  });

  it("POST /v1/tasks takes response_format as OpenAI's: the output is JSON valid against the schema", async () => {
    const schema = {
      type: "object",
      properties: {
        answer: { type: "string", maxLength: 10 },
        score: { type: "integer", minimum: 0, maximum: 9 },
      },
      required: ["answer", "score"],
      additionalProperties: false,
    };
    const format = { type: "json_schema", json_schema: { name: "rating", schema } };
    const { text } = await runText(serve, {
      prompt: "Rate it:",
      max_tokens: 96,
      seed: 3,
      response_format: format,
    });
    assert.ok(new Ajv().compile(schema)(JSON.parse(text)), text);
    const both = await call(serve, "POST", "/v1/tasks", {
      json: {
        model_ref: "builtin:tiny",
        max_tokens: 4,
        grammar: 'root ::= "a"',
        response_format: format,
      },
    });
    assertEnvelope(both, 400, "INVALID_PARAMS");
  });

  it("ORCH-2006 a prompt that does not fit the context is PROMPT_TOO_LONG, not INVALID_PARAMS", async () => {
    const answer = await call(serve, "POST", "/v1/tasks", {
      json: { model_ref: "builtin:tiny", prompt: "river ".repeat(5000), max_tokens: 1 },
    });
    assertEnvelope(answer, 400, "PROMPT_TOO_LONG");
    assert.match(String(answer.body?.message), /exceeds ctx 4096; shorten the prompt/);
  });
});
