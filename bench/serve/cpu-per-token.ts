// CPU per generated token of `llama-orch serve` and its worker's JS thread, from /proc, over
// streamed HTTP requests one after another (c = 1) on the tiny model: the token path's cost.
//
//   npx tsx bench/serve/cpu-per-token.ts [--requests 16] [--tokens 128] [--threads 2]
import { parseArgs } from "node:util";
import { request } from "undici";
import { startServe, waitReady, workerPid } from "../../test/support/serve-process.js";
import { statJiffies } from "../engine/cpu-meter.js";
import { benchPoolServeConfig } from "../serve-config.js";

const TICK_US = 1e6 / 100; // USER_HZ: /proc times are in clock ticks of 10 ms

/** utime + stime of a process (all its threads) or of one thread, in µs. */
function cpuUs(path: string): number {
  return statJiffies(path) * TICK_US;
}

function readings(servePid: number, workerPidNow: number) {
  return {
    serve: cpuUs(`/proc/${servePid}/stat`),
    worker: cpuUs(`/proc/${workerPidNow}/stat`),
    workerJs: cpuUs(`/proc/${workerPidNow}/task/${workerPidNow}/stat`),
  };
}

/** Reads a streamed response to its end; returns the bytes read. */
async function drain(body: AsyncIterable<Buffer>): Promise<number> {
  let bytes = 0;
  for await (const chunk of body) bytes += chunk.length;
  return bytes;
}

async function openAi(base: string, tokens: number, k: number): Promise<void> {
  const { body, statusCode } = await request(`${base}/v1/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "builtin:tiny",
      prompt: `request ${k}: the quick brown fox jumps over the lazy dog`,
      max_tokens: tokens,
      stream: true,
      temperature: 0,
      ignore_eos: true,
    }),
  });
  if (statusCode !== 200) throw new Error(`completions answered ${statusCode}`);
  await drain(body);
}

async function native(base: string, tokens: number, k: number): Promise<void> {
  const created = await request(`${base}/v1/tasks`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model_ref: "builtin:tiny",
      prompt: `request ${k}: the quick brown fox jumps over the lazy dog`,
      max_tokens: tokens,
      ignore_eos: true,
    }),
  });
  const { task_id } = (await created.body.json()) as { task_id: string };
  const { body } = await request(`${base}/v1/tasks/${task_id}/stream`);
  await drain(body);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: "string", default: "16" },
      tokens: { type: "string", default: "128" },
      threads: { type: "string", default: "2" },
    },
  });
  const requests = Number(values.requests);
  const tokens = Number(values.tokens);
  const config = benchPoolServeConfig({
    modelRef: "builtin:tiny",
    slots: 4,
    contextPerSequence: 512,
    threads: Number(values.threads),
  });
  const serve = await startServe({ config });
  try {
    await waitReady(serve.pools);
    const servePid = serve.child.pid as number;
    const wpid = workerPid(serve, "cpu-0");
    for (const [name, run] of [
      ["openai", openAi],
      ["native", native],
    ] as const) {
      for (let k = 0; k < 4; k++) await run(serve.http, tokens, -k - 1); // warm-up
      const before = readings(servePid, wpid);
      const started = performance.now();
      for (let k = 0; k < requests; k++) await run(serve.http, tokens, k);
      const wallMs = performance.now() - started;
      const after = readings(servePid, wpid);
      const n = requests * tokens;
      const per = (key: keyof typeof before) => ((after[key] - before[key]) / n).toFixed(1);
      console.log(
        `${name}: ${n} tokens in ${wallMs.toFixed(0)} ms (${((n / wallMs) * 1000).toFixed(0)} tok/s); ` +
          `CPU per token: serve ${per("serve")} µs, worker JS thread ${per("workerJs")} µs, ` +
          `worker all threads ${per("worker")} µs`,
      );
    }
  } finally {
    await serve.stop();
  }
}

await main();
