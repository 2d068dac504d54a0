// A Messages answer as Anthropic's event stream: message_start, content blocks (start, deltas,
// stop), message_delta with usage, message_stop; pings while waiting; a terminal error event.
import type { FastifyReply } from "fastify";
import type { OrchError } from "../common/errors.js";
import type { ChatDelta, End } from "../gen/llama_orch/v1/common.js";
import type { TaskEvent } from "../gen/llama_orch/v1/orchestrator.js";
import { toOrchError } from "./http-errors.js";
import { hijackSse } from "./sse-response.js";
import { tokensOf } from "./task-tokens.js";
import {
  type MessageMeta,
  messageDelta,
  messageStart,
  toAnthropicError,
  toolUseId,
} from "./translate-anthropic.js";
import { missingEnd } from "./translate-openai.js";

/** Events queued for the next write, and that write (waiting while the socket is full). */
interface Send {
  (name: string, data: object): void;
  flush(): Promise<void>;
}

export interface StreamOptions {
  /** The answer may be tool calls: blocks follow its parse's deltas (the task asked for them). */
  parsed: boolean;
  keepAliveMs: number;
  onFailure(error: OrchError): void;
}

/**
 * Blocks as the answer's parse grows: text, then a tool_use block per call whose input arrives as
 * input_json_delta fragments while the model writes it. A text block is there when nothing else is.
 */
class ParsedBlocks {
  private index = -1;
  private open: "text" | "tool_use" | undefined;

  constructor(
    private readonly send: Send,
    private readonly meta: MessageMeta,
  ) {}

  add(deltas: readonly ChatDelta[]): void {
    for (const d of deltas) {
      if (d.toolCallIndex < 0) {
        if (d.content === "") continue;
        if (this.open !== "text") this.start({ type: "text", text: "" });
        this.delta({ type: "text_delta", text: d.content });
        continue;
      }
      if (d.name !== "") {
        const id = toolUseId(d.id, d.toolCallIndex, this.meta);
        this.start({ type: "tool_use", id, name: d.name, input: {} });
      }
      if (d.arguments !== "") this.delta({ type: "input_json_delta", partial_json: d.arguments });
    }
  }

  finish(): void {
    if (this.index < 0) this.start({ type: "text", text: "" });
    this.stop();
  }

  private start(
    block: { type: "text"; text: string } | { type: "tool_use"; [k: string]: unknown },
  ) {
    this.stop();
    this.index += 1;
    this.open = block.type;
    this.send("content_block_start", {
      type: "content_block_start",
      index: this.index,
      content_block: block,
    });
  }

  private delta(delta: object): void {
    this.send("content_block_delta", { type: "content_block_delta", index: this.index, delta });
  }

  private stop(): void {
    if (this.open === undefined) return;
    this.send("content_block_stop", { type: "content_block_stop", index: this.index });
    this.open = undefined;
  }
}

/** A tool-capable answer: blocks from the deltas of each token, then those of the whole parse. */
async function liveBlocks(
  send: Send,
  meta: MessageMeta,
  events: AsyncGenerator<TaskEvent>,
): Promise<End | undefined> {
  const blocks = new ParsedBlocks(send, meta);
  for await (const { event } of events) {
    for (const token of tokensOf(event)) blocks.add(token.chat);
    if (event?.$case !== "end") {
      await send.flush();
      continue;
    }
    blocks.add(event.value.chatDeltas);
    blocks.finish();
    return event.value;
  }
  return undefined;
}

/** Text as it is generated: one block, a delta per batch of tokens (one engine step). */
async function liveText(send: Send, events: AsyncGenerator<TaskEvent>): Promise<End | undefined> {
  send("content_block_start", {
    type: "content_block_start",
    index: 0,
    content_block: { type: "text", text: "" },
  });
  let end: End | undefined;
  for await (const { event } of events) {
    const text = tokensOf(event)
      .map((token) => token.t)
      .join("");
    if (text !== "") {
      send("content_block_delta", {
        type: "content_block_delta",
        index: 0,
        delta: { type: "text_delta", text },
      });
    }
    if (event?.$case === "end") end = event.value;
    else await send.flush();
  }
  if (end) send("content_block_stop", { type: "content_block_stop", index: 0 });
  return end;
}

export async function streamMessage(
  reply: FastifyReply,
  events: AsyncGenerator<TaskEvent>,
  meta: MessageMeta,
  options: StreamOptions,
): Promise<void> {
  // Anthropic's keep-alive is a ping event, which its SDKs skip, rather than an SSE comment.
  const ping = frame("ping", { type: "ping" });
  const sse = hijackSse(reply, { keepAliveMs: options.keepAliveMs, keepAliveFrame: ping });
  const send = ((name: string, data: object) => sse.queue(frame(name, data))) as Send;
  send.flush = () => (sse.flush() ? Promise.resolve() : sse.drained());
  send("message_start", messageStart(meta));
  send("ping", { type: "ping" });
  try {
    const end = options.parsed
      ? await liveBlocks(send, meta, events)
      : await liveText(send, events);
    if (!end) throw missingEnd();
    send("message_delta", messageDelta(end));
    send("message_stop", { type: "message_stop" });
  } catch (error) {
    if (sse.done) return; // The client left; its task is cancelled with the call.
    const orch = toOrchError(error);
    options.onFailure(orch);
    send("error", toAnthropicError(orch));
  }
  sse.end();
}

function frame(name: string, data: object): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}
