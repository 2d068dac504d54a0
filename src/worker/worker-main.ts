// The worker process: load the pool's model, serve the Worker service, register, shut down cleanly.
import { readFileSync } from "node:fs";
import { Server } from "@grpc/grpc-js";
import { pino } from "pino";
import type { LogLevel } from "../common/config.js";
import type { FlashAttn, SplitMode } from "../common/gpu-split.js";
import { createLogger, type Logger } from "../common/logger.js";
import { readTls, type TlsFiles, type TlsMaterial } from "../common/tls.js";
import type { EngineOptions, KvType, Pooling } from "../engine/types.js";
import { WorkerService as WorkerServiceDefinition } from "../gen/llama_orch/v1/worker.js";
import { fittedLoader } from "./gpu-fit.js";
import { type GpuEngineOptions, gpuEngineOptions } from "./gpu-options.js";
import { ModelHost } from "./model-host.js";
import { type Registration, startRegistration } from "./registration.js";
import {
  advertised,
  bind,
  checkAuth,
  interceptors,
  splitHostPort,
  TLS_FLAGS,
} from "./worker-listen.js";
import { WorkerService } from "./worker-service.js";

export type Backend = "cpu" | "cuda";

export interface WorkerOptions {
  /** host:port of the control plane's WorkerRegistry. */
  control: string;
  poolId: string;
  /** builtin:NAME, file:PATH or a path (see model-ref.ts); a catalog name with `modelFile`. */
  model: string;
  /** The file the control plane resolved for `model` (catalog entries and pulls). */
  modelFile?: string;
  /** A catalog entry's handoff JSON: load the file it names once its digest matches. */
  handoff?: string;
  /** host:port to serve on; port 0 picks a free one. Default 127.0.0.1:0. */
  listen?: string;
  /** host:port the control plane should dial, when it differs from the bound address. */
  advertise?: string;
  backend: Backend;
  slots?: number;
  contextSize?: number;
  threads?: number;
  batchSize?: number;
  ubatchSize?: number;
  /** Prompt tokens per step under contention; default 64 on cpu, ubatch_size on cuda. */
  prefillChunk?: number;
  /** At most one token message per task per this many ms (the first token never waits); 0: every step. */
  streamIntervalMs?: number;
  /** Layers on GPU; -1 (all) by default on cuda, always 0 on cpu; auto: as many as fit free VRAM. */
  gpuLayers?: number | "auto";
  /** NVML indexes of the pool's GPUs (PCI bus order; CUDA_DEVICE_ORDER=PCI_BUS_ID keeps CUDA's equal). */
  devices?: number[];
  /** Proportion per entry of `devices` (or per GPU 0..n-1 without `devices`). */
  tensorSplit?: number[];
  /** Default layer; over several GPUs without tensorSplit, split by total memory (gpu-split.ts). */
  splitMode?: SplitMode;
  /** NVML index of the main GPU, one of `devices`. */
  mainGpu?: number;
  flashAttn?: FlashAttn;
  kvType?: KvType;
  /** A Jinja chat template file used instead of the model's template. */
  chatTemplateFile?: string;
  /** Host-RAM prompt cache bound in MiB; 0 (the engine's default) turns it off. */
  promptCacheMb?: number;
  /** Serve embeddings instead of generation, pooled this way (`auto` by default). */
  embeddings?: boolean;
  pooling?: Pooling;
  /** DESIGN decision 1: required on every call when set, and sent to the control plane. */
  authToken?: string;
  /** With a token: loopback calls may omit it. */
  authOptional?: boolean;
  log?: Logger;
  registrationBackoff?: { initialMs: number; maxMs: number };
  /** Mutual TLS: serve with this certificate to clients the CA signed, and present it to the control plane. */
  tls?: TlsFiles;
}

export interface RunningWorker {
  /** The bound host:port. */
  address: string;
  service: WorkerService;
  /** Stops heartbeats and new calls, ends in-flight sequences as cancelled, frees the model. */
  shutdown(): Promise<void>;
}

const SHUTDOWN_GRACE_MS = 5000;

/**
 * A CPU pool's engine delivers a task's tokens at most every 25 ms: on a CPU box each delivery
 * wakes the worker's, serve's and the client's threads, which take cores from llama.cpp's
 * (bench/README.md, "Stream pacing"). Unmeasured on GPUs: 0 there.
 */
