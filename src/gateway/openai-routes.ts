// OpenAI-compatible routes (DESIGN decision 11): /v1/models, /v1/completions, /v1/chat/completions,
// /v1/embeddings, each a native task on the same admission, queue and placement, answered in
// OpenAI's shapes.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { OrchError } from "../common/errors.js";
import type { Capabilities, TaskRequest } from "../gen/llama_orch/v1/orchestrator.js";
import { cacheTenant } from "./cache-tenant.js";
import { toChatTask } from "./chat-request.js";
import { runEmbedding } from "./embedding-answer.js";
import type { GatewayContext } from "./gateway-context.js";
import { correlationMetadata, unaryCall } from "./grpc-call.js";
import { sendErrorAs } from "./http-errors.js";
import { runTasks, type TaskCall } from "./openai-answer.js";
import { operationSchemas } from "./openapi-schemas.js";
import type { EmbeddingRequest } from "./translate-embeddings.js";
import { type Surface, toModelList, toOpenAiAuthError, toOpenAiError } from "./translate-openai.js";
import {
  type ChatCompletionRequest,
  type CompletionRequest,
  ParamError,
  toChatRequest,
  toCompletionTask,
} from "./translate-openai-request.js";

/** Sends `error` as OpenAI's error body with its registry HTTP status; 429s carry Retry-After. */
export function sendOpenAiError(
  reply: FastifyReply,
  error: unknown,
  param: string | null = error instanceof ParamError ? error.param : null,
): FastifyReply {
  return sendErrorAs(reply, error, (orch) => toOpenAiError(orch, param));
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
  if (error.validation) return sendOpenAiError(reply, error, paramOf(error.validation[0]));
  return sendOpenAiError(reply, error);
}

type AuthBody = { code: number; message: string; hint: string };

/** The global auth hook answers 401 natively; on these routes the body becomes OpenAI's. */
async function openAiAuthBody(_request: FastifyRequest, reply: FastifyReply, payload: unknown) {
  const body = payload as Partial<AuthBody> | null;
  if (reply.statusCode !== 401 || typeof body?.code !== "number") return payload;
  return toOpenAiAuthError(reply.statusCode, body as AuthBody);
}

/** The X-Session-Id header (a session UUID, validated by admission) or none. */
export function sessionOf(request: FastifyRequest): string | undefined {
  const header = request.headers["x-session-id"];
  return typeof header === "string" && header.length > 0 ? header : undefined;
}

function routeOptions(operationId: string) {
  return {
    schema: operationSchemas("openai.yaml", operationId),
    errorHandler: openAiErrorHandler,
    preSerialization: openAiAuthBody,
  };
}

/** Top-level fields a request schema names (through allOf); the rest are a newer SDK's. */
function knownFields(operationId: string): Set<string> {
  const body = operationSchemas("openai.yaml", operationId).body ?? {};
  const parts = [body, ...((body.allOf ?? []) as (typeof body)[])];
  return new Set(parts.flatMap((part) => Object.keys((part.properties ?? {}) as object)));
}

/** Unknown fields are ignored, not refused (issue 12); the user, if named, is logged. */
function noteRequest(request: FastifyRequest, known: Set<string>, user: string | undefined): void {
  const unknown = Object.keys(request.body as object).filter((field) => !known.has(field));
  if (unknown.length > 0) request.log.debug({ fields: unknown }, "ignored unknown request fields");
  if (user !== undefined) request.log.info({ user }, "openai request");
}

/** `n` choices are `n` tasks, run side by side; more than the model's slots is refused. */
async function choices(
  context: GatewayContext,
  request: FastifyRequest,
  task: TaskRequest,
  n: number,
): Promise<TaskRequest[]> {
  if (n === 1) return [task];
  const capabilities = await unaryCall<Capabilities>((done) =>
    context.clients.orchestrator.getCapabilities({}, correlationMetadata(request), done),
  );
  const slots = capabilities.engines
    .filter((engine) => engine.models.includes(task.modelRef))
    .reduce((sum, engine) => sum + engine.slotsTotal, 0);
  if (n > slots) {
    throw new ParamError(
      "n",
      `${n} choices run as parallel sequences, but ${task.modelRef} has ${slots} slots; ask for at most ${slots}`,
    );
  }
  // A given seed stays reproducible per choice; without one each task gets its own.
  return Array.from({ length: n }, (_, i) => ({
    ...task,
    seed: task.seed === undefined ? undefined : task.seed + i,
  }));
}

