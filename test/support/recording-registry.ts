// A WorkerRegistry gRPC server for tests: records registrations and heartbeats, answers as told.
import { EventEmitter, once } from "node:events";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import {
  type HeartbeatRequest,
  type RegisterRequest,
  type WorkerRegistryServer,
  WorkerRegistryService,
} from "../../src/gen/llama_orch/v1/worker.js";

export interface Registered {
  request: RegisterRequest;
  workerId: string;
  /** The `authorization` metadata the worker sent, if any. */
  authorization: string | undefined;
}

export class RecordingRegistry {
  readonly registrations: Registered[] = [];
  readonly heartbeats: HeartbeatRequest[] = [];
  /** What heartbeats are answered with; false makes the worker register again. */
  known = true;
  address = "";
  private readonly server = new Server();
  private readonly events = new EventEmitter();
  private readonly intervalMs: number;

  constructor(heartbeatIntervalMs: number) {
    this.intervalMs = heartbeatIntervalMs;
    const handlers: WorkerRegistryServer = {
      register: (call, callback) => {
        const workerId = `w-${this.registrations.length + 1}`;
        const [authorization] = call.metadata.get("authorization");
        this.registrations.push({
          request: call.request,
          workerId,
          authorization: typeof authorization === "string" ? authorization : undefined,
        });
        callback(null, { workerId, heartbeatIntervalMs: this.intervalMs });
        this.events.emit("change");
      },
      heartbeat: (call, callback) => {
        this.heartbeats.push(call.request);
        callback(null, { known: this.known });
        this.events.emit("change");
      },
    };
    this.server.addService(WorkerRegistryService, handlers);
  }

  async start(): Promise<this> {
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    this.address = `127.0.0.1:${port}`;
    return this;
  }

  /** Resolves once `predicate` holds after some registration or heartbeat. */
  async waitFor(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const signal = AbortSignal.timeout(timeoutMs);
    while (!predicate()) {
      await once(this.events, "change", { signal }).catch(() => {
        throw new Error(`registry: timed out waiting for ${what}`);
      });
    }
  }

  lastHeartbeat(poolId: string): HeartbeatRequest | undefined {
    return this.heartbeats.filter((beat) => beat.poolId === poolId).at(-1);
  }

  registrationsOf(poolId: string): Registered[] {
    return this.registrations.filter((entry) => entry.request.poolId === poolId);
  }

  close(): void {
    this.server.forceShutdown();
  }
}
