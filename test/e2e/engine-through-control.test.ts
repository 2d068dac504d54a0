// What the engine guarantees, seen through the control plane: strict determinism under load, session
// KV reuse on follow-up turns, sampling knobs reaching the sampler, and the wall timeout.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Determinism } from "../../src/gen/llama_orch/v1/common.js";
import type { SessionInfo } from "../../src/gen/llama_orch/v1/orchestrator.js";
import { endOf, errorOf, submit, unary } from "../support/grpc-calls.js";
import { type ServeProcess, startServe } from "../support/serve-process.js";

const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
timeouts: { wall_ms: 500 }
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 4, context_size: 4096, threads: 1 }
`;

describe("engine guarantees through the control plane", () => {
  let serve: ServeProcess;
  before(async () => {
    serve = await startServe({ config });
  });
  after(() => serve.stop());

  it("gives a strict task the same text alone and next to three busy tasks", async () => {
    const strict = {
      prompt: "Strictly speaking",
      maxTokens: 48,
      seed: 9,
      ignoreEos: true,
      sampling: { temperature: 0.8 },
      determinism: Determinism.DETERMINISM_STRICT,
    };
    const alone = await submit(serve.orchestrator, strict);
    const noise = [1, 2, 3].map((i) =>
      submit(serve.orchestrator, {
        prompt: `noise ${i} `.repeat(20),
        maxTokens: 200,
        ignoreEos: true,
      }),
    );
    const loaded = await submit(serve.orchestrator, strict);
    await Promise.all(noise);
    assert.equal(alone.error, undefined);
    assert.equal(loaded.text, alone.text);
  });

  it("reuses a session's KV on its next turn and reports it warm", async () => {
    const sessionId = randomUUID();
    const history = "The orchard by the river keeps its lanterns lit all night. ".repeat(8);
    const greedy = { temperature: 0 };
    const first = await submit(serve.orchestrator, {
      sessionId,
      prompt: history,
      maxTokens: 8,
      sampling: greedy,
    });
    assert.equal(endOf(first)?.cachedTokens, 0);
    const info = await unary<SessionInfo>((cb) => serve.orchestrator.getSession({ sessionId }, cb));
    assert.equal(info.kvWarmth, true);
    assert.ok(info.kvBytes > 0, `kv_bytes ${info.kvBytes}`);
    const next = `${history}${first.text} And then?`;
    const second = await submit(serve.orchestrator, {
      sessionId,
      prompt: next,
      maxTokens: 8,
      sampling: greedy,
    });
    const cold = await submit(serve.orchestrator, { prompt: next, maxTokens: 8, sampling: greedy });
    assert.ok((endOf(second)?.cachedTokens ?? 0) > 50, `cached ${endOf(second)?.cachedTokens}`);
    assert.equal(second.text, cold.text);
  });

  it("carries repeat_penalty and its window repeat_last_n to the sampler", async () => {
    const greedy = (sampling: object) =>
      submit(serve.orchestrator, {
        prompt: "The river",
        maxTokens: 40,
        ignoreEos: true,
        sampling: { temperature: 0, ...sampling },
      }).then((out) => out.text);
    const plain = await greedy({});
    // A window of 0 switches the penalty off: the text is the unpenalised one.
    assert.equal(await greedy({ repeatPenalty: 3, repeatLastN: 0 }), plain);
    assert.notEqual(await greedy({ repeatPenalty: 3, repeatLastN: 64 }), plain);
  });

  it("ends a task that runs past the wall timeout with DECODE_TIMEOUT", async () => {
    const out = await submit(serve.orchestrator, {
      prompt: "go on",
      maxTokens: 4000,
      ignoreEos: true,
    });
    const error = errorOf(out);
    assert.equal(error?.code, "DECODE_TIMEOUT");
    assert.match(error?.message ?? "", /wall timeout/);
    assert.equal(out.kinds.at(-1), "error");
  });
});
