// Prints a task's event stream (Submit or Attach): tokens to stdout, progress to stderr, or every
// event as one JSON line (enums by name, as the proto's JSON mapping writes them).
import type { ClientReadableStream, ServiceError } from "@grpc/grpc-js";
import { TaskEvent } from "../gen/llama_orch/v1/orchestrator.js";
import { cliError, report } from "./control-client.js";

function write(event: TaskEvent, json: boolean): void {
  const e = event.event;
  if (json) process.stdout.write(`${JSON.stringify(TaskEvent.toJSON(event))}\n`);
  else if (e?.$case === "token") process.stdout.write(e.value.t);
  else if (e?.$case === "admitted")
    process.stderr.write(
      `[queued at ${e.value.queuePosition} on ${e.value.poolId}, starts in ~${e.value.predictedStartMs} ms, task ${e.value.taskId}]\n`,
    );
  else if (e?.$case === "end")
    process.stderr.write(`\n[end: ${e.value.tokensOut} tokens, ${e.value.decodeTimeMs} ms]\n`);
  else if (e?.$case === "error")
    process.stderr.write(`\nllama-orch: ${e.value.code}: ${e.value.message}\n`);
}

/** Resolves when the stream closes; an `error` event sets exit status 1, a failed call 2. */
export function printTaskStream(
  call: ClientReadableStream<TaskEvent>,
  options: { json: boolean; addr: string },
): Promise<void> {
  return new Promise((resolve) => {
    call.on("data", (event: TaskEvent) => {
      write(event, options.json);
      if (event.event?.$case === "error") process.exitCode = 1;
    });
    call.on("error", (error: ServiceError) => report(cliError(error, options.addr)));
    call.on("close", () => resolve());
  });
}
