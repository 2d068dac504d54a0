// The Worker gRPC service over an external engine: the same contract as the native worker's
// (worker-service.ts), so the control plane cannot tell the two apart except by capabilities.
//
// Cancel is race-free as on the native worker: Cancel marks the run cancelled before it answers
// and every token is checked against that mark before it is written, so no token follows the ack;
// aborting the upstream request closes its connection, which each engine treats as "free it".
import type { ServerWritableStream } from "@grpc/grpc-js";
import { OrchError } from "../common/errors.js";
import { finishReasonNames, protoFinishReasons } from "../common/finish-reasons.js";
import { toErrorDetail, toStatus } from "../common/grpc-errors.js";
import { unary } from "../common/grpc-unary.js";
import type { Logger } from "../common/logger.js";
import {
  ChatTemplateRequest,
  type ChatTemplateResponse,
  FinishReason,
} from "../gen/llama_orch/v1/common.js";
import type { GenerateEvent, GenerateRequest, WorkerServer } from "../gen/llama_orch/v1/worker.js";
import type { EngineWatch } from "./engine-watch.js";
import type { AdapterEvent, AdapterRequest, EngineAdapter } from "./types.js";

type GenerateCall = ServerWritableStream<GenerateRequest, GenerateEvent>;

interface Run {
  readonly controller: AbortController;
  cancelled: boolean;
  delivered: number;
  /** Settles once the last token written has left the stream's buffer for the transport. */
  written: Promise<void>;
}

/** Proto optionals are undefined when unset; proto3 strings are "" when not given. */
export function toAdapterRequest(request: GenerateRequest): AdapterRequest {
  const s = request.sampling;
  return {
    taskId: request.taskId,
    prompt: request.prompt,
    maxTokens: request.maxTokens,
    temperature: s?.temperature,
    topK: s?.topK,
    topP: s?.topP,
    minP: s?.minP,
    repeatPenalty: s?.repeatPenalty,
    seed: s?.seed,
    stop: request.stop,
    grammar: request.grammar === "" ? undefined : request.grammar,
    sessionKey: request.sessionKey === "" ? undefined : request.sessionKey,
    ignoreEos: request.ignoreEos,
  };
}

export interface AdapterServiceOptions {
  poolId: string;
  adapter: EngineAdapter;
  watch: EngineWatch;
  log: Logger;
}

export class AdapterService {
  private readonly options: AdapterServiceOptions;
  private readonly live = new Map<string, Run>();

  constructor(options: AdapterServiceOptions) {
    this.options = options;
  }

  handlers(): WorkerServer {
    const { adapter, watch } = this.options;
    return {
      generate: (call: GenerateCall) => void this.generate(call),
      cancel: unary(async ({ taskId }) => ({ cancelled: await this.cancel(taskId) })),
      describe: unary(() => watch.description()),
      health: unary(() => ({ live: true, ready: watch.ready, lastError: watch.reason })),
      countTokens: unary(async ({ text }) => ({ count: await adapter.countTokens(text) })),
      applyChatTemplate: unary((request) => this.renderChat(request)),
      // The engine tokenizes on its side: the prompt travels as text, with the engine's count.
      preparePrompt: unary(async ({ chat }) => {
        const rendered = await this.renderChat(chat ?? ChatTemplateRequest.fromPartial({}));
        return { rendered, tokens: [], tokenCount: await adapter.countTokens(rendered.prompt) };
      }),
      loadModel: unary(() => {
        throw new OrchError(
          "ENGINE_UNSUPPORTED",
          `pool ${this.options.poolId} is served by ${adapter.engine}, which loads its own model; ` +
            "restart the engine with the other model instead",
        );
      }),
    };
  }

  private async renderChat(request: ChatTemplateRequest): Promise<ChatTemplateResponse> {
    const { adapter } = this.options;
    const { messages, addAssistant, tools, jsonSchema } = request;
    if (!adapter.applyChatTemplate) {
      throw new OrchError(
        "ENGINE_UNSUPPORTED",
        `pool ${this.options.poolId} (${adapter.engine}) cannot render chat templates; ` +
          "send a prompt to /v1/completions, or use a llamacpp or llamacpp-server pool",
      );
    }
    if (tools.length > 0 || jsonSchema !== "") {
      // Tool-call formats and schema grammars come from our addon's llama.cpp common library.
      throw new OrchError(
        "ENGINE_UNSUPPORTED",
        `pool ${this.options.poolId} (${adapter.engine}) cannot constrain answers to tools or a ` +
          "JSON schema; use a llamacpp pool for tools and response_format",
      );
    }
    const prompt = await adapter.applyChatTemplate(messages, addAssistant);
    return { prompt, grammar: "", stops: [] };
  }

  /**
   * The ack waits for the tokens already written to leave the stream's buffer: a token still
   * buffered could otherwise reach the client after the ack, on the other gRPC stream.
   */
  private async cancel(taskId: string): Promise<boolean> {
    const run = this.live.get(taskId);
    if (!run || run.cancelled) return false;
    run.cancelled = true;
    run.controller.abort();
    await run.written;
    return true;
  }

