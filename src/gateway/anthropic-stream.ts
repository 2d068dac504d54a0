// A Messages answer as Anthropic's event stream: message_start, content blocks (start, deltas,
// stop), message_delta with usage, message_stop; pings while waiting; a terminal error event.
import type { FastifyReply } from "fastify";
import { OrchError } from "../common/errors.js";
import type { End } from "../gen/llama_orch/v1/common.js";
import type { TaskEvent } from "../gen/llama_orch/v1/orchestrator.js";
import {
  type MessageMeta,
  messageDelta,
  messageStart,
  toAnthropicError,
  toContent,
} from "./translate-anthropic.js";
import { missingEnd } from "./translate-openai.js";

type Send = (name: string, data: object) => void;

export interface StreamOptions {
  /** The answer may be tool calls: blocks are known only once the chat format parsed it. */
  parsed: boolean;
  keepAliveMs: number;
  onFailure(error: OrchError): void;
}

function textBlock(send: Send, index: number, text: string): void {
  send("content_block_start", {
    type: "content_block_start",
    index,
    content_block: { type: "text", text: "" },
  });
  if (text !== "") {
    send("content_block_delta", {
      type: "content_block_delta",
      index,
      delta: { type: "text_delta", text },
    });
  }
  send("content_block_stop", { type: "content_block_stop", index });
}

/** The parsed answer's blocks, each whole: a tool call's input arrives as one JSON delta. */
function parsedBlocks(send: Send, meta: MessageMeta, end: End): void {
  toContent(meta, "", end).forEach((block, index) => {
    if (block.type === "text") {
      textBlock(send, index, block.text);
      return;
    }
    const { input, ...head } = block;
    send("content_block_start", {
      type: "content_block_start",
      index,
      content_block: { ...head, input: {} },
    });
    send("content_block_delta", {
      type: "content_block_delta",
      index,
      delta: { type: "input_json_delta", partial_json: JSON.stringify(input) },
    });
    send("content_block_stop", { type: "content_block_stop", index });
  });
}

/** Text as it is generated: one block, a delta per token. */
async function liveText(send: Send, events: AsyncGenerator<TaskEvent>): Promise<End | undefined> {
  send("content_block_start", {
    type: "content_block_start",
    index: 0,
    content_block: { type: "text", text: "" },
  });
  let end: End | undefined;
  for await (const { event } of events) {
    if (event?.$case === "token" && event.value.t !== "") {
      send("content_block_delta", {
        type: "content_block_delta",
        index: 0,
        delta: { type: "text_delta", text: event.value.t },
      });
    }
    if (event?.$case === "end") end = event.value;
  }
  if (end) send("content_block_stop", { type: "content_block_stop", index: 0 });
  return end;
}

async function untilEnd(events: AsyncGenerator<TaskEvent>): Promise<End | undefined> {
  for await (const { event } of events) if (event?.$case === "end") return event.value;
  return undefined;
}

export async function streamMessage(
  reply: FastifyReply,
  events: AsyncGenerator<TaskEvent>,
  meta: MessageMeta,
  options: StreamOptions,
): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  // Hijacked replies skip fastify's headers: carry over what the hooks set (X-Correlation-Id).
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) raw.setHeader(name, value);
  }
  raw.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const send: Send = (name, data) => {
    raw.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  send("message_start", messageStart(meta));
  send("ping", { type: "ping" });
  // Anthropic's keep-alive is a ping event, which its SDKs skip, rather than an SSE comment.
  const keepAlive = setInterval(() => send("ping", { type: "ping" }), options.keepAliveMs);
  try {
    const end = options.parsed ? await untilEnd(events) : await liveText(send, events);
    if (!end) throw missingEnd();
    if (options.parsed) parsedBlocks(send, meta, end);
    send("message_delta", messageDelta(end));
    send("message_stop", { type: "message_stop" });
  } catch (error) {
    if (raw.destroyed) return; // The client left; its task is cancelled with the call.
    const orch = error instanceof OrchError ? error : new OrchError("INTERNAL", String(error));
    options.onFailure(orch);
    send("error", toAnthropicError(orch));
  } finally {
    clearInterval(keepAlive);
  }
  raw.end();
}
