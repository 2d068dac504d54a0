// Model pulls in flight: one download per ref however many callers ask, events fanned out to
// every subscriber (late ones get the story so far), the result registered in the catalog.

import { randomUUID } from "node:crypto";
import { OrchError } from "../common/errors.js";
import type { Logger } from "../common/logger.js";
import { parseModelRef } from "../models/model-ref-kind.js";
import { type FetchContext, fetchModel } from "../models/pull/fetch-model.js";
import { isTerminal, type PullEvent } from "../models/pull/pull-events.js";
import type { CatalogRecord } from "../store/catalog-store.js";
import type { ModelCatalog } from "./model-catalog.js";
import { registerFetched } from "./model-register.js";
import type { ModelTrust } from "./model-trust.js";

type Listener = (event: PullEvent) => void;

export class Pull {
  readonly id = randomUUID();
  readonly ref: string;
  readonly aliases = new Set<string>();
  /** Every event but superseded `downloading` ones: what a late subscriber is told first. */
  readonly #story: PullEvent[] = [];
  readonly #listeners = new Set<Listener>();

  constructor(ref: string) {
    this.ref = ref;
  }

  get finished(): boolean {
    const last = this.#story.at(-1);
    return last !== undefined && isTerminal(last);
  }

  /** Replays the story so far, then follows; the returned function unsubscribes. */
  subscribe(listener: Listener): () => void {
    for (const event of this.#story) listener(event);
    if (this.finished) return () => undefined;
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: PullEvent): void {
    if (event.type === "downloading" && this.#story.at(-1)?.type === "downloading")
      this.#story.pop();
    this.#story.push(event);
    for (const listener of this.#listeners) listener(event);
    if (isTerminal(event)) this.#listeners.clear();
  }
}

export interface PullDeps {
  catalog: ModelCatalog;
  fetch: FetchContext;
  /** Append-only provenance JSONL (seed MODP): one line per registered pull. */
  provenancePath: string;
  log: Logger;
  /** Refuses sources outside `catalog.allow` before anything is fetched. */
  trust?: Pick<ModelTrust, "checkSource">;
  /** After a pull is registered (cache collection); a failure is logged, the pull stands. */
  pulled?: (record: CatalogRecord) => Promise<void>;
}

export class ModelPulls {
  readonly #deps: PullDeps;
  readonly #running = new Map<string, Pull>();

  constructor(deps: PullDeps) {
    this.#deps = deps;
  }

  /** Starts pulling `ref`, or joins the pull of it already running. INVALID_PARAMS for a bad ref. */
  start(ref: string, alias?: string): Pull {
    const key = ref.trim();
    const kind = parseModelRef(key);
    if (kind.kind === "catalog") {
      throw new OrchError(
        "INVALID_PARAMS",
        `"${ref}" is a catalog name, not a source to pull from`,
      );
    }
    if (alias !== undefined && parseModelRef(alias).kind !== "catalog") {
      throw new OrchError(
        "INVALID_PARAMS",
        `alias "${alias}" must be a plain name (letters, digits, -_.), not a ref`,
      );
    }
    this.#deps.trust?.checkSource(key);
    let pull = this.#running.get(key);
    if (!pull) {
      pull = new Pull(key);
      this.#running.set(key, pull);
      void this.#run(pull);
    }
    if (alias) pull.aliases.add(alias);
    return pull;
  }

  async #run(pull: Pull): Promise<void> {
    const log = this.#deps.log.child({ pull_id: pull.id, model_ref: pull.ref });
    try {
      const record = await this.#pull(pull);
      pull.emit({ type: "done", id: record.id, digest: record.digest });
      log.info({ digest: record.digest, verified: record.verification === "PASS" }, "model pulled");
    } catch (error) {
      // Anything not typed is a fault of ours (disk, bug): INTERNAL, with its message for the log.
      const orch =
        error instanceof OrchError
          ? error
          : new OrchError("INTERNAL", `pull failed: ${String(error)}`);
      log.warn({ code: orch.code, error: orch.message }, "model pull failed");
      pull.emit({
        type: "error",
        code: orch.code,
        message: orch.message,
        retriable: orch.retriable,
      });
    } finally {
      this.#running.delete(pull.ref);
    }
  }

  async #pull(pull: Pull): Promise<CatalogRecord> {
    const fetched = await fetchModel(pull.ref, this.#deps.fetch, (e) => pull.emit(e));
    const record = await registerFetched(this.#deps, pull.ref, fetched, [...pull.aliases]);
    await this.#deps.pulled?.(record).catch((error: unknown) => {
      this.#deps.log.warn({ error: String(error) }, "after-pull cache collection failed");
    });
    return record;
  }
}
