// Follows one chat answer as it is generated and diffs its parse per token with llama.cpp common,
// for streams that send tool calls as they are written (ChatFormat.stream_deltas).
import type { Engine } from "../engine/engine.js";
import type { ChatDelta } from "../engine/types.js";

export class ChatDeltas {
  private text = "";
  /** The text the last delivered deltas describe; a diff common refuses leaves it behind. */
  private diffed = "";

  constructor(
    private readonly engine: Engine,
    private readonly parser: string,
  ) {}

  /** Adds a token's text; the deltas it completes (none while the parse holds it back). */
  push(text: string): ChatDelta[] {
    if (text === "") return [];
    this.text += text;
    return this.diff(false);
  }

  /** What the whole answer's parse adds to the partial parses already sent. */
  finish(): ChatDelta[] {
    return this.diff(true);
  }

  private diff(final: boolean): ChatDelta[] {
    const deltas = this.engine.diffChat(this.diffed, this.text, this.parser, final);
    if (deltas === null) return [];
    this.diffed = this.text;
    return deltas;
  }
}
