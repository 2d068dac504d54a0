// The one registry of error codes, each mapped once to its gRPC status and HTTP status.

/** Canonical gRPC status codes (google.rpc.Code). */
export const GrpcStatus = {
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  ALREADY_EXISTS: 6,
} as const;

interface CodeInfo {
  readonly http: number;
  readonly grpc: number;
  readonly retriable: boolean;
}

const G = GrpcStatus;

export const errorCodes = {
  // Public ErrorKind of the data plane (SPEC.md section 2.5, DESIGN decision 3).
  ADMISSION_REJECT: { http: 429, grpc: G.RESOURCE_EXHAUSTED, retriable: true },
  QUEUE_FULL_DROP_LRU: { http: 429, grpc: G.RESOURCE_EXHAUSTED, retriable: true },
  INVALID_PARAMS: { http: 400, grpc: G.INVALID_ARGUMENT, retriable: false },
  DEADLINE_UNMET: { http: 400, grpc: G.INVALID_ARGUMENT, retriable: false },
  POOL_UNREADY: { http: 503, grpc: G.UNAVAILABLE, retriable: true },
  POOL_UNAVAILABLE: { http: 503, grpc: G.UNAVAILABLE, retriable: true },
  REPLICA_EXHAUSTED: { http: 503, grpc: G.RESOURCE_EXHAUSTED, retriable: true },
  DECODE_TIMEOUT: { http: 500, grpc: G.DEADLINE_EXCEEDED, retriable: false },
  WORKER_RESET: { http: 500, grpc: G.ABORTED, retriable: true },
  // A worker on another host registering without mutual TLS (workers.allow_insecure_remote off).
  INSECURE_TRANSPORT: { http: 400, grpc: G.FAILED_PRECONDITION, retriable: false },
  INTERNAL: { http: 500, grpc: G.INTERNAL, retriable: false },
  MODEL_DEPRECATED: { http: 400, grpc: G.FAILED_PRECONDITION, retriable: false },
  UNTRUSTED_ARTIFACT: { http: 400, grpc: G.FAILED_PRECONDITION, retriable: false },
  // Control plane codes beyond the public ErrorKind.
  BUDGET_EXCEEDED: { http: 429, grpc: G.RESOURCE_EXHAUSTED, retriable: false },
  SESSION_TURNS_EXCEEDED: { http: 400, grpc: G.FAILED_PRECONDITION, retriable: false },
  TASK_NOT_FOUND: { http: 404, grpc: G.NOT_FOUND, retriable: false },
  TASK_EXISTS: { http: 409, grpc: G.ALREADY_EXISTS, retriable: false },
  SESSION_NOT_FOUND: { http: 404, grpc: G.NOT_FOUND, retriable: false },
  POOL_NOT_FOUND: { http: 404, grpc: G.NOT_FOUND, retriable: false },
  CATALOG_ENTRY_NOT_FOUND: { http: 404, grpc: G.NOT_FOUND, retriable: false },
  CATALOG_ENTRY_EXISTS: { http: 409, grpc: G.ALREADY_EXISTS, retriable: false },
  MODEL_DIGEST_MISMATCH: { http: 422, grpc: G.FAILED_PRECONDITION, retriable: false },
  ARTIFACT_NOT_FOUND: { http: 404, grpc: G.NOT_FOUND, retriable: false },
  ARTIFACT_TOO_LARGE: { http: 413, grpc: G.INVALID_ARGUMENT, retriable: false },
  // Model pulls: the source refused us, could not be reached, or the disk is too small.
  MODEL_SOURCE_UNAUTHORIZED: { http: 502, grpc: G.FAILED_PRECONDITION, retriable: false },
  MODEL_SOURCE_UNAVAILABLE: { http: 502, grpc: G.UNAVAILABLE, retriable: true },
  INSUFFICIENT_STORAGE: { http: 507, grpc: G.RESOURCE_EXHAUSTED, retriable: false },
  // HTTP edge codes.
  ROUTE_NOT_FOUND: { http: 404, grpc: G.NOT_FOUND, retriable: false },
  PAYLOAD_TOO_LARGE: { http: 413, grpc: G.INVALID_ARGUMENT, retriable: false },
  // Engine (native addon) codes; the addon raises exactly these names.
  MODEL_NOT_FOUND: { http: 404, grpc: G.NOT_FOUND, retriable: false },
  MODEL_INVALID: { http: 422, grpc: G.INVALID_ARGUMENT, retriable: false },
  MODEL_UNSUPPORTED: { http: 422, grpc: G.FAILED_PRECONDITION, retriable: false },
  MODEL_LOAD_FAILED: { http: 500, grpc: G.INTERNAL, retriable: false },
  CONTEXT_TOO_LARGE: { http: 400, grpc: G.INVALID_ARGUMENT, retriable: false },
  PROMPT_TOO_LONG: { http: 400, grpc: G.INVALID_ARGUMENT, retriable: false },
  GRAMMAR_INVALID: { http: 400, grpc: G.INVALID_ARGUMENT, retriable: false },
  SEQUENCE_UNKNOWN: { http: 404, grpc: G.NOT_FOUND, retriable: false },
  ENGINE_BUSY: { http: 429, grpc: G.RESOURCE_EXHAUSTED, retriable: true },
  ENGINE_DISPOSED: { http: 503, grpc: G.UNAVAILABLE, retriable: false },
  // A pool names a GPU this addon build or host does not have (no silent fall back to the CPU).
  POOL_DEVICE_UNAVAILABLE: { http: 503, grpc: G.FAILED_PRECONDITION, retriable: false },
  // A GPU ran out of memory loading a model or in a decode step.
  POOL_INSUFFICIENT_VRAM: { http: 503, grpc: G.RESOURCE_EXHAUSTED, retriable: true },
  // The same in host RAM (a cpu pool, or the layers and buffers a GPU pool keeps on the host).
  POOL_INSUFFICIENT_MEMORY: { http: 503, grpc: G.RESOURCE_EXHAUSTED, retriable: true },
  // External engines (src/adapters): a feature the pool's engine does not have.
  ENGINE_UNSUPPORTED: { http: 400, grpc: G.FAILED_PRECONDITION, retriable: false },
  // A client (the CLI) reached no control plane at the address it was given.
  CONTROL_PLANE_UNREACHABLE: { http: 503, grpc: G.UNAVAILABLE, retriable: true },
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof errorCodes;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(errorCodes, value);
}

/** An error a caller can act on: a registry code, an actionable message, retry advice. */
export class OrchError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: { retryAfterMs?: number } = {}) {
    super(message);
    this.name = "OrchError";
    this.code = code;
    this.retriable = errorCodes[code].retriable;
    this.retryAfterMs = options.retryAfterMs;
  }

  get httpStatus(): number {
    return errorCodes[this.code].http;
  }

  get grpcStatus(): number {
    return errorCodes[this.code].grpc;
  }
}