function jobOf(
  surface: Surface,
  body: CompletionRequest | ChatCompletionRequest,
  tasks: TaskRequest[],
  withTools: boolean,
): TaskCall {
  const includeUsage = body.stream_options?.include_usage === true;
  const stream = body.stream === true;
  const logprobs = tasks[0]?.sampling?.logprobs !== undefined;
  return { surface, tasks, model: body.model, stream, includeUsage, withTools, logprobs };
}

export function registerOpenAiRoutes(app: FastifyInstance, context: GatewayContext): void {
  const { orchestrator } = context.clients;
  const knownCompletion = knownFields("createCompletion");
  const knownChat = knownFields("createChatCompletion");
  app.get("/v1/models", routeOptions("listModels"), async (request) => {
    const capabilities = await unaryCall<Capabilities>((done) =>
      orchestrator.getCapabilities({}, correlationMetadata(request), done),
    );
    return toModelList(capabilities, Math.floor(Date.now() / 1000));
  });
  // An alias resolves like an id: every name of a servable model is listed under itself.
  app.get<{ Params: { model: string } }>(
    "/v1/models/:model",
    routeOptions("retrieveModel"),
    async (request) => {
      const { model } = request.params;
      const capabilities = await unaryCall<Capabilities>((done) =>
        orchestrator.getCapabilities({}, correlationMetadata(request), done),
      );
      const listed = toModelList(capabilities, Math.floor(Date.now() / 1000)).data;
      const found = listed.find((entry) => entry.id === model);
      if (found) return found;
      throw new OrchError(
        "MODEL_NOT_FOUND",
        `model "${model}" is not servable now (unknown, retired, or its pools are not ready); GET /v1/models lists what is`,
      );
    },
  );
  app.post<{ Body: CompletionRequest }>(
    "/v1/completions",
    routeOptions("createCompletion"),
    async (request, reply) => {
      const { body } = request;
      noteRequest(request, knownCompletion, body.user);
      const task = {
        ...toCompletionTask(body, sessionOf(request)),
        cacheSalt: cacheTenant(request.identity, body.cache_salt),
      };
      const tasks = await choices(context, request, task, body.n ?? 1);
      const job = jobOf("completion", body, tasks, false);
      return runTasks(context, request, reply, {
        ...job,
        echo: body.echo ? task.prompt : undefined,
      });
    },
  );
  app.post<{ Body: ChatCompletionRequest }>(
    "/v1/chat/completions",
    routeOptions("createChatCompletion"),
    async (request, reply) => {
      const { body } = request;
      noteRequest(request, knownChat, body.user);
      const chat = toChatRequest(body, sessionOf(request));
      const withTools = chat.tools.length > 0 && chat.toolChoice.mode !== "none";
      // A stream with tools sends each call as it is written: the worker diffs the parse per token.
      const task = {
        ...toChatTask(chat, withTools && body.stream === true),
        cacheSalt: cacheTenant(request.identity, body.cache_salt),
      };
      const tasks = await choices(context, request, task, body.n ?? 1);
      return runTasks(context, request, reply, jobOf("chat", body, tasks, withTools));
    },
  );
  const knownEmbedding = knownFields("createEmbedding");
  app.post<{ Body: EmbeddingRequest }>(
    "/v1/embeddings",
    routeOptions("createEmbedding"),
    async (request, reply) => {
      noteRequest(request, knownEmbedding, request.body.user);
      return runEmbedding(context, request, reply, request.body, sessionOf(request));
    },
  );
}
