// Starts `llama-orch worker` as a real child process with an IPC channel, and a WorkerClient to it.
import { type ChildProcess, spawn } from "node:child_process";
import { EventEmitter, once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { credentials, Metadata } from "@grpc/grpc-js";
import { repoRoot } from "../../src/common/paths.js";
import { WorkerClient } from "../../src/gen/llama_orch/v1/worker.js";
import { GPU_STANDIN_ENV } from "../../src/worker/gpu-options.js";

export interface WorkerProcess {
  child: ChildProcess;
  address: string;
  client: WorkerClient;
  /** Every JSON line the worker wrote to stderr so far. */
  logs: Record<string, unknown>[];
  /** Resolves with the first log line (already written or yet to come) that matches. */
  waitForLog(
    predicate: (entry: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** Everything the worker wrote to stdout (it should write nothing). */
  stdout: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL if still running, and close the client. */
  kill(): void;
}

const cli = join(repoRoot, "bin", "llama-orch.js");

/** With the fake NVML library: cuda pools compute on this CPU-only build (docs/gpu.md). */
export const GPU_STANDIN = { [GPU_STANDIN_ENV]: "cpu" };

/** The environment without settings from the developer's shell that would change the worker. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  const names = [
    "AUTH_TOKEN",
    "AUTH_OPTIONAL",
    "LLAMA_ORCH_NVML_LIB",
    "FAKE_NVML_STATE",
    GPU_STANDIN_ENV,
  ];
  for (const name of names) delete env[name];
  return { ...env, ...extra };
}

/** `wrapper` runs the worker elsewhere, e.g. `ip netns exec NAME`. */
export function spawnWorker(
  args: string[],
  env: NodeJS.ProcessEnv,
  wrapper: string[] = [],
): ChildProcess {
  const [program = process.execPath, ...rest] = [...wrapper, process.execPath];
  return spawn(program, [...rest, cli, "worker", ...args], {
    cwd: repoRoot,
    env,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
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

export async function startWorker(
  args: string[],
  env = cleanEnv(),
  wrapper: string[] = [],
): Promise<WorkerProcess> {
  const child = spawnWorker([...args, "--exit-with-parent"], env, wrapper);
  const exited = once(child, "exit").then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  let stdout = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const logs: Record<string, unknown>[] = [];
  const lines = new EventEmitter();
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("worker did not listen within 60 s")), 60_000);
    void exited.then(({ code }) =>
      reject(new Error(`worker exited with ${code}: ${JSON.stringify(logs)}`)),
    );
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => {
      const entry = parse(line);
      if (!entry) return;
      logs.push(entry);
      lines.emit("line");
      if (entry.event === "listening" && typeof entry.address === "string") {
        clearTimeout(timer);
        resolve(entry.address);
      }
    });
  });
  const client = new WorkerClient(address, credentials.createInsecure());
  const kill = () => {
    client.close();
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  const waitForLog = async (
    predicate: (entry: Record<string, unknown>) => boolean,
    timeoutMs = 20_000,
  ) => {
    const signal = AbortSignal.timeout(timeoutMs);
    for (;;) {
      const found = logs.find(predicate);
      if (found) return found;
      await once(lines, "line", { signal }).catch(() => {
        throw new Error(`worker: no matching log line within ${timeoutMs} ms`);
      });
    }
  };
  return { child, address, client, logs, waitForLog, stdout: () => stdout, exited, kill };
}

export function bearer(token: string): Metadata {
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  return metadata;
}
