// The tokens a task event carries, whichever grain it came in: a batch, a single token, or none.
import type { Token } from "../gen/llama_orch/v1/common.js";
import type { TaskEvent } from "../gen/llama_orch/v1/orchestrator.js";

const none: readonly Token[] = [];

export function tokensOf(event: TaskEvent["event"]): readonly Token[] {
  if (event?.$case === "tokens") return event.value.tokens;
  if (event?.$case === "token") return [event.value];
  return none;
}
