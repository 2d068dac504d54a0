// OpenAI-compatible routes (DESIGN decision 11): /v1/models, /v1/completions, /v1/chat/completions,
// each a native task on the same admission, queue and placement, answered in OpenAI's shapes.
import { type ClientReadableStream, Metadata, type ServiceError } from "@grpc/grpc-js";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { OrchError } from "../common/errors.js";
import { fromErrorDetail, fromServiceError } from "../common/grpc-errors.js";
import type { ChatTemplateResponse, End } from "../gen/llama_orch/v1/common.js";
import type { Capabilities, TaskEvent, TaskRequest } from "../gen/llama_orch/v1/orchestrator.js";
import { onResponseClosed } from "./client-gone.js";
import { correlationMetadata, unaryCall } from "./grpc-call.js";
import { operationSchemas } from "./openapi-schemas.js";
import type { GatewayContext } from "./server.js";
import {
  type ChatCompletionRequest,
  type CompletionRequest,
  missingEnd,
  type ResponseMeta,
  responseMeta,
  type Surface,
  toChatTemplateRequest,
  toFinishChunk,
  toModelList,
  toOpenAiAuthError,
  toOpenAiError,
  toOpeningChunk,
  toResponse,
  toTaskRequest,
  toTokenChunk,
  toUsageChunk,
} from "./translate-openai.js";

/** Sends `error` as OpenAI's error body with its registry HTTP status; 429s carry Retry-After. */
export function sendOpenAiError(
  reply: FastifyReply,
  error: unknown,
  param: string | null = null,
): FastifyReply {
  const orch = error instanceof OrchError ? error : new OrchError("INTERNAL", String(error));
  if (orch.retryAfterMs !== undefined) {
    reply.header("Retry-After", String(Math.max(1, Math.ceil(orch.retryAfterMs / 1000))));
    reply.header("X-Backoff-Ms", String(orch.retryAfterMs));
  }
  return reply.code(orch.httpStatus).send(toOpenAiError(orch, param));
}

type ValidationIssue = NonNullable<FastifyError["validation"]>[number];

/** The body field a validation error is about, for OpenAI's `param`. */
function paramOf(issue: ValidationIssue | undefined): string | null {
  if (!issue) return null;
  const params = issue.params as Record<string, unknown>;
  const field = params.additionalProperty ?? params.missingProperty;
  const path = issue.instancePath.replace(/^\//, "").replaceAll("/", ".");
  const name = typeof field === "string" ? (path ? `${path}.${field}` : field) : path;
  return name === "" ? null : name;
}

/** Route-level: validation, parse and handler errors answer in OpenAI's shape, not the native one. */
function openAiErrorHandler(error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof OrchError) return sendOpenAiError(reply, error);
  if (error.validation) {
    const invalid = new OrchError("INVALID_PARAMS", `invalid request: ${error.message}`);
    return sendOpenAiError(reply, invalid, paramOf(error.validation[0]));
  }
  if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return sendOpenAiError(reply, new OrchError("PAYLOAD_TOO_LARGE", error.message));
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return sendOpenAiError(reply, new OrchError("INVALID_PARAMS", `bad request: ${error.message}`));
  }
  return sendOpenAiError(reply, new OrchError("INTERNAL", error.message));
}

type AuthBody = { code: number; message: string; hint: string };

