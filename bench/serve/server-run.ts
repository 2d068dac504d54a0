// One server in one round: warm it up, drive every level on every surface, then the conversations.
import { CpuMeter, isClean, loadAverage, waitForQuiet } from "../engine/cpu-meter.js";
import { processTree, TreeMemorySampler } from "../process-tree.js";
import { requestCount, runLevel } from "./load.js";
import { runConversations, type Script } from "./multi-turn.js";
import { formatLevel, formatMultiTurn } from "./report.js";
import { anonymousOf, conversationOf, MAX_SURFACES, type Surface, surfacesOf } from "./surfaces.js";
import type { LevelSample, RunningServer, ServerRun, ServeSettings } from "./types.js";

/** How long a run waits for other processes to calm down before it starts regardless. */
const QUIET_WAIT_MS = 60_000;

/**
 * The prompts of each level, distinct within a run so no server finds a prompt it has seen:
 * surfaces take turns on one server, and the native surface sending the OpenAI surface's prompts
 * again would time prefix-cache hits against cold prefill.
 */
export interface PromptPlan {
  warmUp: string[];
  /** levels[i][s]: the prompts of settings.concurrency[i] on a server's surface s. */
  levels: string[][][];
}

export function planPrompts(settings: ServeSettings, texts: readonly string[]): PromptPlan {
  const warmUp = texts.slice(0, settings.slots);
  let offset = warmUp.length;
  const take = (count: number) => {
    offset += count;
    return texts.slice(offset - count, offset);
  };
  const levels = settings.concurrency.map((c) => {
    const count = requestCount(c, settings.minRequests, settings.requestsPerClient);
    return Array.from({ length: MAX_SURFACES }, () => take(count));
  });
  return { warmUp, levels };
}

export function promptsNeeded(settings: ServeSettings): number {
  const counts = settings.concurrency.map((c) =>
    requestCount(c, settings.minRequests, settings.requestsPerClient),
  );
  return settings.slots + MAX_SURFACES * counts.reduce((a, b) => a + b, 0);
}

/** JIT, connections and llama.cpp's buffers settle: one request per surface, then every slot. */
async function warmUp(surfaces: readonly Surface[], prompts: readonly string[]) {
  for (const surface of surfaces) await surface.generate(prompts[0] as string);
  const [first] = surfaces;
  if (first) await Promise.all(prompts.map((prompt) => first.generate(prompt)));
}

async function measureLevels(
  surfaces: readonly Surface[],
  plan: PromptPlan,
  settings: ServeSettings,
  meter: CpuMeter,
): Promise<LevelSample[]> {
  const levels: LevelSample[] = [];
  for (const [i, c] of settings.concurrency.entries()) {
    // Surfaces take turns per level, so slow drift of the host hits them alike.
    for (const [s, surface] of surfaces.entries()) {
      const prompts = plan.levels[i]?.[s];
      if (!prompts) throw new Error(`no prompts planned for surface ${s}: raise MAX_SURFACES`);
      const result = await runLevel(surface.name, surface.generate, prompts, c);
      const noise = meter.lap();
      const level = { ...result, ...noise, clean: isClean(noise) };
      console.log(formatLevel(level));
      levels.push(level);
    }
  }
  return levels;
}

export interface RunContext {
  settings: ServeSettings;
  plan: PromptPlan;
  /** The sessions scenario's conversations. */
  script: Script;
  /** The agents scenario's: other texts, so the sessions' cache does not serve them. */
  agentsScript: Script;
  sharedScript: Script;
}

/** One conversation scenario, with the noise measured over it. */
async function converse(
  meter: CpuMeter,
  conversation: ReturnType<typeof conversationOf>,
  script: Script,
  label: string,
) {
  const result = await runConversations(conversation.surface, conversation.generate, script);
  const noise = meter.lap();
  const sample = { ...result, ...noise, clean: isClean(noise) };
  console.log(`  ${label}: ${formatMultiTurn(sample).trim()}`);
  return sample;
}

/** Measures `server` (already started and ready) and stops it, whatever happens. */
export async function measureServer(
  server: RunningServer,
  ctx: RunContext,
  round: number,
): Promise<ServerRun> {
  const memory = new TreeMemorySampler(server.rootPid, ["serve", "worker"]);
  try {
    const surfaces = surfacesOf(server, ctx.settings);
    await warmUp(surfaces, ctx.plan.warmUp);
    const before = await waitForQuiet(QUIET_WAIT_MS);
    if (!isClean(before))
      console.log(`  machine busy (others ${before.otherCores.toFixed(2)} cores); running anyway`);
    const loadAvg1 = loadAverage();
    const startedAt = new Date().toISOString();
    console.log(`  [${server.name} #${round}] ready in ${(server.startupMs / 1000).toFixed(1)} s`);
    const meter = new CpuMeter();
    for (const pid of processTree(server.rootPid)) meter.addChild(pid);
    const levels = await measureLevels(surfaces, ctx.plan, ctx.settings, meter);
    const sessions = conversationOf(server, ctx.settings);
    const multiTurn = await converse(meter, sessions, ctx.script, "sessions");
    const anonymous = anonymousOf(server, ctx.settings);
    const agents = await converse(meter, anonymous, ctx.agentsScript, "agents");
    const sharedSystem = await converse(meter, anonymous, ctx.sharedScript, "shared system");
    const { name, startupMs } = server;
    return {
      server: name,
      round,
      startedAt,
      loadAvg1,
      startupMs,
      memory: memory.stop(),
      levels,
      multiTurn,
      agents,
      sharedSystem,
    };
  } finally {
    memory.stop();
    await server.stop();
  }
}
