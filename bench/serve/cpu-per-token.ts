// CPU per generated token, from /proc, over streamed HTTP requests: `llama-orch serve`, its
// worker's JS thread and the worker's other threads (llama.cpp's compute, gRPC, libuv), and with
// --peer llama-server on the same model file. With --concurrency N, N requests stay in flight, so
// a step decodes N sequences: compute threads that spend more CPU per token here than the peer's
// are being pre-empted or spinning, not computing.
//
//   npx tsx bench/serve/cpu-per-token.ts [--requests 16] [--tokens 128] [--threads 2]
//     [--concurrency 1] [--model tiny|bench] [--peer] [--stream-interval-ms N]
import { parseArgs } from "node:util";
import { ensureLlamaTool } from "../../scripts/llama-tools.js";
import { BUILTIN_PREFIX, parseBuiltinRef } from "../../src/models/builtin-ref.js";
import { ensureModel } from "../../src/models/ensure-model.js";
import { startServe, waitReady, workerPid } from "../../test/support/serve-process.js";
import { statJiffies } from "../engine/cpu-meter.js";
import { benchPoolServeConfig } from "../serve-config.js";
import { startLlamaServer } from "./llama-server-side.js";
import { streamTask } from "./native-client.js";
import { streamCompletion } from "./openai-client.js";

const TICK_US = 1e6 / 100; // USER_HZ: /proc times are in clock ticks of 10 ms
const CONTEXT_PER_SEQUENCE = 512;

/** utime + stime of a process (all its threads) or of one thread, in µs. */
function cpuUs(path: string): number {
  return statJiffies(path) * TICK_US;
}

/** CPU counters by name, in µs, from /proc. */
type Meters = Record<string, () => number>;

type Run = (origin: string, model: string, tokens: number, prompt: string) => Promise<unknown>;

const openAi: Run = (origin, model, tokens, prompt) =>
  streamCompletion(origin, { prompt, maxTokens: tokens, seed: 1, model });

const native: Run = (origin, model, tokens, prompt) =>
  streamTask(origin, { prompt, maxTokens: tokens, seed: 1, modelRef: model });

interface Load {
  base: string;
  model: string;
  requests: number;
  tokens: number;
  concurrency: number;
}

type Surface = [name: string, run: Run];

/** Runs `count` requests, `concurrency` at a time, each surface with prompts of its own. */
function lanes(name: string, run: Run, load: Load, offset: number, count: number) {
  const { base, model, tokens, concurrency } = load;
  const prompt = (k: number) => `${name} request ${k}: the quick brown fox jumps over the lazy dog`;
  return Promise.all(
    Array.from({ length: concurrency }, async (_, lane) => {
      for (let k = lane; k < count; k += concurrency)
        await run(base, model, tokens, prompt(offset + k));
    }),
  );
}

/**
 * Sends WARMUP_REQUESTS requests on every surface before any is measured: the first surface
 * measured after only its own warm-up paid for V8 compiling the code the two share (about 1.5x
 * serve's CPU per token, whichever surface ran first).
 */
const WARMUP_REQUESTS = 8;

async function warmUp(surfaces: Surface[], load: Load): Promise<void> {
  for (const [name, run] of surfaces) await lanes(name, run, load, -1000, WARMUP_REQUESTS);
}

/**
 * Runs `requests` requests, `concurrency` at a time, and prints CPU per token of each meter. Each
 * surface sends prompts of its own: the native surface resending the OpenAI surface's prompts
 * would be served from the prefix cache.
 */
async function measure([name, run]: Surface, load: Load, meters: Meters): Promise<void> {
  const { requests, tokens, concurrency } = load;
  const read = () => Object.fromEntries(Object.entries(meters).map(([key, f]) => [key, f()]));
  const before = read();
  const started = performance.now();
  await lanes(name, run, load, 0, requests);
  const wallMs = performance.now() - started;
  const after = read();
  const n = requests * tokens;
  const per = Object.keys(meters).map(
    (key) => `${key} ${(((after[key] ?? 0) - (before[key] ?? 0)) / n).toFixed(1)} µs`,
  );
  console.log(
    `${name}: ${n} tokens at c=${concurrency} in ${wallMs.toFixed(0)} ms ` +
      `(${((n / wallMs) * 1000).toFixed(1)} tok/s); CPU per token: ${per.join(", ")}`,
  );
}

async function measureOrch(
  load: Omit<Load, "base">,
  threads: number,
  streamIntervalMs: number | undefined,
): Promise<void> {
  const config = benchPoolServeConfig({
    modelRef: load.model,
    slots: Math.max(4, load.concurrency),
    contextPerSequence: CONTEXT_PER_SEQUENCE,
    threads,
    streamIntervalMs,
  });
  const serve = await startServe({ config });
  try {
    await waitReady(serve.pools);
    const servePid = serve.child.pid as number;
    const wpid = workerPid(serve, "cpu-0");
    const workerJs = () => cpuUs(`/proc/${wpid}/task/${wpid}/stat`);
    const meters: Meters = {
      serve: () => cpuUs(`/proc/${servePid}/stat`),
      "worker JS thread": workerJs,
      "worker other threads": () => cpuUs(`/proc/${wpid}/stat`) - workerJs(),
    };
    const surfaces: Surface[] = [
      ["llama-orch openai", openAi],
      ["llama-orch native", native],
    ];
    await warmUp(surfaces, { ...load, base: serve.http });
    for (const surface of surfaces) await measure(surface, { ...load, base: serve.http }, meters);
  } finally {
    await serve.stop();
  }
}

async function measurePeer(load: Omit<Load, "base">, threads: number): Promise<void> {
  const { preset, type } = parseBuiltinRef(load.model);
  const modelPath = await ensureModel(preset, type);
  const settings = {
    threads,
    gpuLayers: 0,
    slots: Math.max(4, load.concurrency),
    contextPerSequence: CONTEXT_PER_SEQUENCE,
  };
  const peer = await startLlamaServer(await ensureLlamaTool("llama-server"), modelPath, settings);
  try {
    const meters: Meters = { "all threads": () => cpuUs(`/proc/${peer.rootPid}/stat`) };
    const surface: Surface = ["llama-server", openAi];
    await warmUp([surface], { ...load, base: peer.origin });
    await measure(surface, { ...load, base: peer.origin }, meters);
  } finally {
    await peer.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: "string", default: "16" },
      tokens: { type: "string", default: "128" },
      threads: { type: "string", default: "2" },
      concurrency: { type: "string", default: "1" },
      model: { type: "string", default: "tiny" },
      peer: { type: "boolean", default: false },
      "stream-interval-ms": { type: "string" },
    },
  });
  const load = {
    model: `${BUILTIN_PREFIX}${values.model}`,
    requests: Number(values.requests),
    tokens: Number(values.tokens),
    concurrency: Number(values.concurrency),
  };
  const threads = Number(values.threads);
  if (values.peer) await measurePeer(load, threads);
  const interval = values["stream-interval-ms"];
  await measureOrch(load, threads, interval === undefined ? undefined : Number(interval));
}

await main();
