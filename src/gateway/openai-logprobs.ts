// OpenAI's two logprobs shapes (chat's `content` entries, the legacy completions arrays) from the
// tokens' log-probabilities the engine reported (see TokenLogprobs in proto/common.proto).
import type { TokenLogprobs } from "../gen/llama_orch/v1/common.js";
import type { components } from "../gen/openapi/openai.js";

type Schemas = components["schemas"];
export type ChatLogprobs = Schemas["ChatLogprobs"];
export type CompletionLogprobs = Schemas["CompletionLogprobs"];

/** A token's text; a token holding part of a UTF-8 character shows U+FFFD, its bytes stay exact. */
function textOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
}

type ChatTokenLogprob = NonNullable<ChatLogprobs["content"]>[number];

/** One token as chat's logprobs (and the native SSE `token` event) list it. */
export function toTokenLogprob(lp: TokenLogprobs): ChatTokenLogprob {
  return {
    token: textOf(lp.bytes),
    logprob: lp.logprob,
    bytes: [...lp.bytes],
    top_logprobs: lp.top.map((alt) => ({
      token: textOf(alt.bytes),
      logprob: alt.logprob,
      bytes: [...alt.bytes],
    })),
  };
}

export function toChatLogprobs(tokens: readonly TokenLogprobs[]): ChatLogprobs {
  return { content: tokens.map(toTokenLogprob), refusal: null };
}

/** `text_offset` counts characters of the choice's text from `offset` (the echoed prompt's length). */
export function toCompletionLogprobs(
  tokens: readonly TokenLogprobs[],
  offset: number,
): CompletionLogprobs {
  const out: CompletionLogprobs = {
    tokens: [],
    token_logprobs: [],
    top_logprobs: [],
    text_offset: [],
  };
  let at = offset;
  for (const lp of tokens) {
    const text = textOf(lp.bytes);
    out.tokens.push(text);
    out.token_logprobs.push(lp.logprob);
    out.top_logprobs.push(
      Object.fromEntries(lp.top.map((alt) => [textOf(alt.bytes), alt.logprob])),
    );
    out.text_offset.push(at);
    at += text.length;
  }
  return out;
}
