// The adapter worker process: watch the pool's external engine, serve the Worker service over it,
// register with the control plane like a native worker, shut down cleanly.
import { Server } from "@grpc/grpc-js";
import { OrchError } from "../common/errors.js";
import { readTls } from "../common/tls.js";
import { WorkerService as WorkerServiceDefinition } from "../gen/llama_orch/v1/worker.js";
import { startRegistration } from "../worker/registration.js";
import {
  advertised,
  bind,
  checkAuth,
  interceptors,
  splitHostPort,
  TLS_FLAGS,
} from "../worker/worker-listen.js";
import { type RunningWorker, type WorkerOptions, workerLogger } from "../worker/worker-main.js";
import { AdapterService } from "./adapter-service.js";
import { createAdapter } from "./adapters.js";
import { EngineWatch } from "./engine-watch.js";
import type { AdapterEngine } from "./types.js";

export interface AdapterWorkerOptions extends WorkerOptions {
  engine: AdapterEngine;
  /** Base URL of the engine's HTTP API. */
  endpoint: string;
  /** The name the engine serves the model under; default `model`. */
  servedModel?: string;
  /** The engine's Bearer token, read from the environment by the caller. */
  engineToken?: string;
  metricsEndpoint?: string;
  /** How often the engine's health is polled. Default 1000 ms. */
  healthIntervalMs?: number;
}

const DEFAULT_SLOTS = 4;
const DEFAULT_CONTEXT = 4096;

function checkEndpoint(endpoint: string, poolId: string): void {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new OrchError(
      "INVALID_PARAMS",
      `pool ${poolId}: endpoint "${endpoint}" is not a URL; give e.g. http://127.0.0.1:8000`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new OrchError(
      "INVALID_PARAMS",
      `pool ${poolId}: endpoint "${endpoint}" must be http:// or https://`,
    );
  }
}

export type RunningAdapterWorker = Pick<RunningWorker, "address" | "shutdown">;

export async function runAdapterWorker(
  options: AdapterWorkerOptions,
): Promise<RunningAdapterWorker> {
  const log = (options.log ?? workerLogger(options.poolId)).child({ engine: options.engine });
  const listen = options.listen ?? "127.0.0.1:0";
  checkAuth(options, listen);
  checkEndpoint(options.endpoint, options.poolId);
  const tls = options.tls && readTls(options.tls, TLS_FLAGS);
  const servedModel = options.servedModel ?? options.model;
  const adapter = createAdapter(options.engine, {
    endpoint: options.endpoint,
    metricsUrl: options.metricsEndpoint,
    token: options.engineToken,
    servedModel,
  });
  const watch = new EngineWatch({
    poolId: options.poolId,
    adapter,
    modelRef: options.model,
    servedModel,
    slots: options.slots ?? DEFAULT_SLOTS,
    contextSize: options.contextSize ?? DEFAULT_CONTEXT,
    backend: options.backend,
    deviceIndexes: options.devices,
    intervalMs: options.healthIntervalMs ?? 1000,
    log,
  });
  // An engine that is down at start is not fatal: the pool registers unready and says why.
  await watch.start();
  const service = new AdapterService({ poolId: options.poolId, adapter, watch, log });
  const server = new Server({ interceptors: interceptors(options, listen) });
  server.addService(WorkerServiceDefinition, service.handlers());
  const port = await bind(server, listen, tls).catch((error: unknown) => {
    watch.stop();
    throw error;
  });
  const host = splitHostPort(listen).host;
  const address = `${host}:${port}`;
  log.info({ event: "listening", address, endpoint: options.endpoint }, "adapter worker serving");
  process.send?.({ event: "listening", address }, undefined, {}, () => undefined);
  const registration = startRegistration({
    control: options.control,
    poolId: options.poolId,
    address: advertised(options, host, port),
    description: () => watch.description(),
    telemetry: () => watch.telemetry(),
    onRegistered: (workerId) => {
      watch.workerId = workerId;
    },
    log,
    authToken: options.authToken,
    backoff: options.registrationBackoff,
    tls,
  });
  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    stopping ??= new Promise<void>((resolve) => {
      registration.stop();
      watch.stop();
      // In-flight streams are cut: their upstream requests close, the engine frees them.
      server.forceShutdown();
      resolve();
    });
    return stopping;
  };
  return { address, shutdown };
}
