// The control plane's one client of a worker: every call goes through it, each kind with its
// deadline, the caller's correlation id in metadata (the worker binds it to its log lines), and
// one mapping of failed calls to registry errors.
import {
  type ChannelCredentials,
  type ClientReadableStream,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import { correlationMetadata } from "../common/correlation.js";
import { OrchError } from "../common/errors.js";
import { sendBearer } from "../common/grpc-auth.js";
import { carriesErrorCode, fromServiceError } from "../common/grpc-errors.js";
import type { ChatTemplateRequest, ChatTemplateResponse } from "../gen/llama_orch/v1/common.js";
import {
  type CountTokensResponse,
  type GenerateEvent,
  type GenerateRequest,
  WorkerClient as GrpcWorkerClient,
  type LoadModelRequest,
  type PreparedPrompt,
  type WorkerCancelResponse,
  type WorkerDescription,
} from "../gen/llama_orch/v1/worker.js";

/** How long each unary call may take: quick questions, and a model load that reads gigabytes. */
export const WORKER_DEADLINES_MS = {
  cancel: 3000,
  countTokens: 5000,
  applyChatTemplate: 5000,
  preparePrompt: 5000,
  describe: 5000,
  loadModel: 120_000,
} as const;

type CallKind = keyof typeof WORKER_DEADLINES_MS;

/** The worker went away under a task (exit, dropped connection): retriable elsewhere. */
export function workerReset(poolId: string, why: string): OrchError {
  return new OrchError(
    "WORKER_RESET",
    `the worker of pool ${poolId} went away (${why}); the task was not finished, submit it again`,
    { retryAfterMs: 1000 },
  );
}

/**
 * A failed worker call as the registry error its caller reports: the worker's own code when it
 * sent one, else what the transport status means (gone, too slow, or a bug).
 */
export function workerError(poolId: string, call: string, error: ServiceError): OrchError {
  if (carriesErrorCode(error)) return fromServiceError(error);
  if (error.code === status.UNAVAILABLE || error.code === status.CANCELLED)
    return workerReset(poolId, error.details || "the connection dropped");
  if (error.code === status.DEADLINE_EXCEEDED)
    return new OrchError(
      "POOL_UNAVAILABLE",
      `the worker of pool ${poolId} did not answer ${call} in time; retry, or check the pool's health`,
      { retryAfterMs: 1000 },
    );
  return fromServiceError(error);
}

export interface WorkerClientOptions {
  address: string;
  /** The pool the worker serves, named in errors ("" before one registered). */
  poolId: string;
  credentials: ChannelCredentials;
  authToken: string | undefined;
}

export class WorkerClient {
  readonly address: string;
  private readonly poolId: string;
  private readonly grpc: GrpcWorkerClient;

  constructor(options: WorkerClientOptions) {
    this.address = options.address;
    this.poolId = options.poolId;
    this.grpc = new GrpcWorkerClient(options.address, options.credentials, {
      interceptors: sendBearer(options.authToken),
    });
  }

  /**
   * A task's event stream. Its deadline is the task's wall time plus a grace: the control plane
   * times the task out first (DECODE_TIMEOUT); the deadline only bounds a stream it lost track of.
   */
  generate(
    request: GenerateRequest,
    correlationId: string | undefined,
    wallMs: number,
  ): ClientReadableStream<GenerateEvent> {
    const deadline = Date.now() + wallMs + WORKER_DEADLINES_MS.cancel;
    return this.grpc.generate(request, correlationMetadata(correlationId), { deadline });
  }

  /** True when the worker had the task and stopped it. */
  async cancel(taskId: string, correlationId: string | undefined): Promise<boolean> {
    const reply = await this.unary<WorkerCancelResponse>(
      "cancel",
      correlationId,
      (metadata, options, done) => this.grpc.cancel({ taskId }, metadata, options, done),
    );
    return reply.cancelled;
  }

  async countTokens(text: string, correlationId: string | undefined): Promise<number> {
    const reply = await this.unary<CountTokensResponse>(
      "countTokens",
      correlationId,
      (metadata, options, done) => this.grpc.countTokens({ text }, metadata, options, done),
    );
    return reply.count;
  }

  applyChatTemplate(
    request: ChatTemplateRequest,
    correlationId: string | undefined,
  ): Promise<ChatTemplateResponse> {
    return this.unary("applyChatTemplate", correlationId, (metadata, options, done) =>
      this.grpc.applyChatTemplate(request, metadata, options, done),
    );
  }

  /** The chat rendered and tokenized in one call (PreparePrompt). */
  preparePrompt(
    chat: ChatTemplateRequest,
    correlationId: string | undefined,
  ): Promise<PreparedPrompt> {
    return this.unary("preparePrompt", correlationId, (metadata, options, done) =>
      this.grpc.preparePrompt({ chat }, metadata, options, done),
    );
  }

  describe(): Promise<WorkerDescription> {
    return this.unary("describe", undefined, (metadata, options, done) =>
      this.grpc.describe({}, metadata, options, done),
    );
  }

  loadModel(
    request: LoadModelRequest,
    correlationId: string | undefined,
  ): Promise<WorkerDescription> {
    return this.unary("loadModel", correlationId, (metadata, options, done) =>
      this.grpc.loadModel(request, metadata, options, done),
    );
  }

  close(): void {
    this.grpc.close();
  }

  private unary<Res>(
    kind: CallKind,
    correlationId: string | undefined,
    call: (
      metadata: ReturnType<typeof correlationMetadata>,
      options: { deadline: number },
      done: (error: ServiceError | null, reply: Res) => void,
    ) => void,
  ): Promise<Res> {
    const options = { deadline: Date.now() + WORKER_DEADLINES_MS[kind] };
    return new Promise((resolve, reject) => {
      call(correlationMetadata(correlationId), options, (error, reply) => {
        if (error) reject(workerError(this.poolId, kind, error));
        else resolve(reply);
      });
    });
  }
}
