// `npm run drills`: break a real serve on purpose (loopback only, bounded in time and count) and
// print what was sent and what came back. Prints figures; never passes or fails.
import { rm } from "node:fs/promises";
import { type TaskRecord, TaskState } from "../../src/gen/llama_orch/v1/orchestrator.js";
import { unary } from "../../test/support/grpc-calls.js";
import { type ServeProcess, startServe, waitReady } from "../../test/support/serve-process.js";
import { killServeDrill, killWorkerDrill, sigtermDrill } from "./faults.js";
import { fuzzDrill } from "./fuzz.js";
import { budgetRaceDrill, overloadDrill } from "./load.js";
import { cancelStorm, disconnectStorm } from "./streams.js";

const CAPACITY = 64;
const DRAIN_MS = 2000;
const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
admission: { queue_capacity: ${CAPACITY} }
shutdown: { drain_ms: ${DRAIN_MS} }
sessions: { default_budgets: { tokens: 10000 } }
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 4, context_size: 4096, threads: 1 }
`;

async function stateOf(serve: ServeProcess, taskId: string): Promise<TaskState> {
  const record = await unary<TaskRecord>((cb) => serve.orchestrator.getTask({ taskId }, cb)).catch(
    () => undefined,
  );
  return record?.state ?? TaskState.TASK_STATE_UNSPECIFIED;
}

function report(name: string, figures: unknown): void {
  process.stdout.write(`\n## ${name}\n${JSON.stringify(figures, null, 2)}\n`);
}

async function main(): Promise<void> {
  let serve = await startServe({ config });
  const base = serve.http;
  report("fuzz (every route of contracts/openapi)", await fuzzDrill(base));
  report("cancel storm by route (40 streams)", await cancelStorm(base, 40));
  report(
    "cancel storm by disconnect (40 streams)",
    await disconnectStorm(base, 40, (id) => stateOf(serve, id)),
  );
  report(`overload at 10x queue capacity (${CAPACITY})`, await overloadDrill(serve, CAPACITY));
  report(
    "budget race (20 x 600 tokens against 10000)",
    await budgetRaceDrill(serve, 20, 600, 10000),
  );
  report("SIGKILL the worker under load (12 streams)", await killWorkerDrill(serve, 12));
  await waitReady(serve.pools);
  const killed = await killServeDrill(serve, config, 12, stateOf);
  report("SIGKILL serve under load and restart it (12 streams)", killed.figures);
  serve = killed.again;
  report("SIGTERM serve under load (14 streams)", await sigtermDrill(serve, 14, DRAIN_MS));
  await serve.stop();
  await rm(serve.dataDir, { recursive: true, force: true });
}

await main();
