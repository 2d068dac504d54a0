// The worker process's lifecycle: exit with its parent, on SIGTERM, at start without GPUs; auth.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { type ServiceError, status } from "@grpc/grpc-js";
import { fakeNvmlPath } from "../../src/common/paths.js";
import { FinishReason } from "../../src/gen/llama_orch/v1/common.js";
import type { WorkerDescription } from "../../src/gen/llama_orch/v1/worker.js";
import { RecordingRegistry } from "../support/recording-registry.js";
import { collect, generate, rpc } from "../support/worker-calls.js";
import {
  bearer,
  cleanEnv,
  GPU_STANDIN,
  spawnWorker,
  startWorker,
  type WorkerProcess,
} from "../support/worker-process.js";

describe("worker lifecycle", { timeout: 120_000 }, () => {
  let registry: RecordingRegistry;
  const spawned: WorkerProcess[] = [];
  const strays: ChildProcess[] = [];
  const base = (pool: string) => ["--control", "", "--pool", pool, "--model", "builtin:tiny"];

  async function start(pool: string, args: string[], env = cleanEnv()) {
    const argv = base(pool).concat(["--threads", "1", "--context-size", "2048"], args);
    argv[1] = registry.address;
    const worker = await startWorker(argv, env);
    spawned.push(worker);
    return worker;
  }

  before(async () => {
    registry = await new RecordingRegistry(100).start();
  });
  after(() => {
    for (const worker of spawned) worker.kill();
    for (const child of strays) if (child.exitCode === null) child.kill("SIGKILL");
    registry?.close();
  });

  it("exits when the parent's IPC channel closes", async () => {
    const worker = await start("orphan", ["--backend", "cpu"]);
    worker.child.disconnect();
    assert.deepEqual(await worker.exited, { code: 0, signal: null });
  });

  it("SIGTERM ends in-flight streams as cancelled and exits 0", async () => {
    const worker = await start("term", ["--backend", "cpu"]);
    const outcome = await collect(generate(worker.client, { maxTokens: 1900 }), (count) => {
      if (count === 2) worker.child.kill("SIGTERM");
    });
    assert.equal(outcome.error, undefined);
    assert.equal(outcome.end?.finishReason, FinishReason.FINISH_REASON_CANCELLED);
    assert.deepEqual(await worker.exited, { code: 0, signal: null });
  });

  it("--log-level warn writes warnings and worse only: serve passes its logging.level this way", async () => {
    const argv = base("quiet").concat(["--backend", "cpu", "--gpu-layers", "3", "--threads", "1"]);
    argv[1] = registry.address;
    const child = spawnWorker([...argv, "--log-level", "warn", "--exit-with-parent"], cleanEnv());
    strays.push(child);
    const lines: Record<string, unknown>[] = [];
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => {
      lines.push(JSON.parse(line));
    });
    // The IPC message says the worker is serving; its "worker serving" line is info, so not written.
    const [message] = await once(child, "message");
    assert.equal((message as { event?: string }).event, "listening");
    child.disconnect();
    await once(child, "exit");
    const levels = new Set(lines.map((entry) => entry.level));
    assert.ok(lines.some((entry) => /runs every layer on CPU/.test(String(entry.msg))));
    assert.deepEqual([...levels], ["warn"], JSON.stringify(lines));
  });

  it("backend cuda without NVIDIA GPUs fails fast, naming the reason and the fix", async () => {
    const argv = base("nogpu").concat(["--backend", "cuda"]);
    argv[1] = registry.address;
    const child = spawnWorker(argv, cleanEnv({ LLAMA_ORCH_NVML_LIB: "/nonexistent/libnvml.so" }));
    const lines: string[] = [];
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => {
      lines.push(line);
    });
    strays.push(child);
    const [code] = await once(child, "exit");
    assert.equal(code, 2);
    const failure = lines.map((line) => JSON.parse(line)).find((entry) => entry.level === "error");
    assert.equal(failure?.error_code, "POOL_UNAVAILABLE");
    assert.match(failure?.msg, /no NVIDIA GPU/);
    assert.match(failure?.msg, /nonexistent/, "the probe's reason is in the message");
    assert.match(failure?.msg, /--backend cpu/);
  });

  it("ORCH-3052 backend cuda on an addon without the pool's GPU fails fast instead of using the CPU", async () => {
    const argv = base("nodevice").concat(["--backend", "cuda", "--devices", "1"]);
    argv[1] = registry.address;
    // The fake NVML reports GPUs 0 and 1; this addon (CPU-only, or CUDA with fewer cards) lacks GPU 1.
    const child = spawnWorker(argv, cleanEnv({ LLAMA_ORCH_NVML_LIB: fakeNvmlPath }));
    const lines: string[] = [];
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => {
      lines.push(line);
    });
    strays.push(child);
    const [code] = await once(child, "exit");
    assert.equal(code, 2);
    const failure = lines.map((line) => JSON.parse(line)).find((entry) => entry.level === "error");
    assert.equal(failure?.error_code, "POOL_DEVICE_UNAVAILABLE");
    assert.match(failure?.msg, /GPU device 1 is not available/);
  });

  it("with AUTH_TOKEN every call needs the token and registration sends it; --devices scopes telemetry", async () => {
    const env = cleanEnv({
      AUTH_TOKEN: "s3cret",
      LLAMA_ORCH_NVML_LIB: fakeNvmlPath,
      ...GPU_STANDIN,
    });
    const worker = await start("gpu1", ["--backend", "cuda", "--devices", "1"], env);
    const refused = await rpc((cb) => worker.client.describe({}, cb)).catch((e: ServiceError) => e);
    assert.equal((refused as ServiceError).code, status.UNAUTHENTICATED);
    const description = await rpc<WorkerDescription>((cb) =>
      worker.client.describe({}, bearer("s3cret"), cb),
    );
    assert.equal(description.backend, "cuda");
    await registry.waitFor(() => registry.lastHeartbeat("gpu1") !== undefined, "a heartbeat");
    assert.equal(registry.registrationsOf("gpu1")[0]?.authorization, "Bearer s3cret");
    assert.deepEqual(
      registry.lastHeartbeat("gpu1")?.telemetry?.devices.map((device) => device.index),
      [1],
    );
  });
});
