// The native error envelope (SPEC 2.5): the registry code, an actionable message, retry advice
// and the policy that refused; http-errors.ts maps every error to it once.
import type { FastifyReply } from "fastify";
import type { OrchError } from "../common/errors.js";
import { sendErrorAs } from "./http-errors.js";

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

/** Sends `error` as the native envelope with its registry status and backoff headers. */
export function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  return sendErrorAs(reply, error, toEnvelope);
}
