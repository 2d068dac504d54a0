// `llama-orch status`: the terminal twin of the status page (pools, GPUs, queue, running tasks).
import { Metadata } from "@grpc/grpc-js";
import type { Command } from "commander";
import {
  type StatusSnapshotDto,
  type TaskStatusDto,
  toStatusDto,
} from "../gateway/translate-status.js";
import type { StatusSnapshot } from "../gen/llama_orch/v1/status.js";
import {
  type ClientOptions,
  type Control,
  callOptions,
  clientCommand,
  rpc,
  withControl,
} from "./control-client.js";
import { bytes, ms, paint, printJson, rate, stateColour, table } from "./output.js";

export async function fetchStatus(control: Control): Promise<StatusSnapshotDto> {
  const snapshot = await rpc<StatusSnapshot>(control.addr, (cb) =>
    control.status.getStatus({ intervalMs: 0 }, new Metadata(), callOptions(), cb),
  );
  return toStatusDto(snapshot);
}

function poolsTable(s: StatusSnapshotDto): string {
  const rows = s.pools.map((p) => [
    p.pool_id,
    paint(p.state, stateColour(p.state)),
    p.model_ref,
    `${p.slots_busy}/${p.slots_total}`,
    p.kv_cells_total ? `${p.kv_cells_used}/${p.kv_cells_total}` : "-",
    rate(p.decode_tokens_per_second),
    p.prefix_cache_hit_ratio === undefined ? "-" : `${Math.round(p.prefix_cache_hit_ratio * 100)}%`,
    String(p.queue_depth),
    p.last_error ?? "",
  ]);
  const headers = [
    "POOL",
    "STATE",
    "MODEL",
    "SLOTS",
    "KV",
    "DECODE",
    "CACHE HITS",
    "QUEUE",
    "LAST ERROR",
  ];
  return table("Pools", headers, rows, "no pools");
}

function gpusTable(s: StatusSnapshotDto): string {
  const rows = s.pools.flatMap((p) =>
    p.gpus.map((g) => [
      p.pool_id,
      `${g.index} ${g.name}`,
      g.utilization_percent === undefined ? "-" : `${g.utilization_percent}%`,
      `${bytes(g.memory_used_bytes)}/${bytes(g.memory_total_bytes)}`,
      g.power_watts === undefined ? "-" : `${g.power_watts.toFixed(0)}W`,
      g.temperature_c === undefined ? "-" : `${g.temperature_c}C`,
    ]),
  );
  const reason = s.pools.map((p) => p.gpu_reason).find(Boolean);
  const empty = reason ? `no GPUs: ${reason}` : "no GPUs reported";
  return table("GPUs", ["POOL", "GPU", "UTIL", "MEMORY", "POWER", "TEMP"], rows, empty);
}

export function tasksTables(s: StatusSnapshotDto): string {
  const now = s.now_ms;
  const of = (state: (t: TaskStatusDto) => boolean) => s.tasks.filter(state);
  const queued = of((t) => t.state === "queued").map((t) => [
    String(t.queue_position),
    t.task_id,
    t.pool_id,
    t.priority,
    ms(now - t.queued_ms),
    ms(t.predicted_start_ms ?? 0),
  ]);
  const running = of((t) => t.state === "running").map((t) => [
    t.task_id,
    t.pool_id,
    ms((t.placed_ms ?? 0) - t.queued_ms),
    t.first_token_ms ? ms(t.first_token_ms - (t.placed_ms ?? t.queued_ms)) : "-",
    `${t.tokens_out}/${t.max_tokens}`,
    rate(t.tokens_per_second),
  ]);
  const ended = of((t) => (t.ended_ms ?? 0) > 0).map((t) => [
    t.task_id,
    t.pool_id,
    paint(t.error_code || t.state, stateColour(t.state)),
    String(t.tokens_out),
    ms((t.ended_ms ?? 0) - t.queued_ms),
  ]);
  return [
    table("Queue", ["#", "TASK", "POOL", "PRIORITY", "AGE", "STARTS IN"], queued, "queue empty"),
    table(
      "Running",
      ["TASK", "POOL", "WAITED", "TO FIRST TOKEN", "TOKENS", "RATE"],
      running,
      "nothing running",
    ),
    table("Recent", ["TASK", "POOL", "OUTCOME", "TOKENS", "TOOK"], ended, "no finished tasks"),
  ].join("\n");
}

export function registerStatus(program: Command): void {
  clientCommand(program.command("status"))
    .description("pools, GPUs and queues of a running control plane (the status page's twin)")
    .action((options: ClientOptions) =>
      withControl(options, async (control) => {
        const snapshot = await fetchStatus(control);
        if (options.json) return printJson(snapshot);
        process.stdout.write(
          `llama-orch ${snapshot.version} at ${control.addr}\n\n${poolsTable(snapshot)}\n${gpusTable(snapshot)}\n${tasksTables(snapshot)}`,
        );
      }),
    );
}