  private refusal(request: GenerateRequest): OrchError | undefined {
    const { adapter, watch, poolId } = this.options;
    if (!watch.ready)
      return new OrchError("POOL_UNREADY", `pool ${poolId}: ${watch.reason}; retry`);
    if (request.strict && !adapter.features.strict_determinism) {
      return new OrchError(
        "ENGINE_UNSUPPORTED",
        `pool ${poolId} (${adapter.engine}) cannot isolate a sequence from its batch, so ` +
          'determinism "strict" is not served; use best_effort or a llamacpp pool',
      );
    }
    if (request.taskId !== "" && this.live.has(request.taskId)) {
      return new OrchError(
        "TASK_EXISTS",
        `task ${request.taskId} is already generating on this worker`,
      );
    }
    return undefined;
  }

  private async generate(call: GenerateCall): Promise<void> {
    const refused = this.refusal(call.request);
    if (refused) {
      call.emit("error", toStatus(refused));
      return;
    }
    const run: Run = {
      controller: new AbortController(),
      cancelled: false,
      delivered: 0,
      written: Promise.resolve(),
    };
    const { taskId } = call.request;
    if (taskId !== "") this.live.set(taskId, run);
    const clientGone = () => {
      run.cancelled = true;
      run.controller.abort();
    };
    call.once("cancelled", clientGone);
    const startedMs = Date.now();
    try {
      const events = this.options.adapter.generate(
        toAdapterRequest(call.request),
        run.controller.signal,
      );
      await this.stream(call, run, events, startedMs);
    } catch (error) {
      this.failed(call, run, error);
    } finally {
      call.off("cancelled", clientGone);
      if (this.live.get(taskId) === run) this.live.delete(taskId);
    }
  }

  private async stream(
    call: GenerateCall,
    run: Run,
    events: AsyncIterable<AdapterEvent>,
    startedMs: number,
  ): Promise<void> {
    let firstMs: number | undefined;
    for await (const event of events) {
      if (run.cancelled) break;
      if (event.type === "token") {
        firstMs ??= Date.now();
        const token = { t: event.text, i: run.delivered, id: event.id, chat: [] };
        run.written = new Promise((resolve) =>
          call.write({ event: { $case: "token", value: token } }, () => resolve()),
        );
        run.delivered += 1;
        continue;
      }
      const ttftMs = (firstMs ?? Date.now()) - startedMs;
      this.end(call, run, protoFinishReasons[event.finishReason], {
        ...event,
        ttftMs,
        wallMs: Date.now() - startedMs,
      });
      return;
    }
    const wallMs = Date.now() - startedMs;
    if (run.cancelled) this.end(call, run, FinishReason.FINISH_REASON_CANCELLED, { wallMs });
    else
      throw new OrchError(
        "POOL_UNAVAILABLE",
        `${this.options.adapter.engine} ended the stream without finishing; retry`,
      );
  }

  private end(
    call: GenerateCall,
    run: Run,
    finishReason: FinishReason,
    figures: Partial<Extract<AdapterEvent, { type: "end" }>> & { ttftMs?: number; wallMs: number },
  ): void {
    const decodeMs = Math.round(figures.decodeMs ?? figures.wallMs - (figures.ttftMs ?? 0));
    const end = {
      tokensIn: figures.tokensIn ?? 0,
      tokensOut:
        finishReason === FinishReason.FINISH_REASON_CANCELLED
          ? run.delivered
          : (figures.tokensOut ?? run.delivered),
      decodeMs,
      decodeTimeMs: decodeMs,
      finishReason,
      cachedTokens: figures.cachedTokens ?? 0,
      ttftMs: Math.round(figures.ttftMs ?? 0),
      promptMs: Math.round(figures.promptMs ?? 0),
      chatDeltas: [],
    };
    this.options.log.info(
      {
        task_id: call.request.taskId,
        tokens_out: end.tokensOut,
        finish_reason: finishReasonNames[finishReason],
      },
      "generate ended",
    );
    if (call.cancelled) return;
    call.write({ event: { $case: "end", value: end } });
    call.end();
  }

  /** Before any token the call fails with a status (as on the native worker); after, an `error` event. */
  private failed(call: GenerateCall, run: Run, error: unknown): void {
    if (run.cancelled) {
      this.end(call, run, FinishReason.FINISH_REASON_CANCELLED, { wallMs: 0 });
      return;
    }
    const orch =
      error instanceof OrchError ? error : new OrchError("POOL_UNAVAILABLE", String(error));
    this.options.log.warn(
      { task_id: call.request.taskId, error_code: orch.code, error: orch.message },
      "engine failed the task",
    );
    if (orch.code === "POOL_UNAVAILABLE") this.options.watch.suspect(orch.message);
    if (call.cancelled) return;
    if (run.delivered === 0) {
      call.emit("error", toStatus(orch));
      return;
    }
    const context = { poolId: this.options.poolId, engine: this.options.adapter.engine };
    call.write({ event: { $case: "error", value: toErrorDetail(orch, context) } });
    call.end();
  }
}
