// Errors on the HTTP surface: the registry code, an actionable message, retry advice and the
// backpressure headers (SPEC 2.5), mapped once from OrchError.
import type { FastifyReply } from "fastify";
import { OrchError } from "../common/errors.js";

export interface ErrorEnvelope {
  code: string;
  message: string;
  engine: "llamacpp";
  retriable: boolean;
  retry_after_ms?: number;
  policy_label?: string;
  pool_id?: string;
}

const POLICY_LABELS: Record<string, string> = {
  ADMISSION_REJECT: "reject",
  QUEUE_FULL_DROP_LRU: "drop-lru",
  POOL_UNAVAILABLE: "retry",
};

export function toEnvelope(error: OrchError): ErrorEnvelope {
  const envelope: ErrorEnvelope = {
    code: error.code,
    message: error.message,
    engine: "llamacpp",
    retriable: error.retriable,
  };
  if (error.retryAfterMs !== undefined) envelope.retry_after_ms = error.retryAfterMs;
  const label = POLICY_LABELS[error.code];
  if (label) envelope.policy_label = label;
  return envelope;
}

/** Sends `error` with its registry HTTP status; 429s carry Retry-After and X-Backoff-Ms. */
export function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  const orch = error instanceof OrchError ? error : new OrchError("INTERNAL", String(error));
  if (orch.retryAfterMs !== undefined) {
    reply.header("Retry-After", String(Math.max(1, Math.ceil(orch.retryAfterMs / 1000))));
    reply.header("X-Backoff-Ms", String(orch.retryAfterMs));
  }
  return reply.code(orch.httpStatus).send(toEnvelope(orch));
}
