// Registers this worker with the control plane, then heartbeats its telemetry until stopped.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Metadata } from "@grpc/grpc-js";
import { bearerMetadata } from "../common/grpc-auth.js";
import type { Logger } from "../common/logger.js";
import { grpcClientCredentials, type TlsMaterial } from "../common/tls.js";
import {
  type HeartbeatResponse,
  type RegisterResponse,
  type Telemetry,
  type WorkerDescription,
  WorkerRegistryClient,
} from "../gen/llama_orch/v1/worker.js";

export interface RegistrationOptions {
  /** host:port of the control plane's WorkerRegistry. */
  control: string;
  poolId: string;
  /** host:port of this worker's Worker service, as the control plane should dial it. */
  address: string;
  description: () => WorkerDescription;
  telemetry: () => Promise<Telemetry>;
  onRegistered?: (workerId: string) => void;
  log: Logger;
  authToken?: string;
  /** Retry delays while the control plane is unreachable: doubling from initial up to max. */
  backoff?: { initialMs: number; maxMs: number };
  callTimeoutMs?: number;
  /** Mutual TLS to the control plane; plaintext without. */
  tls?: TlsMaterial;
}

export interface Registration {
  /** Stops heartbeating; an in-flight call is abandoned. */
  stop(): void;
}

/** Used when the control plane answers without an interval. */
const DEFAULT_INTERVAL_MS = 2000;
/** A misconfigured control plane must not turn heartbeats into a busy loop. */
const MIN_INTERVAL_MS = 50;

class RegistrationLoop implements Registration {
  private readonly options: RegistrationOptions;
  private readonly client: WorkerRegistryClient;
  private readonly metadata: Metadata;
  private readonly abort = new AbortController();
  private workerId = "";
  private intervalMs = DEFAULT_INTERVAL_MS;
  private failing = false;
  /** This process's identity and beat counter: a restart is a new instance starting again at 1. */
  private readonly instanceId = randomUUID();
  private sequence = 0;

  constructor(options: RegistrationOptions) {
    this.options = options;
    const channel = grpcClientCredentials(options.tls, options.control);
    this.client = new WorkerRegistryClient(options.control, channel);
    this.metadata = bearerMetadata(options.authToken);
  }

  async run(): Promise<void> {
    const { initialMs, maxMs } = this.options.backoff ?? { initialMs: 250, maxMs: 10_000 };
    let backoffMs = initialMs;
    while (!this.abort.signal.aborted) {
      try {
        await this.beat();
        this.recovered();
        backoffMs = initialMs;
        await this.pause(this.intervalMs);
      } catch (error) {
        if (this.abort.signal.aborted) return;
        this.failed(error, backoffMs);
        await this.pause(backoffMs);
        backoffMs = Math.min(backoffMs * 2, maxMs);
      }
    }
  }

  stop(): void {
    this.abort.abort();
    this.client.close();
  }

  private async beat(): Promise<void> {
    if (this.workerId !== "") {
      const response = await this.heartbeat();
      if (response.known) return;
      // The control plane restarted or expired us; it will not know us until we register again.
      this.options.log.info(
        { worker_id: this.workerId },
        "control plane does not know this worker",
      );
      this.workerId = "";
    }
    const response = await this.register();
    this.workerId = response.workerId;
    this.intervalMs = Math.max(
      MIN_INTERVAL_MS,
      response.heartbeatIntervalMs || DEFAULT_INTERVAL_MS,
    );
    this.options.onRegistered?.(response.workerId);
    this.options.log.info(
      { worker_id: response.workerId, control: this.options.control },
      "registered with the control plane",
    );
  }

  private async register(): Promise<RegisterResponse> {
    const { poolId, address } = this.options;
    const request = {
      poolId,
      address,
      description: this.options.description(),
      telemetry: await this.options.telemetry(),
      ...this.beatId(),
    };
    return new Promise((resolve, reject) => {
      this.client.register(request, this.metadata, this.callOptions(), (error, response) =>
        error ? reject(error) : resolve(response),
      );
    });
  }

  private async heartbeat(): Promise<HeartbeatResponse> {
    const request = {
      workerId: this.workerId,
      poolId: this.options.poolId,
      telemetry: await this.options.telemetry(),
      ...this.beatId(),
    };
    return new Promise((resolve, reject) => {
      this.client.heartbeat(request, this.metadata, this.callOptions(), (error, response) =>
        error ? reject(error) : resolve(response),
      );
    });
  }

  private beatId(): { instanceId: string; sequence: number } {
    this.sequence += 1;
    return { instanceId: this.instanceId, sequence: this.sequence };
  }

  private callOptions() {
    return { deadline: Date.now() + (this.options.callTimeoutMs ?? 5000) };
  }

  /** Logged once per outage, not once per retry, so a long outage does not flood the log. */
  private failed(error: unknown, retryInMs: number): void {
    if (this.failing) return;
    this.failing = true;
    // Only the message: a gRPC error carries its metadata, which does not serialise.
    const message = error instanceof Error ? error.message : String(error);
    this.options.log.warn(
      { error: message, control: this.options.control, retry_in_ms: retryInMs },
      "control plane unreachable; serving on and retrying with backoff",
    );
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.options.log.info("control plane reachable again");
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.abort.signal }).catch(() => undefined);
  }
}

/** Starts registering in the background; the worker serves whether or not the control plane answers. */
export function startRegistration(options: RegistrationOptions): Registration {
  const loop = new RegistrationLoop(options);
  void loop.run();
  return loop;
}
