// The prefix cache through the gateway: cached_tokens in OpenAI usage and SSE `end`, tenants kept
// apart by their tokens (two Bearer tokens vouched for by a proxy), a shared cache_salt, metrics,
// and placement's prefix term sending a follow-up to the pool that holds its prefix.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createParser } from "eventsource-parser";
import OpenAI from "openai";
import { request } from "undici";
import { type ServeProcess, startServe } from "../support/serve-process.js";
import { longPrompt } from "../support/tiny.js";

const TOKEN = "prefix-cache-test-token";
// cpu-b serves the model too: with both idle, pool_id alone would always pick cpu-a.
const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
pools:
  - { id: cpu-a, model: "builtin:tiny", backend: cpu, slots: 2, context_size: 2048, threads: 1 }
  - { id: cpu-b, model: "builtin:tiny", backend: cpu, slots: 2, context_size: 2048, threads: 1 }
`;
const MODEL = "builtin:tiny";

describe("prefix cache over HTTP", () => {
  let serve: ServeProcess;
  // TRUST_PROXY_AUTH: each Bearer token from loopback is its own caller identity (proxy:<fp6>).
  const client = (token: string) =>
    new OpenAI({ baseURL: `${serve.http}/v1`, apiKey: token, maxRetries: 0 });
  before(async () => {
    serve = await startServe({
      config,
      env: { AUTH_TOKEN: TOKEN, TRUST_PROXY_AUTH: "true" },
      token: TOKEN,
    });
  });
  after(() => serve?.stop());

  /** A native task pinned to `pool`, read to its `end` frame; returns the end and the pool. */
  async function task(body: Record<string, unknown>, token = TOKEN) {
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const res = await request(`${serve.http}/v1/tasks`, {
      method: "POST",
      headers,
      body: JSON.stringify({ model_ref: MODEL, max_tokens: 4, ...body }),
    });
    const admitted = (await res.body.json()) as { task_id: string; pool_id: string };
    assert.equal(res.statusCode, 202, JSON.stringify(admitted));
    const stream = await fetch(`${serve.http}/v1/tasks/${admitted.task_id}/stream`, { headers });
    let end: Record<string, number> | undefined;
    const parser = createParser({
      onEvent: (m) => {
        if (m.event === "end") end = JSON.parse(m.data);
      },
    });
    const decoder = new TextDecoder();
    for await (const chunk of stream.body ?? [])
      parser.feed(decoder.decode(chunk, { stream: true }));
    assert.ok(end, "the stream ended with `end`");
    return { end, poolId: admitted.pool_id };
  }

  it("completions report cached prompt tokens in usage; a repeat is served from cache", async () => {
    const alice = client("alice-token");
    const prompt = `${longPrompt(120)} first completion`;
    const body = { model: MODEL, prompt, max_tokens: 4, temperature: 0 };
    const first = await alice.completions.create(body);
    const second = await alice.completions.create(body);
    assert.equal(first.usage?.prompt_tokens_details?.cached_tokens, 0);
    const cached = second.usage?.prompt_tokens_details?.cached_tokens ?? 0;
    assert.ok(cached >= 120 && cached < (second.usage?.prompt_tokens ?? 0), `cached ${cached}`);
    assert.equal(second.choices[0]?.text, first.choices[0]?.text);
  });

  it("streamed chat with include_usage reports cached_tokens in its usage chunk", async () => {
    const alice = client("alice-token");
    const messages = [
      { role: "system" as const, content: longPrompt(150) },
      { role: "user" as const, content: "what next?" },
    ];
    const cachedOf = async () => {
      const stream = await alice.chat.completions.create({
        model: MODEL,
        messages,
        max_tokens: 4,
        stream: true,
        stream_options: { include_usage: true },
      });
      let cached: number | undefined;
      for await (const chunk of stream) {
        if (chunk.usage) cached = chunk.usage.prompt_tokens_details?.cached_tokens;
      }
      return cached;
    };
    assert.equal(await cachedOf(), 0);
    assert.ok(((await cachedOf()) ?? 0) >= 150);
  });

  it("two tokens are two tenants: bob never reuses alice's KV, unless both name one cache_salt", async () => {
    const prompt = `${longPrompt(100)} the same words from two callers`;
    const body = { model: MODEL, prompt, max_tokens: 6, temperature: 0 };
    const aliceFirst = await client("alice-token").completions.create(body);
    const bob = await client("bob-token").completions.create(body);
    assert.equal(bob.usage?.prompt_tokens_details?.cached_tokens, 0);
    assert.equal(bob.choices[0]?.text, aliceFirst.choices[0]?.text, "bob's answer is the cold one");

    const salted = { ...body, prompt: `${prompt} shared`, cache_salt: "team-7" };
    await client("alice-token").completions.create(salted);
    const bobSalted = await client("bob-token").completions.create(salted);
    assert.ok((bobSalted.usage?.prompt_tokens_details?.cached_tokens ?? 0) >= 100);
  });

  it("native SSE `end` carries tokens_cached; placement follows the prefix to its pool", async () => {
    const prompt = `${longPrompt(300)} routed by its prefix`;
    const pinned = { mode: "pin", pin_pool_id: "cpu-b" };
    const first = await task({ prompt, placement: pinned });
    assert.equal(first.poolId, "cpu-b");
    assert.equal(first.end.tokens_cached, 0);
    const follow = await task({ prompt: `${prompt} and one more turn` });
    assert.equal(follow.poolId, "cpu-b", "the pool holding the prefix, not pool_id's first");
    assert.ok((follow.end.tokens_cached ?? 0) >= 300, `cached ${follow.end.tokens_cached}`);
    const other = await task({ prompt: `${prompt} and one more turn` }, "carol-token");
    assert.equal(other.end.tokens_cached, 0);
  });

  it("metrics count prompt tokens and cached ones per pool", async () => {
    const scrape = async () => {
      const res = await request(`${serve.http}/metrics`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      return res.body.text();
    };
    // Telemetry arrives with the next heartbeat: the idle slots' cache on cpu-b, which served
    // the routed prompt.
    const cellsOnB = (text: string) =>
      Number(text.match(/^prompt_cache_kv_cells\{[^}]*pool_id="cpu-b"[^}]*\} (\d+)/m)?.[1] ?? 0);
    let text = await scrape();
    for (let i = 0; i < 50 && cellsOnB(text) < 300; i++) {
      await sleep(100);
      text = await scrape();
    }
    assert.ok(cellsOnB(text) >= 300, `prompt_cache_kv_cells ${cellsOnB(text)}`);
    const cached = [...text.matchAll(/^tokens_cached_total\{[^}]*\} (\d+)/gm)];
    const total = cached.reduce((sum, m) => sum + Number(m[1]), 0);
    assert.ok(total >= 300, `tokens_cached_total ${total}`);
    assert.match(text, /^tokens_in_total\{/m);
    assert.match(text, /^# TYPE prompt_cache_evictions_total counter/m);
    assert.match(text, /^prompt_cache_ram_bytes\{/m);
  });
});
