// Starts `llama-orch serve` as a real process on a temp config and data dir, with gRPC clients to it.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { sendBearer } from "../../src/common/grpc-auth.js";
import { repoRoot } from "../../src/common/paths.js";
import { grpcClientCredentials, readTls, type TlsFiles } from "../../src/common/tls.js";
import { OrchestratorClient } from "../../src/gen/llama_orch/v1/orchestrator.js";
import {
  type ListPoolsResponse,
  type PoolHealth,
  PoolsClient,
} from "../../src/gen/llama_orch/v1/pool.js";
import { unary } from "./grpc-calls.js";

export interface ServeProcess {
  child: ChildProcess;
  /** The control plane's gRPC address. */
  address: string;
  /** The gateway's base URL, e.g. http://127.0.0.1:PORT. */
  http: string;
  dataDir: string;
  orchestrator: OrchestratorClient;
  pools: PoolsClient;
  /** Every JSON log line the process wrote so far. */
  logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

export interface ServeOptions {
  /** YAML for the config file; `{data_dir}` is replaced with the temp data dir. */
  config: string;
  env?: NodeJS.ProcessEnv;
  /** Reuse a data dir (restart tests); a fresh temp dir otherwise. */
  dataDir?: string;
  /** Wait until every configured pool is ready (default true). */
  waitReady?: boolean;
  /** The Bearer token the support gRPC clients send (pass AUTH_TOKEN in `env` as well). */
  token?: string;
  /** The support clients' certificate (mutual TLS); the gateway URL is then https. */
  tls?: TlsFiles;
  /** A command that runs `node ...` elsewhere, e.g. `ip netns exec NAME`. */
  wrapper?: string[];
  /** Where the support clients reach the gRPC edge, given the address it announced. */
  dial?: (grpcAddr: string) => string;
}

const cli = join(repoRoot, "bin", "llama-orch.js");

export async function startServe(options: ServeOptions): Promise<ServeProcess> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "llama-orch-e2e-")));
  const configPath = join(dataDir, "config.yaml");
  await writeFile(configPath, options.config.replaceAll("{data_dir}", dataDir));
  const command = [...(options.wrapper ?? []), process.execPath, cli, "serve"];
  const [program = process.execPath, ...args] = command;
  const child = spawn(program, [...args, "--config", configPath], {
    cwd: repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Record<string, unknown>[] = [];
  // Both servers announce their bound address; the gateway comes up after the control plane.
  const { address, http } = await new Promise<{ address: string; http: string }>(
    (resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("serve did not start within 60 s")), 60_000);
      child.once("exit", (code) => reject(new Error(`serve exited with ${code} before serving`)));
      let grpc = "";
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
        const entry = parse(line);
        if (!entry) return;
        logs.push(entry);
        if (entry.msg === "control plane serving" && typeof entry.grpc_addr === "string")
          grpc = entry.grpc_addr;
        if (entry.msg === "gateway serving" && typeof entry.http_addr === "string") {
          clearTimeout(timer);
          const scheme = options.tls ? "https" : "http";
          resolve({ address: grpc, http: `${scheme}://${entry.http_addr}` });
        }
      });
      child.stderr?.resume();
    },
  );
  const clientOptions = { interceptors: sendBearer(options.token) };
  const target = options.dial?.(address) ?? address;
  const channel = grpcClientCredentials(options.tls && readTls(options.tls), target);
  const orchestrator = new OrchestratorClient(target, channel, clientOptions);
  const pools = new PoolsClient(target, channel, clientOptions);
  if (options.waitReady !== false) await waitReady(pools);
  const stop = async () => {
    orchestrator.close();
    pools.close();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
  };
  return { child, address, http, dataDir, orchestrator, pools, logs, stop };
}

/** Polls Pools.Health until the pool satisfies `predicate`; returns that health. */
export async function waitForPool(
  pools: PoolsClient,
  poolId: string,
  predicate: (health: PoolHealth) => boolean,
  timeoutMs = 30_000,
): Promise<PoolHealth> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const health = await unary<PoolHealth>((cb) => pools.health({ poolId }, cb)).catch(
      () => undefined,
    );
    if (health && predicate(health)) return health;
    if (Date.now() > until) {
      throw new Error(`pool ${poolId} never reached the state: ${JSON.stringify(health)}`);
    }
    await sleep(50);
  }
}

/** The pid of the worker process `serve` runs for a pool (its child, found by its arguments). */
export function workerPid(serve: ServeProcess, poolId: string): number {
  const pattern = `worker .*--pool ${poolId}( |$)`;
  const out = execFileSync("pgrep", ["-P", String(serve.child.pid), "-f", "--", pattern], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  const pids = out.trim().split("\n").filter(Boolean).map(Number);
  if (pids.length !== 1) throw new Error(`expected one worker of ${poolId}, found ${out}`);
  return pids[0] as number;
}

/** Polls the serve process's log until a line matches; returns that line. */
export async function waitForLog(
  serve: ServeProcess,
  predicate: (entry: Record<string, unknown>) => boolean,
  timeoutMs = 20_000,
): Promise<Record<string, unknown>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = serve.logs.find(predicate);
    if (found) return found;
    if (Date.now() > until) throw new Error(`serve: no matching log line within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Polls Pools.List until every pool is ready. */
export async function waitReady(pools: PoolsClient, timeoutMs = 60_000): Promise<PoolHealth[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const list = await unary<ListPoolsResponse>((cb) => pools.list({}, cb));
    if (list.pools.length > 0 && list.pools.every((p) => p.ready)) return list.pools;
    if (Date.now() > until) throw new Error(`pools not ready: ${JSON.stringify(list.pools)}`);
    await sleep(100);
  }
}

function parse(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