const CPU_STREAM_INTERVAL_MS = 25;

/** Logs are JSON lines on stderr: stdout belongs to whoever runs the command. */
export function workerLogger(poolId: string, level: LogLevel = "info"): Logger {
  return createLogger({
    name: "worker",
    level,
    destination: pino.destination({ fd: 2, sync: true }),
  }).child({ pool_id: poolId });
}

export function engineOptions(
  options: WorkerOptions,
  gpu: GpuEngineOptions,
): Omit<EngineOptions, "modelPath"> {
  const base = {
    slots: options.slots,
    contextSize: options.contextSize,
    threads: options.threads,
    batchSize: options.batchSize,
    ubatchSize: options.ubatchSize,
    prefillChunk: options.prefillChunk,
    streamIntervalMs:
      options.streamIntervalMs ?? (options.backend === "cpu" ? CPU_STREAM_INTERVAL_MS : 0),
    kvType: options.kvType,
    chatTemplate: options.chatTemplateFile && readFileSync(options.chatTemplateFile, "utf8"),
    promptCacheMb: options.promptCacheMb,
    embeddings: options.embeddings,
    pooling: options.pooling,
    flashAttn: options.flashAttn,
  };
  // No device at all: on a CUDA build llama.cpp would otherwise still run big batches on a GPU.
  if (options.backend === "cpu") return { ...base, gpuLayers: 0, devices: [] };
  // auto: the VRAM check (gpu-fit.ts) picks the count before each load.
  const gpuLayers = options.gpuLayers === "auto" ? -1 : (options.gpuLayers ?? -1);
  return { ...base, gpuLayers, ...gpu };
}

export async function runWorker(options: WorkerOptions): Promise<RunningWorker> {
  const log = options.log ?? workerLogger(options.poolId);
  const listen = options.listen ?? "127.0.0.1:0";
  checkAuth(options, listen);
  const tls = options.tls && readTls(options.tls, TLS_FLAGS);
  const gpu =
    options.backend === "cuda" ? await gpuEngineOptions(options.poolId, options, log) : {};
  const loadOptions = engineOptions(options, gpu);
  const host = new ModelHost(fittedLoader(options, loadOptions, log));
  const first = await host.switchTo(options.model, options.modelFile, options.handoff);
  log.info(
    { model_ref: options.model, model_digest: first.engine.info.digest, backend: options.backend },
    "model loaded",
  );
  const service = new WorkerService({
    poolId: options.poolId,
    backend: options.backend,
    host,
    log,
    deviceIndexes: options.devices,
  });
  const server = new Server({ interceptors: interceptors(options, listen) });
  server.addService(WorkerServiceDefinition, service.handlers());
  const port = await bind(server, listen, tls).catch(async (error: unknown) => {
    await host.close();
    throw error;
  });
  const address = `${splitHostPort(listen).host}:${port}`;
  log.info({ event: "listening", address }, "worker serving");
  // A parent that already left makes the send fail (EPIPE); the callback keeps that from crashing us.
  process.send?.({ event: "listening", address }, undefined, {}, () => undefined);
  const advertise = advertised(options, splitHostPort(listen).host, port);
  const registration = register(options, advertise, service, log, tls);
  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    stopping ??= stop(server, host, registration);
    return stopping;
  };
  return { address, service, shutdown };
}

function register(
  options: WorkerOptions,
  address: string,
  service: WorkerService,
  log: Logger,
  tls: TlsMaterial | undefined,
): Registration {
  return startRegistration({
    control: options.control,
    poolId: options.poolId,
    address,
    description: () => service.description(),
    telemetry: () => service.telemetry(),
    onRegistered: (workerId) => {
      service.workerId = workerId;
    },
    log,
    authToken: options.authToken,
    backoff: options.registrationBackoff,
    tls,
  });
}

/** Order matters: no new calls, then end the in-flight ones by freeing the model, then close. */
async function stop(server: Server, host: ModelHost, registration: Registration): Promise<void> {
  registration.stop();
  const drained = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  await host.close();
  const grace = new Promise<"timeout">((resolve) =>
    setTimeout(resolve, SHUTDOWN_GRACE_MS, "timeout").unref(),
  );
  if ((await Promise.race([drained, grace])) === "timeout") server.forceShutdown();
}
