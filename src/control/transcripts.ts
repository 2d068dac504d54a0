// Stores a task's event transcript as a "trace" artifact when its stream ends (SPEC 3.6).
import type { Logger } from "../common/logger.js";
import { sseEvent } from "../gateway/translate-task-events.js";
import { toAdmissionBody } from "../gateway/translate-tasks.js";
import type { TaskEvent } from "../gen/llama_orch/v1/orchestrator.js";
import { type ArtifactStore, artifactId } from "../store/artifact-store.js";
import type { PoolRegistry } from "./pool-registry.js";
import type { TaskEntry } from "./task-hub.js";

/**
 * One event in the words of the HTTP contract: SSE frames by their SSE names and fields (a token is
 * `{t, i}`, the first `i` 0), `admitted` as the 202 body; a reader of both sees one vocabulary.
 */
function transcriptEvent(event: TaskEvent): { type: string; data: object } {
  const e = event.event;
  if (e?.$case === "admitted") return { type: "admitted", data: toAdmissionBody(e.value) };
  const sse = sseEvent(event, false);
  return sse ? { type: sse.name, data: sse.data } : { type: e?.$case ?? "unknown", data: {} };
}

/** The transcript document: `{task_id, session_id, events: [{type, data}]}`. */
export function transcriptContent(entry: TaskEntry): Buffer {
  const events = entry.events.map(transcriptEvent);
  const doc = { task_id: entry.task.taskId, session_id: entry.task.sessionId, events };
  return Buffer.from(JSON.stringify(doc));
}

function provenance(entry: TaskEntry, registry: PoolRegistry): Record<string, string> {
  const started = entry.events.find((e) => e.event?.$case === "started")?.event;
  const fromStart = started?.$case === "started" ? started.value : undefined;
  const pool = registry.get(entry.poolId)?.description;
  return {
    engine: "llamacpp",
    engine_version: fromStart?.engineVersion || pool?.engineVersion || "",
    pool_id: fromStart?.poolId || entry.poolId,
    model_digest: fromStart?.modelDigest || pool?.model?.digest || "",
  };
}

/**
 * The TaskHub's `onEnded` listener. The id is content-addressed, so it is known at once and lands
 * in the task record; the write itself is fire-and-forget: it never delays or breaks a stream,
 * and a failure is logged.
 */
export function transcriptRecorder(
  artifacts: ArtifactStore,
  registry: PoolRegistry,
  log: Logger,
): (entry: TaskEntry) => void {
  return (entry) => {
    const taskId = entry.task.taskId;
    try {
      const content = transcriptContent(entry);
      if (content.byteLength > artifacts.maxBytes) {
        log.warn({ task_id: taskId, bytes: content.byteLength }, "transcript too large to store");
        return;
      }
      entry.transcriptArtifactId = artifactId(content);
      const artifact = {
        kind: "trace" as const,
        content,
        contentType: "application/json",
        tags: ["sse", "stream", `task:${taskId}`, `session:${entry.task.sessionId}`],
        metadata: provenance(entry, registry),
        owner: entry.owner,
      };
      artifacts.put(artifact, Date.now()).catch((error: unknown) => {
        log.error({ task_id: taskId, error: String(error) }, "transcript not stored");
      });
    } catch (error) {
      entry.transcriptArtifactId = undefined;
      log.error({ task_id: taskId, error: String(error) }, "transcript not stored");
    }
  };
}
