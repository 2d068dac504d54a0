// The engine new requests go to, and the atomic switch to another model without dropping work.
import { OrchError } from "../common/errors.js";
import type { Engine } from "../engine/engine.js";
import { handoffModelPath } from "../models/model-handoff.js";
import { resolveModelRef } from "../models/model-ref.js";
import { WarmSessions } from "./warm-sessions.js";

export interface LoadedModel {
  readonly engine: Engine;
  readonly modelRef: string;
  readonly warm: WarmSessions;
}

/** A loaded model plus the count of requests still reading from it. */
interface Generation extends LoadedModel {
  inFlight: number;
  retired: boolean;
}

/** One request's hold on a model: the model stays loaded until every lease is released. */
export interface Lease {
  readonly model: LoadedModel;
  release(): void;
}

export type EngineLoader = (modelPath: string) => Promise<Engine>;

export class ModelHost {
  private current: Generation | undefined;
  /** Every generation not yet disposed: the current one and retired ones still serving. */
  private readonly live = new Set<Generation>();
  private readonly disposals = new Set<Promise<void>>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly load: EngineLoader;
  /** The last failed load, for Health: empty while the latest load succeeded. */
  lastError = "";

  constructor(load: EngineLoader) {
    this.load = load;
  }

  get ready(): boolean {
    return this.current !== undefined && !this.closed;
  }

  /** The model new requests get; POOL_UNREADY before the first load and once shutdown began. */
  get model(): LoadedModel {
    if (this.closed || this.current === undefined) {
      throw new OrchError("POOL_UNREADY", "this worker is starting or shutting down: retry later");
    }
    return this.current;
  }

  acquire(): Lease {
    const generation = this.model as Generation;
    generation.inFlight++;
    let released = false;
    return {
      model: generation,
      release: () => {
        if (released) return;
        released = true;
        generation.inFlight--;
        if (generation.retired && generation.inFlight === 0) this.dispose(generation);
      },
    };
  }

  /**
   * Loads `modelRef` (from the file a handoff names, after checking its digest, or from
   * `modelPath` when the control plane resolved it) and makes it the model for new requests once
   * it is ready; the previous model finishes its in-flight sequences and is then disposed. Loads
   * run one at a time, in call order. A failed load rejects with its OrchError and leaves the
   * current model serving.
   */
  switchTo(modelRef: string, modelPath?: string, handoffPath?: string): Promise<LoadedModel> {
    const next = this.queue.then(() => this.loadAndSwap(modelRef, modelPath, handoffPath));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Disposes every model; their in-flight sequences end as cancelled. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    this.current = undefined;
    for (const generation of this.live) this.dispose(generation);
    await Promise.all(this.disposals);
  }

  private async loadAndSwap(
    modelRef: string,
    modelPath?: string,
    handoffPath?: string,
  ): Promise<LoadedModel> {
    let engine: Engine;
    try {
      if (this.closed) throw new OrchError("POOL_UNREADY", "this worker is shutting down");
      const path = handoffPath
        ? await handoffModelPath(handoffPath)
        : modelPath || (await resolveModelRef(modelRef));
      engine = await this.load(path);
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      throw error;
    }
    const generation: Generation = {
      engine,
      modelRef,
      warm: new WarmSessions(engine.info.slots),
      inFlight: 0,
      retired: false,
    };
    const previous = this.current;
    this.current = generation;
    this.live.add(generation);
    this.lastError = "";
    if (previous) {
      previous.retired = true;
      if (previous.inFlight === 0) this.dispose(previous);
    }
    return generation;
  }

  private dispose(generation: Generation): void {
    if (!this.live.delete(generation)) return;
    generation.retired = true;
    // Engine.dispose only fails if the native loop is already gone, and then there is nothing to free.
    const done = generation.engine
      .dispose()
      .catch(() => undefined)
      .finally(() => this.disposals.delete(done));
    this.disposals.add(done);
  }
}
