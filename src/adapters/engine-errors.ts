// Maps what an engine answers (HTTP status, error body, transport failure) into the error registry.
import { OrchError } from "../common/errors.js";

/** Retry advice when a 429/503 names none. */
const DEFAULT_RETRY_MS = 1000;

/** The error text an engine put in its body: OpenAI `{error:{message}}`, TGI `{error}`, plain. */
export function errorText(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === "object" && parsed !== null) {
      const record = parsed as Record<string, unknown>;
      const inner = record.error;
      if (typeof inner === "string") return inner;
      if (typeof inner === "object" && inner !== null) {
        const message = (inner as Record<string, unknown>).message;
        if (typeof message === "string") return message;
      }
      if (typeof record.message === "string") return record.message;
    }
  } catch {
    // Not JSON: the body itself is the message.
  }
  return body.trim().slice(0, 500);
}

/** `Retry-After` is seconds (or an HTTP date); the registry carries milliseconds. */
function retryAfterMs(header: string | null): number {
  if (header === null) return DEFAULT_RETRY_MS;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const at = Date.parse(header);
  return Number.isNaN(at) ? DEFAULT_RETRY_MS : Math.max(0, at - Date.now());
}

// Engines say "context" in different words: llama-server's exceed_context_size_error, vLLM's
// "maximum context length", TGI's "must be <= N" on input + max_new_tokens.
const CONTEXT_WORDS =
  /context (length|size|window)|exceed_context|too long|must be <=|max_total_tokens/i;

/** The registry error for an engine's non-2xx answer; never a bare INTERNAL. */
export function fromEngineStatus(
  engine: string,
  status: number,
  body: string,
  retryAfter: string | null,
): OrchError {
  const text = `${engine} answered ${status}: ${errorText(body) || "no message"}`;
  if (status === 429) {
    return new OrchError("ENGINE_BUSY", `${text}; retry later`, {
      retryAfterMs: retryAfterMs(retryAfter),
    });
  }
  if (status === 400 || status === 413 || status === 422) {
    if (CONTEXT_WORDS.test(body))
      return new OrchError("PROMPT_TOO_LONG", `${text}; shorten the prompt or max_tokens`);
    return new OrchError("INVALID_PARAMS", `${text}; fix the request`);
  }
  if (status === 401 || status === 403) {
    return new OrchError("POOL_UNAVAILABLE", `${text}; check the pool's token_env`);
  }
  if (status === 404) {
    return new OrchError("POOL_UNAVAILABLE", `${text}; check the pool's endpoint and served_model`);
  }
  if (status === 501)
    return new OrchError("INVALID_PARAMS", `${text}; the engine does not support this`);
  return new OrchError("POOL_UNAVAILABLE", `${text}; retry once the engine is healthy`, {
    retryAfterMs: status === 503 ? retryAfterMs(retryAfter) : undefined,
  });
}

/** A request that never got an answer: refused, reset, timed out. */
export function fromTransport(engine: string, endpoint: string, error: unknown): OrchError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const why =
    cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  return new OrchError(
    "POOL_UNAVAILABLE",
    `${engine} at ${endpoint} is unreachable (${why}); start the engine or fix the pool's endpoint`,
  );
}
