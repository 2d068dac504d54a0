// A chat's prompt is prepared once: the control plane has the worker render and tokenize it in one
// PreparePrompt call (the gateway renders nothing first), admission counts those tokens, the worker
// generates from them, and every worker line of the task carries the request's correlation id.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { type ServeProcess, startServe, waitForLog } from "../support/serve-process.js";

const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 2048, threads: 1 }
`;
const model = "builtin:tiny";
const messages = [{ role: "user" as const, content: "Tell me about the stone lantern" }];

type LogLine = Record<string, unknown>;

/** The worker's log lines of one request, once its task's `generate ended` line is there. */
async function workerLines(serve: ServeProcess, correlationId: string): Promise<LogLine[]> {
  const ofRequest = (line: LogLine) =>
    line.component === "worker" && line.correlation_id === correlationId;
  await waitForLog(serve, (line) => ofRequest(line) && line.msg === "generate ended");
  return serve.logs.filter(ofRequest);
}

function named(lines: LogLine[], msg: string): LogLine[] {
  return lines.filter((line) => line.msg === msg);
}

describe("chat prompts prepared once", () => {
  let serve: ServeProcess;
  before(async () => {
    serve = await startServe({ config });
  });
  after(() => serve?.stop());

  it("HME-030 OpenAI chat: one PreparePrompt, no ApplyChatTemplate; its count is the usage and the worker's tokens_in; the worker lines carry the request's id", async () => {
    const client = new OpenAI({ baseURL: `${serve.http}/v1`, apiKey: "unused", maxRetries: 0 });
    const correlationId = `chat-${randomUUID()}`;
    const answer = await client.chat.completions.create(
      { model, messages, max_tokens: 4, seed: 1 },
      { headers: { "X-Correlation-Id": correlationId } },
    );
    const lines = await workerLines(serve, correlationId);
    const prepared = named(lines, "prompt prepared");
    assert.equal(prepared.length, 1, "the chat was rendered and tokenized by one worker call");
    assert.deepEqual(named(lines, "chat template applied"), [], "nothing rendered it before");
    const [ended] = named(lines, "generate ended");
    assert.equal(answer.usage?.prompt_tokens, prepared[0]?.prompt_tokens);
    assert.equal(ended?.tokens_in, prepared[0]?.prompt_tokens, "generated from those tokens");
    assert.equal(ended?.task_id, answer.id.replace(/^chatcmpl-/, ""));
  });

  it("ANT-003 Anthropic messages: count_tokens, usage.input_tokens and the worker's tokens_in are the one prepared count", async () => {
    const client = new Anthropic({ baseURL: serve.http, apiKey: "unused", maxRetries: 0 });
    const correlationId = `messages-${randomUUID()}`;
    const headers = { "X-Correlation-Id": correlationId };
    const counted = await client.messages.countTokens({ model, messages }, { headers });
    const message = await client.messages.create({ model, messages, max_tokens: 4 }, { headers });
    const lines = await workerLines(serve, correlationId);
    const prepared = named(lines, "prompt prepared");
    assert.equal(prepared.length, 2, "count_tokens and the message: one PreparePrompt each");
    assert.deepEqual(named(lines, "chat template applied"), []);
    // Anthropic counts prefix-cache reads apart from input_tokens: their sum is the prompt.
    const usage = message.usage;
    const promptTokens = usage.input_tokens + (usage.cache_read_input_tokens ?? 0);
    assert.equal(counted.input_tokens, promptTokens);
    assert.equal(promptTokens, prepared[1]?.prompt_tokens);
    assert.equal(named(lines, "generate ended")[0]?.tokens_in, promptTokens);
  });
});
