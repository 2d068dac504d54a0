// The Worker gRPC service: request-level generation streams, cancel, describe, model switch.
//
// Errors: a request the engine refuses at submit (INVALID_PARAMS, PROMPT_TOO_LONG, GRAMMAR_INVALID,
// ENGINE_BUSY, a duplicate task id) fails the call with a gRPC status carrying the registry code
// (src/common/grpc-errors.ts) before any event is sent, like every unary error of this service. Once
// a stream has started it ends with exactly one terminal event: `end`, or `error` when the engine
// failed the sequence. A caller therefore sees either a failed call or a stream that ends cleanly.
import type { Metadata } from "@grpc/grpc-js";
import { correlationOf } from "../common/correlation.js";
import { OrchError } from "../common/errors.js";
import { toStatus } from "../common/grpc-errors.js";
import { unary } from "../common/grpc-unary.js";
import type { Logger } from "../common/logger.js";
import { Engine } from "../engine/engine.js";
import { probeGpus } from "../engine/nvml.js";
import type { Sequence } from "../engine/sequence.js";
import type { EndEvent } from "../engine/types.js";
import { ChatTemplateRequest, type ChatTemplateResponse } from "../gen/llama_orch/v1/common.js";
import type { Telemetry, WorkerDescription, WorkerServer } from "../gen/llama_orch/v1/worker.js";
import { ChatDeltas } from "./chat-deltas.js";
import {
  toChatRenderRequest,
  toChatTemplateResponse,
  toEmbeddingEvents,
  toEmbedInputs,
  toEndEvent,
  toSubmitRequest,
  toTokenBatchEvent,
} from "./convert.js";
import { toTelemetry, toWorkerDescription } from "./convert-describe.js";
import { cancelQuietly, type GenerateCall, onDeadline, writable } from "./generate-call.js";
import type { Lease, LoadedModel, ModelHost } from "./model-host.js";

export interface WorkerServiceOptions {
  poolId: string;
  backend: string;
  host: ModelHost;
  log: Logger;
  /** The pool's GPUs (NVML indexes); telemetry reports only these. Empty: all. */
  deviceIndexes?: readonly number[];
}

/** The loaded model's chat template over `request`; a request for another model is refused. */
function renderChat(model: LoadedModel, request: ChatTemplateRequest): ChatTemplateResponse {
  if (request.modelRef !== "" && request.modelRef !== model.modelRef)
    throw new OrchError(
      "MODEL_NOT_FOUND",
      `worker serves ${model.modelRef}, not ${request.modelRef}`,
    );
  return toChatTemplateResponse(model.engine.renderChat(toChatRenderRequest(request)));
}

export class WorkerService {
  /** Assigned by the control plane at registration; empty until then. */
  workerId = "";
  private readonly options: WorkerServiceOptions;
  private readonly live = new Map<string, Sequence>();
  private readonly errorContext: { poolId: string };

  constructor(options: WorkerServiceOptions) {
    this.options = options;
    this.errorContext = { poolId: options.poolId };
  }

  handlers(): WorkerServer {
    const host = this.options.host;
    return {
      generate: (call: GenerateCall) => {
        this.generate(call).catch((error: unknown) => {
          this.logFor(call).error({ err: error, task_id: call.request.taskId }, "generate failed");
          if (!call.cancelled) call.emit("error", toStatus(error));
        });
      },
      cancel: unary(async ({ taskId }) => {
        const sequence = this.live.get(taskId);
        return { cancelled: sequence === undefined ? false : await cancelQuietly(sequence) };
      }),
      describe: unary(() => this.description()),
      health: unary(() => ({ live: true, ready: host.ready, lastError: host.lastError })),
      countTokens: unary(({ text }) => ({
        // What submit does with a text prompt: BOS added, special tokens parsed.
        count: host.model.engine.tokenize(text, { addSpecial: true, parseSpecial: true }).length,
      })),
      applyChatTemplate: unary((request, call) => {
        const rendered = renderChat(host.model, request);
        this.logFor(call).info({ model_ref: host.model.modelRef }, "chat template applied");
        return rendered;
      }),
      preparePrompt: unary(({ chat }, call) => this.prepare(chat, call)),
      loadModel: unary(async ({ modelRef, modelPath, handoffPath }, call) => {
        const log = this.logFor(call).child({ model_ref: modelRef });
        log.info("loading model");
        const model = await host
          .switchTo(modelRef, modelPath, handoffPath)
          .catch((error: unknown) => {
            log.warn({ err: error }, "model load failed; the current model keeps serving");
            throw error;
          });
        log.info({ model_digest: model.engine.info.digest }, "model switched");
        return this.description(model);
      }),
    };
  }

  description(model: LoadedModel = this.options.host.model): WorkerDescription {
    return toWorkerDescription(model.engine.info, {
      workerId: this.workerId,
      poolId: this.options.poolId,
      modelRef: model.modelRef,
      backend: this.options.backend,
      engineVersion: Engine.engineVersion,
    });
  }

  async telemetry(): Promise<Telemetry> {
    const model = this.options.host.model;
    const stats = model.engine.stats();
    return toTelemetry(stats, await probeGpus(), {
      deviceIndexes: this.options.deviceIndexes,
      warmSessions: model.warm.list(),
    });
  }

