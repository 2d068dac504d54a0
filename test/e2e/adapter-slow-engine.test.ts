// A slow engine: the request timeout bounds the wait for the engine's answer, never the stream,
// so a generation that takes longer than the timeout still streams to its end.
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import type { AdapterEvent } from "../../src/adapters/types.js";
import { VllmAdapter } from "../../src/adapters/vllm.js";
import type { Engine } from "../../src/engine/engine.js";
import type { StandinServer } from "../support/engine-standins/standin-server.js";
import { vllmStandin } from "../support/engine-standins/vllm.js";
import { loadTiny } from "../support/tiny.js";

let engine: Engine;
let server: StandinServer;

before(async () => {
  engine = await loadTiny({ slots: 1 });
  server = await vllmStandin(engine, "tiny").start();
});
after(async () => {
  await server?.stop();
  await engine?.dispose();
});

it("a stream slower than the request timeout is not cut", { timeout: 60_000 }, async () => {
  server.faults = { tokenDelayMs: 400 };
  const adapter = new VllmAdapter({
    endpoint: server.url,
    servedModel: "tiny",
    requestTimeoutMs: 1000,
  });
  const request = { taskId: "slow", prompt: "slow river", maxTokens: 5, stop: [], ignoreEos: true };
  const events: AdapterEvent[] = [];
  for await (const event of adapter.generate(request, new AbortController().signal))
    events.push(event);
  const end = events.at(-1);
  assert.equal(end?.type, "end");
  assert.equal(end?.type === "end" && end.tokensOut, 5);
  assert.equal(end?.type === "end" && end.finishReason, "length");
});
