// Spawns one worker process per local pool and restarts it when it dies: exponential backoff, and a
// circuit breaker that stops a pool that keeps crashing.
import { type ChildProcess, spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { join } from "node:path";
import { repoRoot } from "../common/paths.js";

export interface WorkerSpec {
  poolId: string;
  /** Arguments after `llama-orch worker`, asked at every (re)start: a reload changes the model. */
  args: () => string[];
}

export interface SupervisorOptions {
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** Crashes within breakerWindowMs that open the breaker (no more restarts). */
  breakerFailures: number;
  breakerWindowMs: number;
  env?: NodeJS.ProcessEnv;
  /** The process to run for a spec; default `llama-orch worker <args> --exit-with-parent`. */
  command?: (spec: WorkerSpec) => { file: string; args: string[] };
}

function workerCommand(spec: WorkerSpec): { file: string; args: string[] } {
  const cli = join(repoRoot, "bin", "llama-orch.js");
  return { file: process.execPath, args: [cli, "worker", ...spec.args(), "--exit-with-parent"] };
}

export interface WorkerExit {
  poolId: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The worker's last stderr lines, for the pool's last error. */
  lastOutput: string;
  restartInMs: number | undefined;
  breakerOpen: boolean;
}

interface Supervised {
  spec: WorkerSpec;
  child: ChildProcess | undefined;
  crashes: number[];
  consecutive: number;
  restarts: number;
  timer: NodeJS.Timeout | undefined;
  tail: string[];
  /** Set by restart(): the next exit is asked for, not a crash. */
  planned: boolean;
}

const TAIL_LINES = 20;

/** A worker's JSON log line as a person reads it: its message and error; other lines as they are. */
export function textOf(line: string): string {
  try {
    const entry = JSON.parse(line) as {
      msg?: unknown;
      error_code?: unknown;
      err?: { message?: unknown };
    };
    const code = typeof entry.error_code === "string" ? `${entry.error_code}: ` : "";
    const error = typeof entry.err?.message === "string" ? `: ${entry.err.message}` : "";
    return typeof entry.msg === "string" ? `${code}${entry.msg}${error}` : line;
  } catch {
    return line;
  }
}

export declare interface Supervisor {
  on(event: "spawn", listener: (poolId: string, pid: number) => void): this;
  on(event: "exit", listener: (exit: WorkerExit) => void): this;
  on(event: "output", listener: (poolId: string, line: string) => void): this;
}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: typed events for an EventEmitter
export class Supervisor extends EventEmitter {
  private readonly workers = new Map<string, Supervised>();
  private stopping = false;
  private readonly options: SupervisorOptions;

  constructor(options: SupervisorOptions) {
    super();
    this.options = options;
  }

  start(spec: WorkerSpec): void {
    const entry: Supervised = {
      spec,
      child: undefined,
      crashes: [],
      consecutive: 0,
      restarts: 0,
      timer: undefined,
      tail: [],
      planned: false,
    };
    this.workers.set(spec.poolId, entry);
    this.launch(entry);
  }

  /** A worker that came up healthy resets its backoff. */
  markHealthy(poolId: string): void {
    const entry = this.workers.get(poolId);
    if (entry) entry.consecutive = 0;
  }

  pid(poolId: string): number | undefined {
    return this.workers.get(poolId)?.child?.pid;
  }

  restarts(poolId: string): number {
    return this.workers.get(poolId)?.restarts ?? 0;
  }

  /**
   * Stops a pool's worker (SIGTERM, SIGKILL after `graceMs`), runs `between` while none runs, then
   * starts a fresh one at once: no backoff, no crash counted against the breaker.
   */
  async restart(poolId: string, between: () => Promise<void>, graceMs = 5000): Promise<void> {
    const entry = this.workers.get(poolId);
    if (!entry || this.stopping) return;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    // terminate() resolves after onExit (registered first, at launch) has seen the planned exit.
    entry.planned = true;
    await this.terminate(entry, graceMs);
    entry.planned = false;
    try {
      await between();
    } finally {
      entry.restarts += 1;
      entry.consecutive = 0;
      if (!this.stopping) this.launch(entry);
    }
  }

  /** Re-arms an open breaker: crashes forgotten, a worker started now. False when none was open. */
  rearm(poolId: string): boolean {
    const entry = this.workers.get(poolId);
    const open = entry && !entry.child && !entry.timer && !entry.planned && !this.stopping;
    if (!open) return false;
    entry.crashes = [];
    entry.consecutive = 0;
    entry.restarts += 1;
    this.launch(entry);
    return true;
  }

  /** SIGTERM to every worker, SIGKILL after `graceMs`; resolves when all have exited. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    const exits = [...this.workers.values()].map((entry) => {
      clearTimeout(entry.timer);
      return this.terminate(entry, graceMs);
    });
    await Promise.all(exits);
  }

  private launch(entry: Supervised): void {
    const { file, args } = (this.options.command ?? workerCommand)(entry.spec);
    const child = spawn(file, args, {
      cwd: repoRoot,
      env: this.options.env ?? process.env,
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    entry.child = child;
    entry.tail = [];
    child.stderr?.setEncoding("utf8");
    let partial = "";
    child.stderr?.on("data", (chunk: string) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) this.remember(entry, line);
    });
    child.on("exit", (code, signal) => this.onExit(entry, child, code, signal));
    if (child.pid !== undefined) this.emit("spawn", entry.spec.poolId, child.pid);
  }

  private remember(entry: Supervised, line: string): void {
    if (line.length === 0) return;
    entry.tail.push(line);
    if (entry.tail.length > TAIL_LINES) entry.tail.shift();
    this.emit("output", entry.spec.poolId, line);
  }

  private onExit(
    entry: Supervised,
    child: ChildProcess,
    code: number | null,
    signal: NodeJS.Signals | null,
  ) {
    if (entry.child !== child) return;
    entry.child = undefined;
    entry.timer = undefined;
    const lastOutput = entry.tail.slice(-5).map(textOf).join("\n");
    if (entry.planned) {
      const { poolId } = entry.spec;
      this.emit("exit", { poolId, code, signal, lastOutput, restartInMs: 0, breakerOpen: false });
      return;
    }
    const now = Date.now();
    entry.crashes = entry.crashes.filter((t) => now - t < this.options.breakerWindowMs);
    entry.crashes.push(now);
    const breakerOpen = entry.crashes.length >= this.options.breakerFailures;
    let restartInMs: number | undefined;
    if (!this.stopping && !breakerOpen) {
      restartInMs = Math.min(
        this.options.backoffMaxMs,
        this.options.backoffInitialMs * 2 ** entry.consecutive,
      );
      entry.consecutive += 1;
      entry.timer = setTimeout(() => {
        entry.restarts += 1;
        this.launch(entry);
      }, restartInMs);
    }
    this.emit("exit", {
      poolId: entry.spec.poolId,
      code,
      signal,
      lastOutput,
      restartInMs,
      breakerOpen,
    });
  }

  private terminate(entry: Supervised, graceMs: number): Promise<void> {
    const child = entry.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const kill = setTimeout(() => child.kill("SIGKILL"), graceMs);
      child.once("exit", () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill("SIGTERM");
    });
  }
}
