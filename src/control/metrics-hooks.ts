// Feeds the control plane's metrics from the hub's events, the orchestrator's admissions and the
// catalog's verifications, without any of them knowing about Prometheus.
import type { TaskEvent } from "../gen/llama_orch/v1/orchestrator.js";
import type { CatalogRecord, CatalogStore } from "../store/catalog-store.js";
import type { ControlMetrics } from "./metrics.js";
import { ModelCatalog } from "./model-catalog.js";
import { Orchestrator, type OrchestratorDeps } from "./orchestrator.js";
import { type EndedListener, type TaskEntry, TaskHub } from "./task-hub.js";
import type { TaskInput } from "./types.js";

/** The hub, reporting each event it accepted to the metrics. */
export class MeteredTaskHub extends TaskHub {
  private readonly metrics: ControlMetrics;

  constructor(metrics: ControlMetrics, keepEnded?: number, onEnded?: EndedListener) {
    super(keepEnded, onEnded);
    this.metrics = metrics;
  }

  override publish(entry: TaskEntry, event: TaskEvent, nowMs: number): void {
    const before = entry.events.length;
    super.publish(entry, event, nowMs);
    if (entry.events.length > before) this.metrics.taskEvent(entry, event, nowMs);
  }
}

/** The orchestrator, counting refused admissions. */
export class MeteredOrchestrator extends Orchestrator {
  private readonly metrics: ControlMetrics;

  constructor(deps: OrchestratorDeps, metrics: ControlMetrics) {
    super({ ...deps, placed: (decision) => metrics.placement(decision) });
    this.metrics = metrics;
    metrics.watchQueues((poolId) => this.queueCounts(poolId));
  }

  override async admit(input: TaskInput, correlationId: string): Promise<TaskEntry> {
    try {
      return await super.admit(input, correlationId);
    } catch (error) {
      this.metrics.admissionFailed(error);
      throw error;
    }
  }
}

/** The model catalog, reporting each verification's result. */
export class MeteredCatalog extends ModelCatalog {
  private readonly onVerified: (record: CatalogRecord) => void;

  constructor(
    store: CatalogStore,
    modelDirs: readonly string[],
    onVerified: (record: CatalogRecord) => void,
  ) {
    super(store, modelDirs);
    this.onVerified = onVerified;
  }

  override async verify(id: string, nowMs: number): Promise<CatalogRecord> {
    const record = await super.verify(id, nowMs);
    this.onVerified(record);
    return record;
  }
}