  /**
   * A chat rendered, then tokenized as submit tokenizes a text prompt (BOS added, special tokens
   * parsed), once: admission counts these ids and Generate takes them as they are.
   */
  private prepare(chat: ChatTemplateRequest | undefined, call: { metadata: Metadata }) {
    const model = this.options.host.model;
    const rendered = renderChat(model, chat ?? ChatTemplateRequest.fromPartial({}));
    const addSpecial = true;
    const tokens = model.engine.tokenize(rendered.prompt, { addSpecial, parseSpecial: true });
    // The worker's record of the count admission checked (it equals the task's tokens_in).
    this.logFor(call).info(
      { model_ref: model.modelRef, prompt_tokens: tokens.length },
      "prompt prepared",
    );
    return { rendered, tokens, tokenCount: tokens.length };
  }

  /** The worker's logger bound to the caller's correlation id: a task's lines join its request's. */
  private logFor(call: { metadata: Metadata }): Logger {
    const correlationId = correlationOf(call.metadata);
    const log = this.options.log;
    return correlationId === undefined ? log : log.child({ correlation_id: correlationId });
  }

  private async generate(call: GenerateCall): Promise<void> {
    const { taskId } = call.request;
    let lease: Lease | undefined;
    let sequence: Sequence;
    try {
      if (taskId !== "" && this.live.has(taskId)) {
        throw new OrchError("TASK_EXISTS", `task ${taskId} is already generating on this worker`);
      }
      lease = this.options.host.acquire();
      if (call.request.embeddingInputs.length > 0) return await this.embed(call, lease);
      sequence = lease.model.engine.submit(toSubmitRequest(call.request));
    } catch (error) {
      lease?.release();
      call.emit("error", toStatus(error));
      return;
    }
    // An empty task id is served but cannot be cancelled by id, only by cancelling the call.
    if (taskId !== "") this.live.set(taskId, sequence);
    try {
      await this.stream(call, lease, sequence);
    } finally {
      if (this.live.get(taskId) === sequence) this.live.delete(taskId);
      lease.release();
    }
  }

  /**
   * An embedding task: one engine call, answered with its vectors and `end`; any failure (an input
   * too long, a non-embeddings engine) fails the call, since nothing was sent before. Not
   * cancellable by id: a cancelled call only drops the answer.
   */
  private async embed(call: GenerateCall, lease: Lease): Promise<void> {
    try {
      const result = await lease.model.engine.embed(toEmbedInputs(call.request));
      this.logFor(call).info(
        {
          task_id: call.request.taskId,
          inputs: result.vectors.length,
          tokens_in: result.tokens,
          decode_time_ms: Math.round(result.ms),
        },
        "embed ended",
      );
      if (call.cancelled) return;
      for (const event of toEmbeddingEvents(result)) call.write(event);
      call.end();
    } catch (error) {
      if (!call.cancelled) call.emit("error", toStatus(error));
    } finally {
      lease.release();
    }
  }

  /**
   * The token path: one message per engine step, holding every token the sequence buffered since
   * the last write. A write the transport cannot take at once (HTTP/2 flow control, a lagging
   * control plane) waits for drain before the next read, so tokens coalesce in the sequence's
   * buffer (at most max_tokens) into the next message instead of queueing as messages.
   */
  private async stream(call: GenerateCall, lease: Lease, sequence: Sequence): Promise<void> {
    let open = true;
    const stop = () => {
      open = false;
      void cancelQuietly(sequence);
    };
    call.once("cancelled", stop);
    const deadline = onDeadline(call, stop);
    try {
      const parser = call.request.chatFormat?.parser ?? "";
      const engine = lease.model.engine;
      const streamDeltas = call.request.chatFormat?.streamDeltas && parser !== "";
      const deltas = streamDeltas ? new ChatDeltas(engine, parser) : null;
      let text = "";
      for await (const batch of sequence.batches()) {
        const tokens = batch.filter((event) => event.type === "token");
        if (tokens.length > 0) {
          if (parser !== "") for (const token of tokens) text += token.text;
          const chats = deltas ? tokens.map((token) => deltas.push(token.text)) : undefined;
          if (open && !call.write(toTokenBatchEvent(tokens, chats))) await writable(call);
        }
        const end = batch.find((event) => event.type === "end");
        if (end === undefined) continue;
        this.ended(call, lease.model, end, open);
        const chat = parser === "" ? undefined : engine.parseChat(text, parser);
        const chatDeltas = deltas?.finish();
        if (open) call.write(toEndEvent(end, { ...this.errorContext, chat, chatDeltas }));
      }
    } finally {
      clearTimeout(deadline);
      call.off("cancelled", stop);
      if (open) call.end();
    }
  }

  /** One line per task, with the fields logs are grouped and joined by (SPEC 10.4). */
  private ended(call: GenerateCall, model: LoadedModel, end: EndEvent, open: boolean): void {
    const { request } = call;
    model.warm.ended(request.sessionKey, end.finishReason);
    this.logFor(call).info(
      {
        task_id: request.taskId,
        model_digest: model.engine.info.digest,
        tokens_in: end.tokensIn,
        tokens_out: end.tokensOut,
        cached_tokens: end.cachedTokens,
        prompt_ms: end.promptMs,
        ttft_ms: end.ttftMs,
        decode_time_ms: Math.round(end.decodeMs),
        finish_reason: end.finishReason,
        error_code: end.error?.code,
        client_gone: !open,
      },
      "generate ended",
    );
  }
}
