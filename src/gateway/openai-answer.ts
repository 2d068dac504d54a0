// Runs the tasks of one OpenAI request (one per choice, `n`) and answers in OpenAI's shapes:
// one JSON body, or one data-only SSE stream whose chunks carry each choice's index.
import { type ClientReadableStream, Metadata, type ServiceError } from "@grpc/grpc-js";
import type { FastifyReply, FastifyRequest } from "fastify";
import { DEFAULT_SSE_KEEPALIVE_MS } from "../common/config-schema.js";
import { fromErrorDetail, fromServiceError } from "../common/grpc-errors.js";
import type { End, TokenLogprobs } from "../gen/llama_orch/v1/common.js";
import type { TaskEvent, TaskRequest } from "../gen/llama_orch/v1/orchestrator.js";
import { onResponseClosed } from "./client-gone.js";
import type { GatewayContext } from "./gateway-context.js";
import { correlationMetadata } from "./grpc-call.js";
import { toOrchError } from "./http-errors.js";
import { hijackSse } from "./sse-response.js";
import { tokensOf } from "./task-tokens.js";
import {
  type Answer,
  missingEnd,
  type ResponseMeta,
  responseMeta,
  type Surface,
  toDeltaChunks,
  toFinishChunk,
  toLogprobsChunk,
  toOpenAiError,
  toOpeningChunk,
  toResponse,
  toTokenChunk,
  toUsageChunk,
} from "./translate-openai.js";

export interface TaskCall {
  surface: Surface;
  /** One task per choice. */
  tasks: TaskRequest[];
  model: string;
  stream: boolean;
  includeUsage: boolean;
  /**
   * Tools were offered: a stream sends the parsed answer's deltas (the worker diffs its parse per
   * token, as the task asked), never the raw text the calls are written in.
   */
  withTools: boolean;
  /** The request asked for logprobs. */
  logprobs: boolean;
  /** Completions with `echo`: the prompt precedes each choice's text. */
  echo?: string;
}

export interface Running {
  call: ClientReadableStream<TaskEvent>;
  taskId: string;
  events: AsyncGenerator<TaskEvent>;
}

/** The task's events, with a failed call turned into its OrchError and `error` events thrown. */
async function* taskEvents(call: ClientReadableStream<TaskEvent>): AsyncGenerator<TaskEvent> {
  try {
    for await (const event of call as AsyncIterable<TaskEvent>) {
      if (event.event?.$case === "error") throw fromErrorDetail(event.event.value);
      yield event;
    }
  } catch (error) {
    const service = error as Partial<ServiceError>;
    throw service.metadata instanceof Metadata ? fromServiceError(error as ServiceError) : error;
  }
}

/** Submits one task and waits for its admission; a client that goes away cancels it. */
export async function admit(
  context: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
  task: TaskRequest,
): Promise<Running> {
  const batched = { ...task, tokenBatches: true };
  const call = context.clients.orchestrator.submit(batched, correlationMetadata(request));
  onResponseClosed(reply.raw, () => {
    if (!reply.raw.writableFinished) call.cancel();
  });
  const events = taskEvents(call);
  const first = await events.next().catch((error: unknown) => {
    call.cancel();
    throw error;
  });
  const admitted = first.done ? undefined : first.value.event;
  if (admitted?.$case !== "admitted") throw missingEnd();
  return { call, taskId: admitted.value.taskId, events };
}

/** All of the request's tasks admitted, or none: one refused cancels those already admitted. */
async function admitAll(
  context: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
  tasks: TaskRequest[],
): Promise<Running[]> {
  const settled = await Promise.allSettled(tasks.map((t) => admit(context, request, reply, t)));
  const refused = settled.find((s) => s.status === "rejected");
  if (!refused) return settled.map((s) => (s as PromiseFulfilledResult<Running>).value);
  for (const s of settled) if (s.status === "fulfilled") s.value.call.cancel();
  throw refused.reason;
}

async function collect(events: AsyncGenerator<TaskEvent>): Promise<Answer> {
  let text = "";
  const logprobs: TokenLogprobs[] = [];
  for await (const { event } of events) {
    for (const token of tokensOf(event)) {
      text += token.t;
      if (token.logprobs) logprobs.push(token.logprobs);
    }
    if (event?.$case === "end") return { text, end: event.value, logprobs };
  }
  throw missingEnd();
}

export async function runTasks(
  context: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
  job: TaskCall,
): Promise<void> {
  const running = await admitAll(context, request, reply, job.tasks);
  const meta = responseMeta(job.surface, running[0]?.taskId ?? "", job.model, job);
  if (job.stream) return streamAnswers(context, reply, running, meta, job);
  const answers = await Promise.all(running.map((r) => collect(r.events)));
  await reply.send(toResponse(meta, answers));
}

/** Chunks queued for the next write, and that write (waiting while the socket is full). */
interface Send {
  (data: unknown): void;
  flush(): Promise<void>;
}

/**
 * One choice's chunks: opening, tokens (with tools: the parsed answer's deltas), finish. A batch
 * of tokens is one text chunk (their text joined, their logprobs together) and one write; a
 * token's logprobs ride on the next text chunk, and those no text chunk took go in one chunk
 * before the finish.
 */
async function streamChoice(
  send: Send,
  meta: ResponseMeta,
  index: number,
  events: AsyncGenerator<TaskEvent>,
  withTools: boolean,
): Promise<End> {
  const opening = toOpeningChunk(meta, index);
  if (opening) send(opening);
  let logprobs: TokenLogprobs[] = [];
  for await (const { event } of events) {
    if (event?.$case !== "end") {
      const tokens = tokensOf(event);
      for (const token of tokens) if (token.logprobs) logprobs.push(token.logprobs);
      const text = tokens.map((token) => token.t).join("");
      if (withTools)
        for (const c of toDeltaChunks(
          meta,
          index,
          tokens.flatMap((t) => t.chat),
        ))
          send(c);
      else if (text !== "") {
        send(toTokenChunk(meta, index, text, logprobs));
        logprobs = [];
      }
      await send.flush();
      continue;
    }
    const end = event.value;
    if (withTools) for (const c of toDeltaChunks(meta, index, end.chatDeltas)) send(c);
    if (logprobs.length > 0) send(toLogprobsChunk(meta, index, logprobs));
    send(toFinishChunk(meta, index, end));
    return end;
  }
  throw missingEnd();
}

/** Data-only SSE: every choice's chunks as they come, the usage chunk if asked, `[DONE]`. */
async function streamAnswers(
  context: GatewayContext,
  reply: FastifyReply,
  running: Running[],
  meta: ResponseMeta,
  job: TaskCall,
): Promise<void> {
  const sse = hijackSse(reply, { keepAliveMs: context.sseKeepaliveMs ?? DEFAULT_SSE_KEEPALIVE_MS });
  const send = ((data: unknown) => sse.queue(`data: ${JSON.stringify(data)}\n\n`)) as Send;
  send.flush = () => (sse.flush() ? Promise.resolve() : sse.drained());
  try {
    const ends = await Promise.all(
      running.map((r, i) => streamChoice(send, meta, i, r.events, job.withTools)),
    );
    if (job.includeUsage) send(toUsageChunk(meta, ends));
  } catch (error) {
    for (const r of running) r.call.cancel();
    if (sse.done) return; // The client left; its tasks are cancelled.
    // Headers are out: the error travels as a data event, which OpenAI's clients raise.
    const orch = toOrchError(error);
    context.log.warn({ err: orch, correlation_id: reply.request.correlationId }, "stream failed");
    send(toOpenAiError(orch));
  }
  sse.end("data: [DONE]\n\n");
}
