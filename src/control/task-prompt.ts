// A task's prompt as admission counts it and the worker receives it: a chat rendered and tokenized
// once by a worker (PreparePrompt), or a text prompt bounded by its bytes or counted.
import { OrchError } from "../common/errors.js";
import { preparePrompt } from "./chat-template.js";
import type { PoolRegistry } from "./pool-registry.js";
import { promptTokensFor } from "./token-count.js";
import type { ChatFormatParams, TaskInput } from "./types.js";

export interface TaskPrompt {
  /** The task with a chat's rendered prompt, grammar, stops and chat format filled in. */
  input: TaskInput;
  /** What admission checks prompt + max_tokens <= ctx with. */
  promptTokens: number;
  /** The prompt's token ids, for Generate as they are; empty: the worker tokenizes `prompt`. */
  tokenIds: readonly number[];
}

export async function taskPrompt(
  registry: PoolRegistry,
  modelRef: string,
  input: TaskInput,
  correlationId: string,
): Promise<TaskPrompt> {
  const { chat } = input;
  if (!chat) {
    const promptTokens = await promptTokensFor(registry, modelRef, input, correlationId);
    return { input, promptTokens, tokenIds: [] };
  }
  if (input.prompt || input.grammar || input.chatFormat)
    throw new OrchError(
      "INVALID_PARAMS",
      "a chat task carries its messages in `chat`; prompt, grammar and chat_format come from the " +
        "model's chat template, leave them empty",
    );
  const prepared = await preparePrompt(registry, modelRef, chat.template, correlationId);
  const rendered = prepared.rendered;
  const stop = input.stop ?? [];
  const format: ChatFormatParams | undefined = rendered?.chatFormat && {
    ...rendered.chatFormat,
    streamDeltas: chat.streamDeltas,
  };
  return {
    input: {
      ...input,
      prompt: rendered?.prompt ?? "",
      grammar: rendered?.grammar || undefined,
      // The caller's stops first, then the end-of-turn markers the chat format adds.
      stop: [...stop, ...(rendered?.stops ?? []).filter((s) => !stop.includes(s))],
      chatFormat: format,
    },
    promptTokens: prepared.tokenCount,
    tokenIds: prepared.tokens,
  };
}
