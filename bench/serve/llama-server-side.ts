// The peer: llama.cpp's own llama-server on the same model file, threads, slots and context.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { request } from "undici";
import type { RunningServer, ServeSettings } from "./types.js";

const HOST = "127.0.0.1";

/** What the peer's command line takes from the run's settings. */
export type PeerSettings = Pick<
  ServeSettings,
  "threads" | "gpuLayers" | "slots" | "contextPerSequence"
>;
const READY_TIMEOUT_MS = 120_000;

/**
 * The exact command line, also recorded in the results. Settings match the pool's: one KV stream
 * per slot (our engine's `kv_unified = false`) of `contextPerSequence` tokens, f16 K and V, flash
 * attention on llama.cpp's `auto` (the engine leaves it there too), batch sizes at their defaults
 * on both. Continuous batching, prompt caching and the slot's prompt cache in RAM stay at
 * llama-server's defaults: that is how its users run it.
 */
export function llamaServerArgs(modelPath: string, settings: PeerSettings, port: number) {
  return [
    ...["-m", modelPath, "--host", HOST, "--port", String(port)],
    ...["-t", String(settings.threads), "-np", String(settings.slots)],
    ...["-c", String(settings.slots * settings.contextPerSequence), "--no-kv-unified"],
    ...["-fa", "auto", "-ctk", "f16", "-ctv", "f16", "--no-webui"],
    // common's -1 is "fit to free memory"; our pool's -1 is every layer, "all" here.
    ...["-ngl", settings.gpuLayers < 0 ? "all" : String(settings.gpuLayers)],
  ];
}

/** llama-server reads LLAMA_ARG_* variables as flags: any set here changes the peer, so say so. */
export function llamaServerEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).flatMap(([name, value]) =>
      name.startsWith("LLAMA_ARG_") && value !== undefined ? [[name, value]] : [],
    ),
  );
}

/** A port free right now on loopback (llama-server takes no port 0). */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, HOST);
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (address === null || typeof address === "string") throw new Error("no port from listen(0)");
  return address.port;
}

async function healthy(origin: string): Promise<boolean> {
  try {
    const response = await request(`${origin}/health`, { reset: true });
    await response.body.dump();
    return response.statusCode === 200;
  } catch {
    return false;
  }
}

/** Polls GET /health until it answers 200 (503 while the model loads). */
async function waitHealthy(child: ChildProcess, origin: string, log: () => string) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await healthy(origin))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`llama-server exited (${child.exitCode ?? child.signalCode}):\n${log()}`);
    }
    if (Date.now() > deadline) throw new Error(`llama-server not healthy in time:\n${log()}`);
    await sleep(50);
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

export async function startLlamaServer(
  toolPath: string,
  modelPath: string,
  settings: PeerSettings,
): Promise<RunningServer & { args: string[] }> {
  const port = await freePort();
  const args = llamaServerArgs(modelPath, settings, port);
  const t0 = performance.now();
  const child = spawn(toolPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString("utf8")).slice(-8000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const origin = `http://${HOST}:${port}`;
  try {
    await waitHealthy(child, origin, () => log);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  const rootPid = child.pid;
  if (rootPid === undefined) throw new Error("llama-server has no pid");
  const startupMs = performance.now() - t0;
  return { name: "llama-server", origin, rootPid, startupMs, args, stop: () => stopChild(child) };
}
