// Anthropic Messages routes (DESIGN decision 11): /v1/messages and /v1/messages/count_tokens,
// translated into the surface-neutral chat request, then one task on the shared admission path.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { DEFAULT_SSE_KEEPALIVE_MS } from "../common/config-schema.js";
import type { CountPromptTokensResponse } from "../gen/llama_orch/v1/orchestrator.js";
import { streamMessage } from "./anthropic-stream.js";
import { cacheTenant } from "./cache-tenant.js";
import { toChatTask, toChatTemplateRequest } from "./chat-request.js";
import type { GatewayContext } from "./gateway-context.js";
import { correlationMetadata, unaryCall } from "./grpc-call.js";
import { sendErrorAs } from "./http-errors.js";
import { admit } from "./openai-answer.js";
import { sessionOf } from "./openai-routes.js";
import { operationSchemas } from "./openapi-schemas.js";
import { tokensOf } from "./task-tokens.js";
import {
  messageMeta,
  toAnthropicAuthError,
  toAnthropicError,
  toMessage,
} from "./translate-anthropic.js";
import {
  type CountTokensRequest,
  type MessagesRequest,
  toChatRequest,
} from "./translate-anthropic-request.js";
import { missingEnd } from "./translate-openai.js";

/** Route-level: validation, parse and handler errors answer in Anthropic's shape. */
function anthropicErrorHandler(error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
  return sendErrorAs(reply, error, toAnthropicError);
}

type AuthBody = { code: number; message: string; hint: string };

/** The global auth hook answers 401 natively; on these routes the body becomes Anthropic's. */
async function anthropicAuthBody(_request: FastifyRequest, reply: FastifyReply, payload: unknown) {
  const body = payload as Partial<AuthBody> | null;
  if (reply.statusCode !== 401 || typeof body?.code !== "number") return payload;
  return toAnthropicAuthError(reply.statusCode, body as AuthBody);
}

function routeOptions(operationId: string) {
  return {
    schema: operationSchemas("anthropic.yaml", operationId),
    config: { apiKeyHeader: true },
    errorHandler: anthropicErrorHandler,
    preSerialization: anthropicAuthBody,
    // Anthropic's SDKs report this header as the error's request id.
    onRequest: async (request: FastifyRequest, reply: FastifyReply) => {
      reply.header("request-id", request.correlationId);
    },
  };
}

/** The request fields the contract names; others (a newer SDK's) are ignored, logged at debug. */
const KNOWN_FIELDS = new Set(
  Object.keys(operationSchemas("anthropic.yaml", "createMessage").body?.properties ?? {}),
);

async function createMessage(
  context: GatewayContext,
  request: FastifyRequest<{ Body: MessagesRequest }>,
  reply: FastifyReply,
): Promise<void> {
  const chat = toChatRequest(request.body, sessionOf(request));
  const log = { correlation_id: request.correlationId };
  if (chat.user) context.log.info({ ...log, user: chat.user }, "messages request user");
  const unknown = Object.keys(request.body).filter((key) => !KNOWN_FIELDS.has(key));
  if (unknown.length > 0) context.log.debug({ ...log, fields: unknown }, "unknown fields ignored");
  const withTools = chat.tools.length > 0 && chat.toolChoice.mode !== "none";
  const stream = request.body.stream === true;
  const task = {
    // A stream with tools sends each call's input as it is written: the worker diffs the parse.
    ...toChatTask(chat, withTools && stream),
    cacheSalt: cacheTenant(request.identity, undefined),
  };
  const { taskId, events } = await admit(context, request, reply, task);
  const meta = messageMeta(taskId, chat.model);
  if (stream) {
    return streamMessage(reply, events, meta, {
      parsed: withTools,
      keepAliveMs: context.sseKeepaliveMs ?? DEFAULT_SSE_KEEPALIVE_MS,
      onFailure: (err) => context.log.warn({ ...log, err }, "messages stream failed"),
    });
  }
  let text = "";
  for await (const { event } of events) {
    for (const token of tokensOf(event)) text += token.t;
    if (event?.$case === "end") {
      await reply.send(toMessage(meta, text, event.value));
      return;
    }
  }
  throw missingEnd();
}

export function registerAnthropicRoutes(app: FastifyInstance, context: GatewayContext): void {
  app.post<{ Body: MessagesRequest }>(
    "/v1/messages",
    routeOptions("createMessage"),
    (request, reply) => createMessage(context, request, reply),
  );
  app.post<{ Body: CountTokensRequest }>(
    "/v1/messages/count_tokens",
    routeOptions("countMessageTokens"),
    async (request) => {
      const chat = toChatRequest(request.body, undefined);
      // Counted as a chat task's admission counts it: rendered and tokenized in one worker call.
      const { count } = await unaryCall<CountPromptTokensResponse>((done) =>
        context.clients.orchestrator.countPromptTokens(
          { modelRef: chat.model, prompt: "", chat: toChatTemplateRequest(chat) },
          correlationMetadata(request),
          done,
        ),
      );
      return { input_tokens: count };
    },
  );
}
