// Watches an adapter's engine: polls its health, learns what it serves, reads its load; the source
// of the adapter worker's readiness, Describe answer and heartbeat telemetry.
import { OrchError } from "../common/errors.js";
import type { Logger } from "../common/logger.js";
import { probeGpus } from "../engine/nvml.js";
import type { Telemetry, WorkerDescription } from "../gen/llama_orch/v1/worker.js";
import { toGpuDevice } from "../worker/convert-describe.js";
import type { EngineAdapter, EngineFacts, EngineLoad } from "./types.js";

export interface EngineWatchOptions {
  poolId: string;
  adapter: EngineAdapter;
  /** The catalog name tasks use for this model. */
  modelRef: string;
  servedModel: string;
  slots: number;
  /** Used when the engine does not report its context. */
  contextSize: number;
  backend: string;
  /** NVML indexes of the engine's GPUs, when it runs on this host; reported for placement. */
  deviceIndexes?: readonly number[];
  intervalMs: number;
  log: Logger;
}

const NO_LOAD: EngineLoad = { running: 0, waiting: 0 };

export class EngineWatch {
  workerId = "";
  ready = false;
  reason = "engine not checked yet";
  private facts: EngineFacts | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private loadFailing = false;
  private readonly options: EngineWatchOptions;

  constructor(options: EngineWatchOptions) {
    this.options = options;
  }

  /** Checks once (so the first registration says the truth), then every intervalMs. */
  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), this.options.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** A request just failed at the engine: unready now, the next poll says whether it is back. */
  suspect(reason: string): void {
    this.unready(reason);
  }

  check(): Promise<void> {
    this.checking ??= this.probe().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  description(): WorkerDescription {
    const o = this.options;
    const contextSize = this.facts?.contextSize ?? o.contextSize;
    return {
      workerId: this.workerId,
      poolId: o.poolId,
      model: {
        modelRef: o.modelRef,
        architecture: "",
        name: o.servedModel,
        parameterCount: this.facts?.parameterCount ?? 0,
        fileSizeBytes: this.facts?.fileSizeBytes ?? 0,
        trainedContext: contextSize,
        vocabSize: this.facts?.vocabSize ?? 0,
        fileType: "",
        hasChatTemplate: o.adapter.applyChatTemplate !== undefined,
        digest: "",
        contextSize,
        kvBytesPerToken: 0,
        embeddingLength: 0,
        pooling: "",
      },
      engine: o.adapter.engine,
      engineVersion: this.facts?.version ?? "",
      slots: o.slots,
      backend: o.backend,
      features: { ...o.adapter.features },
    };
  }

  /** The engine's own load in the fields the native worker reports, so placement compares both. */
  async telemetry(): Promise<Telemetry> {
    const load = this.ready ? await this.load() : NO_LOAD;
    const o = this.options;
    const cells = (this.facts?.contextSize ?? o.contextSize) * o.slots;
    const devices = await this.devices();
    return {
      slotsTotal: o.slots,
      slotsBusy: load.running,
      pending: load.waiting,
      kvCellsUsed: load.kvUsage === undefined ? 0 : Math.round(load.kvUsage * cells),
      kvCellsTotal: load.kvUsage === undefined ? 0 : cells,
      prefillTokensPerSecond: 0,
      decodeTokensPerSecond: load.decodeTokensPerSecond ?? 0,
      devices,
      gpuReason: devices.length === 0 ? "the engine's GPUs are not on this host's NVML" : "",
      warmSessions: o.adapter.warmSessions?.() ?? [],
      unreadyReason: this.ready ? "" : this.reason,
      // The engine keeps its own prefix cache; it reports none of it in these terms.
      kvCellsCached: 0,
      cacheEvictions: 0,
      cacheRamBytes: 0,
    };
  }

  private async probe(): Promise<void> {
    try {
      await this.options.adapter.health();
      this.facts ??= await this.options.adapter.facts();
    } catch (error) {
      this.unready(error instanceof OrchError ? error.message : String(error));
      return;
    }
    if (this.ready) return;
    this.ready = true;
    this.reason = "";
    this.options.log.info(
      { engine: this.options.adapter.engine, engine_version: this.facts.version },
      "engine ready",
    );
  }

  private unready(reason: string): void {
    if (this.ready || this.reason !== reason) {
      this.options.log.warn({ engine: this.options.adapter.engine, reason }, "engine unready");
    }
    this.ready = false;
    this.reason = reason;
  }

  /** Metrics are advice for placement: failing to read them does not make the engine unready. */
  private async load(): Promise<EngineLoad> {
    try {
      const load = await this.options.adapter.load();
      this.loadFailing = false;
      return load;
    } catch (error) {
      if (!this.loadFailing) {
        const message = error instanceof Error ? error.message : String(error);
        this.options.log.warn({ error: message }, "engine metrics unreadable; reporting no load");
      }
      this.loadFailing = true;
      return NO_LOAD;
    }
  }

  private async devices() {
    const wanted = this.options.deviceIndexes;
    if (wanted === undefined || wanted.length === 0) return [];
    const probe = await probeGpus();
    return probe.devices.filter((d) => wanted.includes(d.index)).map(toGpuDevice);
  }
}
