// Pull events from proto to the SSE frames of POST /v1/models/pull (control.yaml SSEPull*).
import type { PullEvent } from "../gen/llama_orch/v1/catalog.js";

/** The SSE frame of one pull event; undefined for an event without a case. */
export function pullFrame(event: PullEvent, ref: string): string | undefined {
  const pull_id = event.pullId;
  const e = event.event;
  if (!e) return undefined;
  const data = (() => {
    switch (e.$case) {
      case "resolving":
        return { pull_id, ref };
      case "downloading": {
        const { bytes, total, bytesPerS } = e.value;
        return { pull_id, bytes, ...(total > 0 ? { total } : {}), bytes_per_s: bytesPerS };
      }
      case "verifying":
        return { pull_id };
      case "done":
        return { pull_id, id: e.value.id, digest: e.value.digest };
      case "error": {
        const { code, message, retriable } = e.value;
        return { code, message, retriable, engine: "llamacpp", pull_id };
      }
    }
  })();
  return `event: ${e.$case}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function isPullTerminal(event: PullEvent): boolean {
  return event.event?.$case === "done" || event.event?.$case === "error";
}
