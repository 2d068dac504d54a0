// OrchError <-> gRPC status: the registry's status code plus the error code in trailing metadata.
import { Metadata, type ServiceError, type StatusObject } from "@grpc/grpc-js";
import type { ErrorDetail } from "../gen/llama_orch/v1/common.js";
import { isErrorCode, OrchError } from "./errors.js";

const CODE_KEY = "llama-orch-error-code";
const RETRY_KEY = "llama-orch-retry-after-ms";

/** The status a server handler passes to its callback (or `call.destroy`) for an error. */
export function toStatus(error: unknown): Partial<StatusObject> {
  const orch = error instanceof OrchError ? error : new OrchError("INTERNAL", String(error));
  const metadata = new Metadata();
  metadata.set(CODE_KEY, orch.code);
  if (orch.retryAfterMs !== undefined) metadata.set(RETRY_KEY, String(orch.retryAfterMs));
  return { code: orch.grpcStatus, details: orch.message, metadata };
}

/** Whether a failed call's status came from our handler (with its registry code), not the transport. */
export function carriesErrorCode(error: ServiceError): boolean {
  return (error.metadata?.get(CODE_KEY) ?? []).length > 0;
}

/** The OrchError a client sees for a failed call. */
export function fromServiceError(error: ServiceError): OrchError {
  const [code] = error.metadata?.get(CODE_KEY) ?? [];
  const [retry] = error.metadata?.get(RETRY_KEY) ?? [];
  const retryAfterMs = retry === undefined ? undefined : Number(retry);
  return new OrchError(isErrorCode(code) ? code : "INTERNAL", error.details || error.message, {
    retryAfterMs,
  });
}

/** The terminal `error` event of a stream. */
export function toErrorDetail(
  error: unknown,
  context: { poolId?: string; engine?: string } = {},
): ErrorDetail {
  const orch = error instanceof OrchError ? error : new OrchError("INTERNAL", String(error));
  return {
    code: orch.code,
    message: orch.message,
    retriable: orch.retriable,
    retryAfterMs: orch.retryAfterMs,
    engine: context.engine ?? "llamacpp",
    poolId: context.poolId ?? "",
    policyLabel: "",
  };
}

export function fromErrorDetail(detail: ErrorDetail): OrchError {
  const code = isErrorCode(detail.code) ? detail.code : "INTERNAL";
  return new OrchError(code, detail.message, { retryAfterMs: detail.retryAfterMs });
}
