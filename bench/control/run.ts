// `npm run bench:control`: the same generations submitted to the engine directly and through
// `llama-orch serve` over gRPC, alternated, to show what the control plane adds per request.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { repoRoot } from "../../src/common/paths.js";
import { Engine } from "../../src/engine/engine.js";
import { ensureModel } from "../../src/models/ensure-model.js";
import {
  CpuMeter,
  isClean,
  loadAverage,
  NOISE_LIMIT_CORES,
  waitForQuiet,
} from "../engine/cpu-meter.js";
import { describeMachine } from "../engine/machine.js";
import { writeResultsFile } from "../results-file.js";
import { DirectSide } from "./direct-side.js";
import { OrchestratedSide } from "./orchestrated-side.js";
import { promptTexts } from "./prompts.js";
import { type ControlResults, formatBlock, formatLegend, formatTable } from "./report.js";
import { readSettings } from "./settings.js";
import { needsCleanSamples, outputsAgree, summarize } from "./summary.js";
import { runBlock, warmUp } from "./timing.js";
import type {
  BlockSample,
  ControlSettings,
  ModelCase,
  RunSample,
  Side,
  SideName,
} from "./types.js";

/** How long a run waits for other processes to calm down before it starts regardless. */
const QUIET_WAIT_MS = 60_000;
/** Words per prompt: 53-65 tokens with the phi-3 vocabulary, a short chat turn. */
const PROMPT_WORDS = 40;

/** The other side must be fully gone while one runs: wait out any straggling process. */
async function waitGone(pids: readonly number[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (pids.some((pid) => existsSync(`/proc/${pid}`))) {
    if (Date.now() > deadline) throw new Error(`processes ${pids.join(", ")} outlived serve`);
    await sleep(50);
  }
}

async function measureBlocks(
  side: Side,
  model: ModelCase,
  prompts: string[],
  settings: ControlSettings,
) {
  const meter = new CpuMeter();
  for (const pid of side.pids()) meter.addChild(pid);
  const blocks: BlockSample[] = [];
  for (const c of settings.concurrency) {
    const result = await runBlock(side, prompts, c, model.maxTokens, settings);
    const noise = meter.lap();
    const block = { concurrency: c, ...noise, clean: isClean(noise), ...result };
    console.log(formatBlock(side.name, block));
    blocks.push(block);
  }
  return blocks;
}

interface RunContext {
  model: ModelCase;
  prompts: string[];
  settings: ControlSettings;
  /** The digest the first side loaded: the other must have loaded the same file. */
  digest: { value?: string };
}

async function measureRun(
  ctx: RunContext,
  name: SideName,
  round: number,
  open: () => Promise<Side>,
) {
  const t0 = performance.now();
  const side = await open();
  const pids = side.pids();
  let blocks: BlockSample[];
  let loadAvg1: number;
  const startedAt = new Date().toISOString();
  try {
    ctx.digest.value ??= side.modelDigest;
    if (side.modelDigest !== ctx.digest.value) throw new Error(`${name} loaded another model file`);
    await warmUp(side, ctx.prompts, ctx.model.maxTokens);
    const before = await waitForQuiet(QUIET_WAIT_MS);
    if (!isClean(before))
      console.log(
        `  machine still busy (others ${before.otherCores.toFixed(2)} cores); running anyway`,
      );
    loadAvg1 = loadAverage();
    console.log(`  [${ctx.model.preset} ${name} #${round}] loadavg ${loadAvg1.toFixed(2)}`);
    blocks = await measureBlocks(side, ctx.model, ctx.prompts, ctx.settings);
  } finally {
    await side.close();
    await waitGone(pids);
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  return { model: ctx.model.preset, side: name, round, startedAt, loadAvg1, wallSeconds, blocks };
}

/**
 * Alternates the sides so drift hits both; only one exists at a time (the engine disposed, serve
 * and its worker exited). Noise that spoiled every block of a kind earns extra rounds.
 */
async function alternate(ctx: RunContext, path: string): Promise<RunSample[]> {
  const { model, settings } = ctx;
  const runs: RunSample[] = [];
  for (let round = 1; round <= settings.rounds * 2; round++) {
    if (round > settings.rounds && !needsCleanSamples(settings, model, runs)) break;
    if (round > settings.rounds) console.log("  extra round: some block has no clean sample yet");
    runs.push(await measureRun(ctx, "direct", round, () => DirectSide.load(path, settings)));
    const start = () => OrchestratedSide.start(model, settings);
    runs.push(await measureRun(ctx, "orchestrated", round, start));
  }
  return runs;
}

function describe(settings: ControlSettings, commit: string): void {
  const machine = describeMachine();
  console.log(`llama.cpp ${commit.slice(0, 12)}; ${machine.cpuModel}, ${machine.cores} cores`);
  console.log(
    `threads ${settings.threads}, ${settings.slots} slots x ${settings.contextPerSequence} ctx, ` +
      `c ${settings.concurrency.join(",")}, ${settings.sequentialRequests} requests at c=1, ` +
      `${settings.waves} waves above, ${settings.rounds} round(s)`,
  );
}

async function main(): Promise<void> {
  const settings = readSettings();
  const commit = Engine.engineVersion;
  describe(settings, commit);
  const prompts = promptTexts(Math.max(...settings.concurrency), PROMPT_WORDS, settings.seed);
  const runs: RunSample[] = [];
  const models: ControlResults["models"] = [];
  for (const model of settings.models) {
    const path = await ensureModel(model.preset, model.type);
    console.log(`\nmodel ${model.preset} (${path}), max_tokens ${model.maxTokens}`);
    const ctx: RunContext = { model, prompts, settings, digest: {} };
    const modelRuns = await alternate(ctx, path);
    runs.push(...modelRuns);
    const agree = outputsAgree(model, modelRuns);
    if (!agree) console.log(`  warning: the sides generated different tokens at c=1`);
    models.push({ ...model, path, digest: ctx.digest.value ?? "", outputsAgree: agree });
  }
  const rows = summarize(settings, runs);
  console.log(`\n${formatTable(rows)}\n\n${formatLegend(rows)}`);
  const path = join(
    repoRoot,
    "bench",
    "results",
    settings.quick ? "control-quick.json" : "control.json",
  );
  writeResultsFile<ControlResults>(path, {
    benchmark: "control",
    timestamp: new Date().toISOString(),
    llamaCppCommit: commit,
    models,
    machine: describeMachine(),
    settings,
    noiseLimitCores: NOISE_LIMIT_CORES,
    rows,
    runs,
  });
  console.log(`\nwrote ${path}`);
}

await main();
