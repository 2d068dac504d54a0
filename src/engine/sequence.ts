// One submitted sequence: an async iterable of its events that stops delivering tokens once
// cancel() is called.
import type { EndEvent, EngineEvent } from "./types.js";

export interface SequenceResult {
  text: string;
  tokens: number[];
  end: EndEvent;
}

export class Sequence implements AsyncIterable<EngineEvent> {
  readonly id: number;
  private readonly buffer: EngineEvent[] = [];
  private head = 0;
  private wake: (() => void) | undefined;
  private cancelRequested = false;
  private ended = false;
  private readonly requestCancel: (id: number) => Promise<boolean>;

  constructor(id: number, requestCancel: (id: number) => Promise<boolean>) {
    this.id = id;
    this.requestCancel = requestCancel;
  }

  /** Called by the engine's event dispatch. */
  push(event: EngineEvent): void {
    if (this.cancelRequested && event.type === "token") return;
    if (event.type === "end") this.ended = true;
    this.buffer.push(event);
    this.wake?.();
  }

  /**
   * Stops the sequence wherever it is (queued, prefill, decode). From this call on no token is
   * delivered; the stream ends with `end` (finish reason `cancelled` unless it had already ended).
   * Resolves true when the engine still had the sequence, false when it had ended already.
   */
  cancel(): Promise<boolean> {
    this.cancelRequested = true;
    if (this.ended) return Promise.resolve(false);
    const kept = this.buffer.slice(this.head).filter((event) => event.type !== "token");
    this.buffer.length = 0;
    this.head = 0;
    this.buffer.push(...kept);
    return this.requestCancel(this.id);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<EngineEvent> {
    for (;;) {
      if (this.head < this.buffer.length) {
        const event = this.buffer[this.head++] as EngineEvent;
        yield event;
        if (event.type === "end") return;
        continue;
      }
      this.buffer.length = 0;
      this.head = 0;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }

  /**
   * The same events in the engine's grain: each read takes everything buffered, so a reader gets
   * one delivery's events at a time (a step's, or several steps' on a paced engine), or several
   * deliveries' when it was slower than the engine. The buffer holds at most one sequence's
   * events (max_tokens tokens and its end).
   */
  async *batches(): AsyncGenerator<EngineEvent[]> {
    for (;;) {
      if (this.head < this.buffer.length) {
        const batch = this.buffer.slice(this.head);
        this.buffer.length = 0;
        this.head = 0;
        yield batch;
        if (batch[batch.length - 1]?.type === "end") return;
        continue;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }

  /** Collects the whole sequence: its text, token ids and end event. */
  async result(): Promise<SequenceResult> {
    let text = "";
    const tokens: number[] = [];
    for await (const event of this) {
      if (event.type === "end") return { text, tokens, end: event };
      text += event.text;
      tokens.push(event.id);
    }
    throw new Error("sequence ended without an end event");
  }
}
