// `npm run bench:serve`: llama-orch serve against llama.cpp's llama-server, same model and
// settings, driven by one load generator over HTTP, alternated, never both at once.
import { join } from "node:path";
import { ensureLlamaTool } from "../../scripts/llama-tools.js";
import { repoRoot } from "../../src/common/paths.js";
import { Engine } from "../../src/engine/engine.js";
import { ensureModel } from "../../src/models/ensure-model.js";
import { modelDigest } from "../../src/models/model-digest.js";
import { promptTexts } from "../control/prompts.js";
import { NOISE_LIMIT_CORES } from "../engine/cpu-meter.js";
import { describeMachine } from "../engine/machine.js";
import { writeResultsFile } from "../results-file.js";
import { writeChart } from "./chart.js";
import { llamaServerArgs, llamaServerEnv, startLlamaServer } from "./llama-server-side.js";
import { writeAgentsScript, writeScript, writeSharedScript } from "./multi-turn.js";
import { serveConfig, startOrch } from "./orch-side.js";
import {
  formatLatencyTable,
  formatLegend,
  formatMultiTurnTable,
  formatThroughputTable,
  type ServeResults,
} from "./report.js";
import { measureServer, planPrompts, promptsNeeded, type RunContext } from "./server-run.js";
import { readSettings } from "./settings.js";
import { summarize } from "./summary.js";
import { orchModelDigest } from "./surfaces.js";
import type { RunningServer, ServerRun, ServeSettings } from "./types.js";

interface Model {
  path: string;
  digest: string;
}

/** llama-orch's pool names builtin:bench: its worker must have loaded the file llama-server gets. */
async function checkSameModel(server: RunningServer, model: Model, settings: ServeSettings) {
  const loaded = await orchModelDigest(server, settings);
  if (loaded !== model.digest) {
    await server.stop();
    throw new Error(`llama-orch loaded model ${loaded}, llama-server gets ${model.digest}`);
  }
}

/**
 * Each round starts llama-server, measures it and stops it, then does the same with llama-orch:
 * a fresh process every time, so neither inherits the other's page cache state, slot caches or
 * memory, RSS is each one's own, and only one server holds the two cores at any moment.
 */
async function alternate(ctx: RunContext, toolPath: string, model: Model): Promise<ServerRun[]> {
  const runs: ServerRun[] = [];
  for (let round = 1; round <= ctx.settings.rounds; round++) {
    console.log(`\nround ${round}/${ctx.settings.rounds}`);
    const peer = await startLlamaServer(toolPath, model.path, ctx.settings);
    runs.push(await measureServer(peer, ctx, round));
    const ours = await startOrch(ctx.settings);
    await checkSameModel(ours, model, ctx.settings);
    runs.push(await measureServer(ours, ctx, round));
  }
  return runs;
}

function describe(settings: ServeSettings, commit: string, modelPath: string): void {
  const machine = describeMachine();
  console.log(`llama.cpp ${commit.slice(0, 12)}; ${machine.cpuModel}, ${machine.cores} cores`);
  console.log(
    `model ${modelPath}\nthreads ${settings.threads}, ${settings.slots} slots x ` +
      `${settings.contextPerSequence} ctx, max_tokens ${settings.maxTokens}, ` +
      `c ${settings.concurrency.join(",")}, ${settings.rounds} round(s); multi-turn ` +
      `${settings.multiTurn.clients} clients x ${settings.multiTurn.turns} turns`,
  );
}

async function main(): Promise<void> {
  const settings = readSettings();
  const modelPath = await ensureModel("bench", "q8_0");
  const model = { path: modelPath, digest: await modelDigest(modelPath) };
  const toolPath = await ensureLlamaTool("llama-server");
  const commit = Engine.engineVersion;
  describe(settings, commit, modelPath);
  const peerEnv = llamaServerEnv();
  if (Object.keys(peerEnv).length > 0)
    console.log(`llama-server also gets ${JSON.stringify(peerEnv)}`);
  const texts = promptTexts(promptsNeeded(settings), settings.promptWords, settings.seed);
  const ctx: RunContext = {
    settings,
    plan: planPrompts(settings, texts),
    script: writeScript(settings.multiTurn, settings.seed),
    agentsScript: writeAgentsScript(settings.multiTurn, settings.seed),
    sharedScript: writeSharedScript(settings.sharedSystem, settings.seed),
  };
  const runs = await alternate(ctx, toolPath, model);
  const summary = summarize(settings, runs);
  console.log(
    `\n${formatThroughputTable(summary.levels)}\n\n${formatLatencyTable(summary.levels)}`,
  );
  console.log(
    `\nMulti-turn (${settings.multiTurn.clients} clients x ${settings.multiTurn.turns} turns):\n`,
  );
  console.log(`${formatMultiTurnTable(summary.multiTurn)}\n`);
  console.log(
    `Agents (conversations of their own, no session id):\n\n${formatMultiTurnTable(summary.agents)}\n`,
  );
  const { users } = settings.sharedSystem;
  console.log(`Shared system prompt (${users} users, one turn each):\n`);
  console.log(`${formatMultiTurnTable(summary.sharedSystem)}\n\n${formatLegend(summary)}`);
  const base = join(repoRoot, "bench", "results", settings.quick ? "serve-quick" : "serve");
  const timestamp = new Date().toISOString();
  writeResultsFile<ServeResults>(`${base}.json`, {
    benchmark: "serve",
    timestamp,
    llamaCppCommit: commit,
    model: { ...model, preset: "bench", type: "q8_0" },
    machine: describeMachine(),
    settings,
    llamaServerCommand: [toolPath, ...llamaServerArgs(modelPath, settings, 0)],
    llamaServerEnv: peerEnv,
    serveConfig: serveConfig(settings),
    noiseLimitCores: NOISE_LIMIT_CORES,
    summary,
    runs,
  });
  await writeChart(`${base}.svg`, `${base}.png`, summary, settings, timestamp.slice(0, 10));
  console.log(`\nwrote ${base}.json, ${base}.svg, ${base}.png`);
}

await main();
