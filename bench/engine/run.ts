// `npm run bench:engine`: the addon against llama-batched-bench, alternated, on the bench model.
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { ensureLlamaCppSource } from "../../scripts/llama-cpp-source.js";
import { ensureLlamaTool } from "../../scripts/llama-tools.js";
import { repoRoot } from "../../src/common/paths.js";
import { Engine } from "../../src/engine/engine.js";
import { ensureModel } from "../../src/models/ensure-model.js";
import { AddonSide } from "./addon-side.js";
import { batchedBenchArgs, runBatchedBench } from "./batched-bench-side.js";
import { CpuMeter, isClean, loadAverage, NOISE_LIMIT_CORES, waitForQuiet } from "./cpu-meter.js";
import { describeMachine } from "./machine.js";
import { ordinaryTokens, seededPrompts } from "./prompts.js";
import {
  formatLegend,
  formatRow,
  formatTable,
  needsCleanSamples,
  summarize,
  TARGET_RATIO,
  writeResults,
} from "./report.js";
import { readSettings, slotCount, totalContext } from "./settings.js";
import type { BenchSettings, RowSample, RunSample, Side } from "./types.js";

/** How long a run waits for other processes to calm down before it starts regardless. */
const QUIET_WAIT_MS = 60_000;

async function measureRun(
  side: Side,
  repeat: number,
  run: () => Promise<RowSample[]>,
): Promise<RunSample> {
  const before = await waitForQuiet(QUIET_WAIT_MS);
  if (!isClean(before)) {
    console.log(
      `machine still busy (others ${before.otherCores.toFixed(2)} cores); running anyway`,
    );
  }
  const startedAt = new Date().toISOString();
  const loadAvg1 = loadAverage();
  const t0 = performance.now();
  const rows = await run();
  const wallSeconds = (performance.now() - t0) / 1000;
  console.log(
    `[${side} #${repeat}] ${wallSeconds.toFixed(1)} s, loadavg ${loadAvg1.toFixed(2)} before`,
  );
  for (const row of rows) console.log(formatRow(row));
  return { side, repeat, startedAt, loadAvg1, wallSeconds, rows };
}

async function addonRows(addon: AddonSide, prompts: number[][], settings: BenchSettings) {
  const rows: RowSample[] = [];
  const meter = new CpuMeter();
  // One row at a time: rows must never overlap, or each would steal the other's slots and cores.
  for (const b of settings.parallel) {
    const throughput = await addon.measure(prompts.slice(0, b));
    const noise = meter.lap();
    rows.push({ ...throughput, ...noise, clean: isClean(noise) });
  }
  return rows;
}

function describe(settings: BenchSettings, modelPath: string, commit: string): void {
  const machine = describeMachine();
  console.log(`llama.cpp ${commit.slice(0, 12)}; ${machine.cpuModel}, ${machine.cores} cores`);
  console.log(
    `model ${modelPath}\nthreads ${settings.threads}, prompt ${settings.promptTokens}, ` +
      `generate ${settings.generateTokens}, batch ${settings.batchSize}/${settings.ubatchSize}, ` +
      `${slotCount(settings)} slots x ${settings.contextPerSequence} = ${totalContext(settings)} ctx, ` +
      `B ${settings.parallel.join(",")}, ${settings.repeats} repeat(s)`,
  );
}

/**
 * Alternates the sides so slow drift (neighbours, the host) hits both alike; never runs them at
 * once. While noise leaves some row with clean samples from fewer than half the repeats, extra
 * repeats follow, at most as many again.
 */
async function alternate(settings: BenchSettings, modelPath: string, toolPath: string) {
  const prompts = seededPrompts(
    await ordinaryTokens(modelPath),
    slotCount(settings),
    settings.promptTokens,
    settings.seed,
  );
  const addon = await AddonSide.load(modelPath, settings);
  const runs: RunSample[] = [];
  try {
    await addon.warmUp(prompts);
    for (let repeat = 1; repeat <= settings.repeats * 2; repeat++) {
      if (repeat > settings.repeats) {
        if (!needsCleanSamples(settings, runs)) break;
        console.log("extra repeat: some row has too few clean samples");
      }
      runs.push(await measureRun("addon", repeat, () => addonRows(addon, prompts, settings)));
      const reference = () => runBatchedBench(toolPath, modelPath, settings);
      runs.push(await measureRun("batched-bench", repeat, reference));
    }
  } finally {
    await addon.dispose();
  }
  return runs;
}

async function main(): Promise<void> {
  const settings = readSettings();
  const modelPath = await ensureModel("bench", settings.modelType);
  const toolPath = await ensureLlamaTool("llama-batched-bench");
  const source = await ensureLlamaCppSource();
  const commit = Engine.engineVersion;
  if (source.commit !== commit) {
    console.warn(`warning: addon built from llama.cpp ${commit}, the tool from ${source.commit}`);
  }
  describe(settings, modelPath, commit);

  const runs = await alternate(settings, modelPath, toolPath);
  const rows = summarize(settings, runs);
  console.log(`\n${formatTable(rows)}\n\n${formatLegend(rows)}`);
  const name = settings.quick ? "engine-quick.json" : "engine.json";
  const path = join(repoRoot, "bench", "results", name);
  writeResults(path, {
    benchmark: "engine",
    timestamp: new Date().toISOString(),
    llamaCppCommit: commit,
    model: { path: modelPath, preset: "bench", type: settings.modelType },
    machine: describeMachine(),
    settings,
    batchedBenchCommand: [toolPath, ...batchedBenchArgs(modelPath, settings)],
    targetRatio: TARGET_RATIO,
    noiseLimitCores: NOISE_LIMIT_CORES,
    rows,
    runs,
  });
  console.log(`\nwrote ${path}`);
}

await main();
