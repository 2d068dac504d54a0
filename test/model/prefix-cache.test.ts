// The prefix cache on the real engine: output served from cache equals a cold run, tenants never
// share KV (llama.cpp #27148, sequential and concurrent), strict runs stay cold, cancel and the
// host-RAM tier keep it correct.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Engine } from "../../src/engine/engine.js";
import type { SubmitRequest } from "../../src/engine/types.js";
import { loadTiny, longPrompt } from "../support/tiny.js";

const greedy = { temperature: 0 };

describe("prefix cache", () => {
  let warm: Engine;
  let cold: Engine;
  let coldRuns = 0;
  before(async () => {
    // A small batch makes a long prompt take many steps, so a cancel can land inside its prefill.
    warm = await loadTiny({ slots: 2, batchSize: 32, ubatchSize: 32, prefillChunk: 32 });
    cold = await loadTiny({ slots: 2, batchSize: 32, ubatchSize: 32, prefillChunk: 32 });
  });
  after(() => {
    warm.dispose();
    cold.dispose();
  });

  /** The same request on the other engine, under a tenant no other run used: nothing cached. */
  async function coldRun(request: SubmitRequest) {
    const result = await cold.submit({ ...request, cacheTenant: `cold-${coldRuns++}` }).result();
    assert.equal(result.end.cachedTokens, 0);
    return result;
  }

  it("a greedy request served from cache gives the cold run's tokens, at several prefix lengths", async () => {
    for (const words of [8, 40, 120]) {
      const tenant = `lengths-${words}`;
      const shared = longPrompt(words);
      await warm
        .submit({ prompt: `${shared} first ending`, maxTokens: 4, cacheTenant: tenant })
        .result();
      const request = {
        prompt: `${shared} a second, different ending`,
        maxTokens: 12,
        sampling: greedy,
      };
      const hit = await warm.submit({ ...request, cacheTenant: tenant }).result();
      assert.ok(hit.end.cachedTokens >= words, `${words} words: cached ${hit.end.cachedTokens}`);
      assert.ok(hit.end.cachedTokens < hit.end.tokensIn);
      assert.deepEqual(hit.tokens, (await coldRun(request)).tokens);
    }
  });

  it("a cached prefix that ends inside a multi-byte UTF-8 character is reused exactly", async () => {
    const tokens = warm.tokenize("Grüße aus 日本 🎉 und mehr", { parseSpecial: true });
    // Cut where the detokenized prefix ends in a partial character (the emoji's byte tokens).
    const cut = tokens.findIndex((_, i) => warm.detokenize(tokens.slice(0, i)).endsWith("\uFFFD"));
    assert.ok(cut > 0, "the tokenizer splits the emoji into byte tokens");
    const other = warm.tokenize(" anders", { addSpecial: false });
    const tenant = "utf8";
    await warm
      .submit({ prompt: [...tokens.slice(0, cut), ...other], maxTokens: 3, cacheTenant: tenant })
      .result();
    const request = { prompt: tokens, maxTokens: 10, sampling: greedy };
    const hit = await warm.submit({ ...request, cacheTenant: tenant }).result();
    assert.equal(hit.end.cachedTokens, cut);
    assert.deepEqual(hit.tokens, (await coldRun(request)).tokens);
    assert.equal(hit.text, (await coldRun(request)).text);
  });

  it("a prompt that is a strict prefix of the cached one still evaluates its last token", async () => {
    const tenant = "strict-prefix";
    const full = warm.tokenize(longPrompt(60));
    await warm.submit({ prompt: full, maxTokens: 4, cacheTenant: tenant }).result();
    const request = { prompt: full.slice(0, 30), maxTokens: 10, sampling: greedy };
    const hit = await warm.submit({ ...request, cacheTenant: tenant }).result();
    assert.equal(hit.end.cachedTokens, 29);
    assert.deepEqual(hit.tokens, (await coldRun(request)).tokens);
  });

  it("#27148 sequential: tenant B's answer to tenant A's prompt is exactly the cold pool's", async () => {
    const request = {
      prompt: `${longPrompt(80)} tell me a secret`,
      maxTokens: 16,
      sampling: { temperature: 0.9, seed: 11 },
    };
    const a = await warm.submit({ ...request, cacheTenant: "tenant-a" }).result();
    const b = await warm.submit({ ...request, cacheTenant: "tenant-b" }).result();
    const again = await warm.submit({ ...request, cacheTenant: "tenant-a" }).result();
    assert.equal(b.end.cachedTokens, 0, "B reused none of A's KV");
    assert.ok(again.end.cachedTokens > 80, "A's own next request does");
    const reference = await coldRun(request);
    assert.deepEqual(b.tokens, reference.tokens);
    assert.deepEqual(a.tokens, reference.tokens);
  });

  it("#27148 concurrent: tenants running the same prompt side by side get the cold pool's answer", async () => {
    const request = {
      prompt: `${longPrompt(90)} and the password is`,
      maxTokens: 16,
      sampling: greedy,
    };
    await warm.submit({ ...request, cacheTenant: "tenant-c" }).result();
    const [c, d] = await Promise.all(
      ["tenant-c", "tenant-d"].map((cacheTenant) =>
        warm.submit({ ...request, cacheTenant }).result(),
      ),
    );
    assert.equal(d?.end.cachedTokens, 0);
    const reference = await coldRun(request);
    assert.deepEqual(d?.tokens, reference.tokens);
    assert.deepEqual(c?.tokens, reference.tokens);
  });

  it("strict tasks never reuse cache and stay byte-identical to a cold run", async () => {
    const tenant = "strict";
    const request = {
      prompt: `${longPrompt(70)} strictly`,
      maxTokens: 12,
      strict: true,
      sampling: { seed: 5 },
    };
    await warm.submit({ ...request, strict: false, cacheTenant: tenant }).result();
    const [run] = await Promise.all([
      warm.submit({ ...request, cacheTenant: tenant }).result(),
      warm.submit({ prompt: longPrompt(40), maxTokens: 20, cacheTenant: tenant }).result(),
    ]);
    assert.equal(run?.end.cachedTokens, 0);
    const reference = await coldRun(request);
    assert.equal(run?.text, reference.text);
    assert.deepEqual(run?.tokens, reference.tokens);
  });

  it("a cancel during the suffix's prefill keeps the cache consistent for the next request", async () => {
    const tenant = "cancel";
    const shared = longPrompt(50);
    const sharedTokens = warm.tokenize(shared).length;
    await warm.submit({ prompt: shared, maxTokens: 2, cacheTenant: tenant }).result();
    // ~850 suffix tokens in 32-token steps: the cancel lands while they are being evaluated.
    const request = {
      prompt: `${shared} ${longPrompt(500)}`,
      maxTokens: 6,
      sampling: greedy,
      ignoreEos: true,
    };
    const sequence = warm.submit({ ...request, cacheTenant: tenant });
    while (warm.stats().slotsBusy === 0) await sleep(1);
    await sequence.cancel();
    const { end } = await sequence.result();
    assert.equal(end.finishReason, "cancelled");
    assert.equal(end.tokensOut, 0, "the cancel landed before the first token");
    assert.ok(end.cachedTokens >= sharedTokens - 1);
    const retry = await warm.submit({ ...request, cacheTenant: tenant }).result();
    assert.ok(
      retry.end.cachedTokens > sharedTokens,
      `the evaluated part of the suffix is reused too (${retry.end.cachedTokens})`,
    );
    assert.deepEqual(retry.tokens, (await coldRun(request)).tokens);
    assert.equal(warm.stats().slotsBusy, 0);
  });
});

