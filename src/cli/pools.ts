// `llama-orch pools ls | drain | reload | purge` and `llama-orch capabilities`.
import { Metadata } from "@grpc/grpc-js";
import type { Command } from "commander";
import { poolState } from "../control/status-snapshot.js";
import {
  toCapabilitiesDto,
  toPoolHealthDto,
  toPurgeResponseDto,
  toReloadResponseDto,
} from "../gateway/translate-control.js";
import type { Capabilities } from "../gen/llama_orch/v1/orchestrator.js";
import type {
  DrainResponse,
  ListPoolsResponse,
  PurgeResponse,
  ReloadResponse,
} from "../gen/llama_orch/v1/pool.js";
import {
  type ClientOptions,
  type Control,
  callOptions,
  clientCommand,
  rpc,
  withControl,
} from "./control-client.js";
import { paint, printJson, rate, stateColour, table } from "./output.js";
import { integer } from "./parse.js";

/** Reload loads a model before it answers: give it longer than a plain call. */
const RELOAD_TIMEOUT_MS = 120_000;

async function listPools(control: Control, json: boolean): Promise<void> {
  const { pools } = await rpc<ListPoolsResponse>(control.addr, (cb) =>
    control.pools.list({}, new Metadata(), callOptions(), cb),
  );
  if (json) return printJson(pools.map(toPoolHealthDto));
  const rows = pools.map((p) => {
    const state = poolState(p);
    return [
      p.poolId,
      paint(state, stateColour(state)),
      p.modelRef,
      p.backend,
      `${p.slotsBusy}/${p.slotsTotal}`,
      String(p.queueDepth),
      rate(p.decodeTokensPerSecond),
      String(p.restarts),
      p.lastError,
    ];
  });
  const headers = [
    "POOL",
    "STATE",
    "MODEL",
    "BACKEND",
    "SLOTS",
    "QUEUE",
    "DECODE",
    "RESTARTS",
    "LAST ERROR",
  ];
  process.stdout.write(table("Pools", headers, rows, "no pools"));
}

function registerPoolActions(pools: Command): void {
  clientCommand(pools.command("drain <pool-id>"))
    .description("stop new work on a pool; running tasks get --deadline-ms to finish")
    .option(
      "--deadline-ms <ms>",
      "time running tasks get before they are ended",
      integer(0),
      60_000,
    )
    .action((poolId: string, options: ClientOptions & { deadlineMs: number }) =>
      withControl(options, async (control) => {
        const drain = { poolId, deadlineMs: options.deadlineMs };
        const out = await rpc<DrainResponse>(control.addr, (cb) =>
          control.pools.drain(drain, new Metadata(), callOptions(), cb),
        );
        if (options.json) printJson({ pool_id: poolId, accepted: out.accepted });
        else process.stdout.write(`pool ${poolId} draining (deadline ${options.deadlineMs} ms)\n`);
      }),
    );
  clientCommand(pools.command("reload <pool-id>"))
    .description("switch a pool to another model atomically (the old one serves until it is ready)")
    .requiredOption("--model <ref>", "the model to load")
    .action((poolId: string, options: ClientOptions & { model: string }) =>
      withControl(options, async (control) => {
        const reload = { poolId, newModelRef: options.model };
        const deadline = { deadline: Date.now() + RELOAD_TIMEOUT_MS };
        const out = await rpc<ReloadResponse>(control.addr, (cb) =>
          control.pools.reload(reload, new Metadata(), deadline, cb),
        );
        if (options.json) printJson(toReloadResponseDto(out));
        else
          process.stdout.write(
            `pool ${poolId} now serves ${out.modelRef} (${out.durationMs} ms)\n`,
          );
      }),
    );
  clientCommand(pools.command("purge <pool-id>"))
    .description("drain, drop generated model files and start a fresh worker with empty KV")
    .action((poolId: string, options: ClientOptions) =>
      withControl(options, async (control) => {
        const purge = { poolId, purgeModels: [], drainFirst: true, deadlineMs: 0 };
        const deadline = { deadline: Date.now() + RELOAD_TIMEOUT_MS };
        const out = await rpc<PurgeResponse>(control.addr, (cb) =>
          control.pools.purge(purge, new Metadata(), deadline, cb),
        );
        if (options.json) printJson(toPurgeResponseDto(out));
        else
          process.stdout.write(
            `pool ${poolId} purge accepted; ${out.modelFiles.length} model files go once its worker stops\n`,
          );
      }),
    );
}

export function registerPools(program: Command): void {
  const pools = program.command("pools").description("list and administer pools");
  clientCommand(pools.command("ls"))
    .description("every pool: state, model, slots, queue, decode rate, last error")
    .action((options: ClientOptions) =>
      withControl(options, (control) => listPools(control, options.json)),
    );
  registerPoolActions(pools);
  clientCommand(program.command("capabilities"))
    .description("engines, versions, context limits and slots of the live pools")
    .action((options: ClientOptions) =>
      withControl(options, async (control) => {
        const caps = await rpc<Capabilities>(control.addr, (cb) =>
          control.orchestrator.getCapabilities({}, new Metadata(), callOptions(), cb),
        );
        const dto = toCapabilitiesDto(caps);
        if (options.json) return printJson(dto);
        const rows = dto.engines.map((e) => [
          e.engine,
          e.engine_version ?? "",
          String(e.ctx_max),
          String(e.slots_total),
          String(e.max_tokens_out),
          (e.pools ?? []).join(","),
          (e.models ?? []).join(","),
        ]);
        const headers = ["ENGINE", "VERSION", "CTX MAX", "SLOTS", "MAX TOKENS", "POOLS", "MODELS"];
        process.stdout.write(
          table(`Capabilities (API ${dto.api_version})`, headers, rows, "no ready pools"),
        );
      }),
    );
}
