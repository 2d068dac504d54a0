// Which sessions' KV one engine holds, mirrored from sequence ends for placement affinity.
import type { FinishReason } from "../engine/types.js";

/**
 * The engine parks one session per slot and evicts the least recently used when a request needs the
 * slot, and drops a session's KV when its sequence fails. This mirror follows the same rules; it can
 * only over-report when requests without a session push parked sessions out, and a stale warm hint
 * costs a placement preference, never correctness.
 */
export class WarmSessions {
  /** Insertion order is recency: the first key is the least recently used. */
  private readonly keys = new Set<string>();
  private readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = Math.max(0, capacity);
  }

  ended(sessionKey: string, reason: FinishReason): void {
    if (sessionKey === "") return;
    this.keys.delete(sessionKey);
    if (reason === "error" || this.capacity === 0) return;
    this.keys.add(sessionKey);
    if (this.keys.size > this.capacity) {
      const oldest = this.keys.values().next().value;
      if (oldest !== undefined) this.keys.delete(oldest);
    }
  }

  list(): string[] {
    return [...this.keys];
  }
}
