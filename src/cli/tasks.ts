// `llama-orch tasks ls | show | cancel | stream`: the tasks of a running control plane.
import { Metadata } from "@grpc/grpc-js";
import type { Command } from "commander";
import {
  type CancelResponse,
  TaskRecord,
  taskStateToJSON,
} from "../gen/llama_orch/v1/orchestrator.js";
import {
  type ClientOptions,
  callOptions,
  clientCommand,
  rpc,
  withControl,
} from "./control-client.js";
import { paint, printJson, stateColour, table } from "./output.js";
import { fetchStatus, tasksTables } from "./status.js";
import { printTaskStream } from "./task-stream.js";

function showRecord(record: TaskRecord): string {
  const state = taskStateToJSON(record.state).replace("TASK_STATE_", "").toLowerCase();
  const rows = [
    ["state", paint(state, stateColour(state))],
    ["pool", record.poolId],
    ["model", record.modelRef],
    ["session", record.sessionId],
    ["tokens in / out", `${record.tokensIn} / ${record.tokensOut}`],
    ["decode time", `${record.decodeTimeMs} ms`],
    ["created", new Date(record.createdMs).toISOString()],
    ["ended", record.endedMs ? new Date(record.endedMs).toISOString() : "-"],
    ["transcript", record.transcriptArtifactId || "-"],
    ["error", record.error ? `${record.error.code}: ${record.error.message}` : "-"],
  ];
  return table(`Task ${record.taskId}`, ["FIELD", "VALUE"], rows, "");
}

export function registerTasks(program: Command): void {
  const tasks = program.command("tasks").description("list, inspect, cancel and follow tasks");
  clientCommand(tasks.command("ls"))
    .description("queued (with positions and ETAs), running and recently finished tasks")
    .action((options: ClientOptions) =>
      withControl(options, async (control) => {
        const snapshot = await fetchStatus(control);
        if (options.json) printJson(snapshot.tasks);
        else process.stdout.write(tasksTables(snapshot));
      }),
    );
  clientCommand(tasks.command("show <task-id>"))
    .description("a task's record: state, pool, token counts, timings, transcript artifact")
    .action((taskId: string, options: ClientOptions) =>
      withControl(options, async (control) => {
        const record = await rpc<TaskRecord>(control.addr, (cb) =>
          control.orchestrator.getTask({ taskId }, new Metadata(), callOptions(), cb),
        );
        if (options.json) printJson(TaskRecord.toJSON(record));
        else process.stdout.write(showRecord(record));
      }),
    );
  clientCommand(tasks.command("cancel <task-id>"))
    .description("cancel a task in any state; no token follows the cancel")
    .action((taskId: string, options: ClientOptions) =>
      withControl(options, async (control) => {
        const outcome = await rpc<CancelResponse>(control.addr, (cb) =>
          control.orchestrator.cancel({ taskId }, new Metadata(), callOptions(), cb),
        );
        if (options.json)
          return printJson({ task_id: taskId, ...outcome, state: taskStateToJSON(outcome.state) });
        const what = outcome.cancelled
          ? "cancelled"
          : `had already ended (${taskStateToJSON(outcome.state)})`;
        process.stdout.write(
          `task ${taskId} ${what}; ${outcome.tokensDelivered} tokens were delivered\n`,
        );
      }),
    );
  clientCommand(tasks.command("stream <task-id>"))
    .description("follow a task's events from the start (replayed) to its end")
    .action((taskId: string, options: ClientOptions) =>
      withControl(options, (control) =>
        printTaskStream(control.orchestrator.attach({ taskId }), options),
      ),
    );
}