/** The global auth hook answers 401 natively; on these routes the body becomes OpenAI's. */
async function openAiAuthBody(_request: FastifyRequest, reply: FastifyReply, payload: unknown) {
  const body = payload as Partial<AuthBody> | null;
  if (reply.statusCode !== 401 || typeof body?.code !== "number") return payload;
  return toOpenAiAuthError(reply.statusCode, body as AuthBody);
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

/** A client that goes away before the answer is complete cancels the Submit call, so the task. */
function cancelOnClose(reply: FastifyReply, call: ClientReadableStream<TaskEvent>): void {
  onResponseClosed(reply.raw, () => {
    if (!reply.raw.writableFinished) call.cancel();
  });
}

/** The X-Session-Id header (a session UUID, validated by admission) or none. */
function sessionOf(request: FastifyRequest): string | undefined {
  const header = request.headers["x-session-id"];
  return typeof header === "string" && header.length > 0 ? header : undefined;
}

interface TaskCall {
  surface: Surface;
  task: TaskRequest;
  model: string;
  stream: boolean;
  includeUsage: boolean;
}

async function runTask(
  context: GatewayContext,
  request: FastifyRequest,
  reply: FastifyReply,
  job: TaskCall,
): Promise<void> {
  const call = context.clients.orchestrator.submit(job.task, correlationMetadata(request));
  cancelOnClose(reply, call);
  const events = taskEvents(call);
  const first = await events.next();
  const admitted = first.done ? undefined : first.value.event;
  if (admitted?.$case !== "admitted") throw missingEnd();
  const meta = responseMeta(job.surface, admitted.value.taskId, job.model);
  if (job.stream) return streamAnswer(context, reply, events, meta, job.includeUsage);
  let text = "";
  for await (const { event } of events) {
    if (event?.$case === "token") text += event.value.t;
    if (event?.$case === "end") {
      await reply.send(toResponse(meta, text, event.value));
      return;
    }
  }
  throw missingEnd();
}

/** Data-only SSE: one chunk per token, the finish chunk, the usage chunk if asked, `[DONE]`. */
async function streamAnswer(
  context: GatewayContext,
  reply: FastifyReply,
  events: AsyncGenerator<TaskEvent>,
  meta: ResponseMeta,
  includeUsage: boolean,
): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  // Hijacked replies skip fastify's headers: carry over what the hooks set (X-Correlation-Id).
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) raw.setHeader(name, value);
  }
  raw.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
  });
  const send = (data: unknown) => raw.write(`data: ${JSON.stringify(data)}\n\n`);
  const opening = toOpeningChunk(meta);
  if (opening) send(opening);
  let end: End | undefined;
  try {
    for await (const { event } of events) {
      if (event?.$case === "token" && event.value.t !== "") send(toTokenChunk(meta, event.value.t));
      if (event?.$case === "end") end = event.value;
    }
    if (!end) throw missingEnd();
    send(toFinishChunk(meta, end));
    if (includeUsage) send(toUsageChunk(meta, end));
  } catch (error) {
    if (raw.destroyed) return; // The client left; cancelOnClose has cancelled its task.
    // Headers are out: the error travels as a data event, which OpenAI's clients raise.
    const orch = error instanceof OrchError ? error : new OrchError("INTERNAL", String(error));
    context.log.warn({ err: orch, correlation_id: reply.request.correlationId }, "stream failed");
    send(toOpenAiError(orch));
  }
  raw.end("data: [DONE]\n\n");
}

function routeOptions(operationId: string) {
  return {
    schema: operationSchemas("openai.yaml", operationId),
    errorHandler: openAiErrorHandler,
    preSerialization: openAiAuthBody,
  };
}

export function registerOpenAiRoutes(app: FastifyInstance, context: GatewayContext): void {
  const { orchestrator } = context.clients;
  app.get("/v1/models", routeOptions("listModels"), async (request) => {
    const capabilities = await unaryCall<Capabilities>((done) =>
      orchestrator.getCapabilities({}, correlationMetadata(request), done),
    );
    return toModelList(capabilities, Math.floor(Date.now() / 1000));
  });
  app.post<{ Body: CompletionRequest }>(
    "/v1/completions",
    routeOptions("createCompletion"),
    (request, reply) => {
      const { body } = request;
      const task = toTaskRequest(
        "completion",
        body,
        body.prompt,
        sessionOf(request),
        request.identity,
      );
      return runTask(context, request, reply, jobOf("completion", body, task));
    },
  );
  app.post<{ Body: ChatCompletionRequest }>(
    "/v1/chat/completions",
    routeOptions("createChatCompletion"),
    async (request, reply) => {
      const { body } = request;
      const { prompt } = await unaryCall<ChatTemplateResponse>((done) =>
        orchestrator.applyChatTemplate(
          toChatTemplateRequest(body),
          correlationMetadata(request),
          done,
        ),
      );
      const task = toTaskRequest("chat", body, prompt, sessionOf(request), request.identity);
      return runTask(context, request, reply, jobOf("chat", body, task));
    },
  );
}

function jobOf(
  surface: Surface,
  body: CompletionRequest | ChatCompletionRequest,
  task: TaskRequest,
): TaskCall {
  const includeUsage = body.stream_options?.include_usage === true;
  return { surface, task, model: body.model, stream: body.stream === true, includeUsage };
}
