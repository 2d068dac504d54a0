// Writes one task's events to one gRPC caller: in batches to callers that asked for them
// (coalescing what queued while the caller lagged), one `token` message per token to the others.
import type { ServerWritableStream } from "@grpc/grpc-js";
import type { Token } from "../gen/llama_orch/v1/common.js";
import type { TaskEvent } from "../gen/llama_orch/v1/orchestrator.js";
import type { TaskEntry, TaskHub } from "./task-hub.js";

type EventCall = ServerWritableStream<unknown, TaskEvent>;

function isEnd(event: TaskEvent): boolean {
  const kind = event.event?.$case;
  return kind === "end" || kind === "error";
}

/**
 * Streams a task's events to the call until its terminal event, replaying what was sent before.
 *
 * With `batches`, tokens travel as `tokens` messages in the grain they were published (one engine
 * step). While the call cannot take writes (its buffer is full: the caller or the network lags),
 * new tokens wait in one pending batch that leaves at `drain`, so a lagging caller gets fewer,
 * larger messages, and a late attach gets its replayed tokens as one. The pending batch is bounded
 * by the task's max_tokens (the hub keeps every token anyway); nothing is dropped or reordered:
 * any other event first flushes the pending tokens. Without `batches`, one message per token.
 */
export function streamTask(hub: TaskHub, entry: TaskEntry, call: EventCall, batches: boolean) {
  let pending: Token[] = [];
  let blocked = false;
  let replaying = true;
  const flush = () => {
    if (pending.length === 0) return;
    const tokens = pending;
    pending = [];
    blocked = !call.write({ event: { $case: "tokens", value: { tokens } } });
  };
  const onDrain = () => {
    blocked = false;
    flush();
  };
  const listener = (event: TaskEvent) => {
    const e = event.event;
    if (e?.$case === "tokens" && !batches) {
      for (const value of e.value.tokens) call.write({ event: { $case: "token", value } });
    } else if (e?.$case === "tokens") {
      for (const token of e.value.tokens) pending.push(token);
      if (!blocked && !replaying) flush();
    } else {
      flush();
      blocked = !call.write(event) || blocked;
      if (isEnd(event)) {
        call.off("drain", onDrain);
        call.end();
      }
    }
  };
  call.on("drain", onDrain);
  const unsubscribe = hub.subscribe(entry, listener);
  replaying = false;
  if (!blocked) flush();
  call.on("cancelled", () => {
    unsubscribe();
    call.off("drain", onDrain);
  });
}