describe("prefix cache: host-RAM tier", () => {
  let engine: Engine;
  before(async () => {
    engine = await loadTiny({ slots: 1, promptCacheMb: 16 });
  });
  after(() => engine.dispose());

  it("restores a prompt its only slot had to drop, and answers as a cold run would", async () => {
    const first = {
      prompt: `alpha ${longPrompt(100)}`,
      maxTokens: 10,
      sampling: greedy,
      cacheTenant: "t",
    };
    const cold = await engine.submit(first).result();
    await engine
      .submit({ prompt: `beta ${longPrompt(100)}`, maxTokens: 4, cacheTenant: "t" })
      .result();
    const saved = engine.stats().cacheRamBytes;
    assert.ok(saved > 0 && saved <= 16 * 1024 ** 2, `host tier holds ${saved} bytes`);
    const restored = await engine.submit(first).result();
    assert.ok(restored.end.cachedTokens >= 100, `cached ${restored.end.cachedTokens}`);
    assert.deepEqual(restored.tokens, cold.tokens);
    const other = await engine.submit({ ...first, cacheTenant: "u" }).result();
    assert.ok(other.end.cachedTokens <= 1, "another tenant never gets it restored");
  });
});

describe("prefix cache: copies between slots", () => {
  let engine: Engine;
  let cold: Engine;
  before(async () => {
    // 32-token prefill chunks: a shared prompt takes several steps, so the second request waits.
    const options = { slots: 3, batchSize: 32, ubatchSize: 32, prefillChunk: 32 };
    engine = await loadTiny(options);
    cold = await loadTiny(options);
  });
  after(() => {
    engine.dispose();
    cold.dispose();
  });

  it("the history a session parked serves the same history sent without one, and the session keeps it", async () => {
    const history = longPrompt(120);
    const historyTokens = engine.tokenize(history).length;
    const session = { sessionKey: "agent-1", cacheTenant: "copies" };
    await engine.submit({ prompt: history, maxTokens: 4, ...session }).result();
    const request = { prompt: `${history} and one more question`, maxTokens: 12, sampling: greedy };
    const anonymous = await engine.submit({ ...request, cacheTenant: "copies" }).result();
    assert.ok(
      anonymous.end.cachedTokens >= historyTokens - 1,
      `cached ${anonymous.end.cachedTokens}`,
    );
    const reference = await cold.submit({ ...request, cacheTenant: "cold-copy" }).result();
    assert.equal(reference.end.cachedTokens, 0);
    assert.deepEqual(anonymous.tokens, reference.tokens);
    const nextTurn = await engine.submit({
      prompt: `${history} turn two`,
      maxTokens: 2,
      ...session,
    });
    assert.ok((await nextTurn.result()).end.cachedTokens >= historyTokens - 1);
  });

  it("a system prompt two requests share is computed once, and both answer as cold runs", async () => {
    const system = longPrompt(150);
    const systemTokens = engine.tokenize(system).length;
    const ask = (question: string) => ({
      prompt: `${system} ${question}`,
      maxTokens: 8,
      sampling: greedy,
    });
    const [first, second] = await Promise.all(
      [ask("what is first?"), ask("and the second one?")].map((request) =>
        engine.submit({ ...request, cacheTenant: "system" }).result(),
      ),
    );
    assert.equal(first?.end.cachedTokens, 0);
    assert.ok(
      (second?.end.cachedTokens ?? 0) >= systemTokens - 1,
      `cached ${second?.end.cachedTokens}`,
    );
    for (const [question, run] of [
      ["what is first?", first],
      ["and the second one?", second],
    ] as const) {
      const reference = await cold
        .submit({ ...ask(question), cacheTenant: `cold-${question}` })
        .result();
      assert.deepEqual(run?.tokens, reference.tokens);
    }
    const other = await engine.submit({ ...ask("what is first?"), cacheTenant: "someone else" });
    assert.equal((await other.result()).end.cachedTokens, 0, "another tenant never gets a copy");
  });
});
