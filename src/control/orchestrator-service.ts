// Orchestrator gRPC handlers: translate messages, call the orchestrator, stream task events.
import { randomUUID } from "node:crypto";
import type { Metadata, ServerWritableStream, UntypedHandleCall } from "@grpc/grpc-js";
import { callerIdentity } from "../common/artifact-owner.js";
import { correlationOf } from "../common/correlation.js";
import { OrchError } from "../common/errors.js";
import { toStatus } from "../common/grpc-errors.js";
import { unary } from "../common/grpc-unary.js";
import type { ChatTemplateRequest, ChatTemplateResponse } from "../gen/llama_orch/v1/common.js";
import type {
  Admission,
  AttachRequest,
  CancelRequest,
  CancelResponse,
  Capabilities,
  CountPromptTokensRequest,
  CountPromptTokensResponse,
  DeleteSessionResponse,
  OrchestratorServer,
  SessionInfo,
  SessionRef,
  TaskEvent,
  TaskRecord,
  TaskRef,
  TaskRequest,
} from "../gen/llama_orch/v1/orchestrator.js";
import type { CatalogRecord } from "../store/catalog-store.js";
import type { TaskStore } from "../store/task-store.js";
import { capabilities } from "./capabilities.js";
import { applyChatTemplate, notServed, preparePrompt } from "./chat-template.js";
import { toSessionInfo, toStoredState, toTaskInput, toTaskRecord } from "./convert.js";
import { recordedErrorEvent } from "./lost-tasks.js";
import type { Orchestrator } from "./orchestrator.js";
import type { PoolRegistry } from "./pool-registry.js";
import type { SessionService } from "./session-service.js";
import type { ShutdownGate } from "./shutdown.js";
import { isTerminal, type TaskHub } from "./task-hub.js";
import { taskRecordOf } from "./task-records.js";
import { streamTask } from "./task-stream.js";
import { countPromptTokens } from "./token-count.js";

export interface OrchestratorServiceDeps {
  orchestrator: Orchestrator;
  hub: TaskHub;
  sessions: SessionService;
  tasks: TaskStore;
  registry: PoolRegistry;
  maxTokensLimit: number;
  /** Catalog names are offered; retired ones stay loaded for running work but are not. */
  catalogEntries?: () => Promise<CatalogRecord[]>;
  /** catalog.trust is strict: untrusted names are not offered. */
  strictTrust?: boolean;
  /** Closed at shutdown: Submit and Enqueue are refused from then on. */
  gate: ShutdownGate;
}

function correlationId(call: { metadata: Metadata }): string {
  return correlationOf(call.metadata) ?? randomUUID();
}

/** Attach to a task no longer live: its recorded error as the terminal event, else 404. */
async function attachEnded(
  tasks: TaskStore,
  call: ServerWritableStream<AttachRequest, TaskEvent>,
): Promise<void> {
  const { taskId } = call.request;
  const record = await tasks.get(taskId).catch(() => undefined);
  const terminal = record && recordedErrorEvent(record);
  if (terminal) {
    call.write(terminal);
    call.end();
    return;
  }
  const missing = new OrchError(
    "TASK_NOT_FOUND",
    `no live task ${taskId}; GetTask has the records of ended tasks`,
  );
  call.emit("error", toStatus(missing));
}

