// Every error on the HTTP surface, mapped once: whatever a route, a hook or fastify itself throws
// becomes one OrchError (registry code, HTTP status, actionable message, retry advice), and each
// API writes that one error in its own body shape with the same status and backoff headers.
import type { FastifyError, FastifyReply } from "fastify";
import { OrchError } from "../common/errors.js";

/** Bodies above this are refused with 413 before parsing; the contract caps a prompt at 1 MiB. */
export const BODY_LIMIT_BYTES = 2 * 1024 * 1024;

/** The body one API answers an error with: the native envelope, OpenAI's or Anthropic's. */
export type ErrorBody = (error: OrchError) => unknown;

/** Validation, parsing and size errors become 4xx registry errors; anything else is INTERNAL. */
export function toOrchError(error: unknown): OrchError {
  if (error instanceof OrchError) return error;
  const thrown = error as Partial<FastifyError>;
  if (thrown.validation) {
    return new OrchError("INVALID_PARAMS", `invalid request: ${thrown.message}`);
  }
  if (thrown.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return new OrchError(
      "PAYLOAD_TOO_LARGE",
      `request body over ${BODY_LIMIT_BYTES} bytes; send a shorter prompt`,
    );
  }
  const status = thrown.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return new OrchError("INVALID_PARAMS", `bad request: ${thrown.message}`);
  }
  return new OrchError("INTERNAL", error instanceof Error ? error.message : String(error));
}

/** Sends `error` with its registry status in `body`'s shape; 429s carry Retry-After and X-Backoff-Ms. */
export function sendErrorAs(reply: FastifyReply, error: unknown, body: ErrorBody): FastifyReply {
  const orch = toOrchError(error);
  if (orch.retryAfterMs !== undefined) {
    reply.header("Retry-After", String(Math.max(1, Math.ceil(orch.retryAfterMs / 1000))));
    reply.header("X-Backoff-Ms", String(orch.retryAfterMs));
  }
  return reply.code(orch.httpStatus).send(body(orch));
}