export function orchestratorService(deps: OrchestratorServiceDeps): OrchestratorServer {
  const { orchestrator, hub, sessions, tasks, registry } = deps;
  const server: Record<keyof OrchestratorServer, UntypedHandleCall> = {
    submit(call: ServerWritableStream<TaskRequest, TaskEvent>) {
      const admitted = Promise.resolve().then(() => {
        deps.gate.check();
        const input = { ...toTaskInput(call.request), owner: callerIdentity(call.metadata) };
        return orchestrator.admit(input, correlationId(call));
      });
      admitted.then(
        (entry) => {
          streamTask(hub, entry, call, call.request.tokenBatches === true);
          // A client that goes away cancels its task at once.
          call.on(
            "cancelled",
            () => void orchestrator.cancel(entry.task.taskId).catch(() => undefined),
          );
        },
        (error: unknown) => call.emit("error", toStatus(error)),
      );
    },
    enqueue: unary<TaskRequest, Admission>(async (request, call) => {
      deps.gate.check();
      const input = { ...toTaskInput(request), owner: callerIdentity(call.metadata) };
      const entry = await orchestrator.admit(input, correlationId(call));
      const admitted = entry.events[0]?.event;
      if (admitted?.$case !== "admitted")
        throw new OrchError("INTERNAL", "admission produced no admitted event");
      return admitted.value;
    }),
    attach(call: ServerWritableStream<AttachRequest, TaskEvent>) {
      const entry = hub.get(call.request.taskId);
      if (entry) streamTask(hub, entry, call, call.request.tokenBatches === true);
      else void attachEnded(tasks, call);
    },
    cancel: unary<CancelRequest, CancelResponse>(async (request) => {
      const ended = hub.get(request.taskId) ? undefined : await tasks.get(request.taskId);
      // Ended long ago, or lost by a previous run: nothing left to cancel.
      if (ended) {
        const record = toTaskRecord(ended);
        return { cancelled: false, state: record.state, tokensDelivered: record.tokensOut };
      }
      const { cancelled, tokensDelivered } = await orchestrator.cancel(request.taskId);
      const entry = hub.get(request.taskId);
      return { cancelled, state: entry?.state ?? 0, tokensDelivered };
    }),
    getTask: unary<TaskRef, TaskRecord>(async (request) => {
      const live = hub.get(request.taskId);
      // Admission answers before the QUEUED record lands: a live task without one is described
      // from its entry.
      const record = (await tasks.get(request.taskId)) ?? (live && taskRecordOf(registry, live));
      if (!record) throw new OrchError("TASK_NOT_FOUND", `no task ${request.taskId}`);
      // The end record is saved just after the end event goes out: a caller asking at once would
      // read the QUEUED record, so until it lands the live entry's state and counts answer.
      if (live && !record.state.startsWith("FINISHED")) {
        record.state = toStoredState(live.state);
        if (isTerminal(live.state)) {
          record.tokensOut = live.tokensOut;
          record.endedMs = live.endedMs;
        }
      }
      return toTaskRecord(record);
    }),
    getSession: unary<SessionRef, SessionInfo>(async (request) => {
      const view = await sessions.view(request.sessionId, Date.now());
      if (!view)
        throw new OrchError(
          "SESSION_NOT_FOUND",
          `no session ${request.sessionId} (it never existed or expired)`,
        );
      return toSessionInfo(view);
    }),
    deleteSession: unary<SessionRef, DeleteSessionResponse>(async (request) => ({
      deleted: await sessions.delete(request.sessionId),
    })),
    getCapabilities: unary<object, Capabilities>(async () =>
      capabilities(registry, deps.maxTokensLimit, {
        entries: (await deps.catalogEntries?.()) ?? [],
        strict: deps.strictTrust === true,
      }),
    ),
    applyChatTemplate: unary<ChatTemplateRequest, ChatTemplateResponse>((request, call) =>
      applyChatTemplate(registry, request, correlationOf(call.metadata)),
    ),
    countPromptTokens: unary<CountPromptTokensRequest, CountPromptTokensResponse>(
      async ({ modelRef, prompt, chat }, call) => {
        if (!registry.all().some((p) => p.ready && p.client && p.modelRef === modelRef)) {
          throw notServed(registry, modelRef);
        }
        const correlation = correlationOf(call.metadata);
        if (chat) {
          const prepared = await preparePrompt(registry, modelRef, chat, correlation);
          return { count: prepared.tokenCount };
        }
        return { count: await countPromptTokens(registry, modelRef, prompt, correlation) };
      },
    ),
  };
  return server as unknown as OrchestratorServer;
}
