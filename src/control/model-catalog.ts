// The model catalog's rules: resolve a ref to a file, hash it, verify digests, change lifecycle.
import { stat } from "node:fs/promises";
import { OrchError } from "../common/errors.js";
import type { FetchedModel } from "../models/fetched-model.js";
import { hashFile, modelDigest } from "../models/model-digest.js";
import { confineModelPath } from "../models/model-dirs.js";
import { resolveModelRef } from "../models/model-ref.js";
import { parseModelRef } from "../models/model-ref-kind.js";
import type { CatalogRecord, CatalogStore, ModelState } from "../store/catalog-store.js";

/** A model a pull brought onto this disk, with what its file says about itself. */
export type PulledModel = FetchedModel & { metadata: Record<string, string> };

export interface CreateModel {
  id?: string;
  modelRef: string;
  /** Expected `sha256:<hex>`; a mismatch refuses the entry. */
  digest?: string;
  metadata?: Record<string, string>;
}

/** `sha256:<hex>` in lower case, or an INVALID_PARAMS error. */
export function parseDigest(digest: string): string {
  const value = digest.trim().toLowerCase();
  if (!/^sha256:[0-9a-f]{64}$/.test(value)) {
    throw new OrchError("INVALID_PARAMS", `digest "${digest}" is not sha256:<64 hex digits>`);
  }
  return value;
}

async function localFile(
  modelRef: string,
  modelDirs: readonly string[],
): Promise<{ path: string; size: number }> {
  const ref = parseModelRef(modelRef);
  if (ref.kind !== "builtin" && ref.kind !== "path") {
    throw new OrchError(
      "INVALID_PARAMS",
      `model ref "${modelRef}" needs a download; pull it with POST /v1/models/pull (or \`llama-orch models pull\`), which creates the catalog entry`,
    );
  }
  const path =
    ref.kind === "builtin"
      ? await resolveModelRef(ref.ref)
      : await confineModelPath(ref.path, modelDirs);
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) {
    throw new OrchError("MODEL_NOT_FOUND", `model ref "${modelRef}" names ${path}: no such file`);
  }
  return { path, size: info.size };
}

/** The grain of last-use times: finer than a cache eviction needs, coarse enough to write rarely. */
const TOUCH_EVERY_MS = 60_000;

export class ModelCatalog {
  readonly #store: CatalogStore;
  /** Read-modify-write operations run one at a time, so two creates of one id cannot both win. */
  #serial: Promise<unknown> = Promise.resolve();

  readonly #modelDirs: readonly string[];

  /** `modelDirs`: the only folders a local path ref may name (see allowedModelDirs). */
  constructor(store: CatalogStore, modelDirs: readonly string[]) {
    this.#store = store;
    this.#modelDirs = modelDirs;
  }

  create(request: CreateModel, nowMs: number): Promise<CatalogRecord> {
    return this.#run(() => this.#create(request, nowMs));
  }

  async get(id: string): Promise<CatalogRecord> {
    const record = await this.#store.get(id);
    if (!record) {
      throw new OrchError(
        "CATALOG_ENTRY_NOT_FOUND",
        `no catalog entry "${id}"; ListModels has them`,
      );
    }
    return record;
  }

  /** The entry a name (id or alias) means, if any. */
  async lookup(name: string): Promise<CatalogRecord | undefined> {
    const all = await this.#store.list();
    return all.find((r) => r.id === name) ?? all.find((r) => r.aliases?.includes(name));
  }

  list(): Promise<CatalogRecord[]> {
    return this.#store.list();
  }

  /**
   * Catalog ids retired: admission refuses them with MODEL_DEPRECATED. Only the ids: an entry is
   * one name for its model ref, and retiring that name must not retire the ref for other names.
   */
  async retiredRefs(): Promise<Set<string>> {
    const retired = (await this.#store.list()).filter((r) => r.state === "RETIRED");
    return new Set(retired.map((r) => r.id));
  }

  delete(id: string): Promise<boolean> {
    return this.#run(() => this.#store.delete(id));
  }

  /** Hashes the file afresh; PASS/FAIL against the expected digest, WARN when none was given. */
  verify(id: string, nowMs: number): Promise<CatalogRecord> {
    return this.#run(async () => {
      const record = await this.get(id);
      const { verificationDetail: _, ...rest } = record;
      const verified = { ...rest, ...(await check(record)), lastVerifiedMs: nowMs };
      await this.#store.put(verified);
      return verified;
    });
  }

  /**
   * Records a pulled model under its ref as id (a re-pull replaces the entry, keeping its
   * aliases and state); an alias another entry holds is CATALOG_ENTRY_EXISTS.
   */
  registerPulled(
    pulled: PulledModel,
    aliases: readonly string[],
    nowMs: number,
  ): Promise<CatalogRecord> {
    return this.#run(async () => {
      const id = pulled.source.ref.trim();
      const all = await this.#store.list();
      const taken = all.find(
        (r) => r.id !== id && aliases.some((a) => a === r.id || r.aliases?.includes(a)),
      );
      if (taken) {
        throw new OrchError(
          "CATALOG_ENTRY_EXISTS",
          `alias ${aliases.join(", ")} already names catalog entry "${taken.id}"; choose another alias`,
        );
      }
      const previous = all.find((r) => r.id === id);
      const digest = `sha256:${pulled.sha256}`;
      const record: CatalogRecord = {
        id,
        aliases: [...new Set([...(previous?.aliases ?? []), ...aliases])],
        modelRef: id,
        localPath: pulled.path,
        digest,
        ...(pulled.verified ? { expectedDigest: digest, lastVerifiedMs: nowMs } : {}),
        sizeBytes: pulled.size,
        state: previous?.state ?? "ACTIVE",
        createdMs: previous?.createdMs ?? nowMs,
        ...(previous?.pinned ? { pinned: true } : {}),
        verification: pulled.verified ? "PASS" : "UNVERIFIED",
        metadata: {
          ...pulled.metadata,
          source_url: pulled.source.url,
          ...(pulled.source.commit ? { commit: pulled.source.commit } : {}),
        },
      };
      await this.#store.put(record);
      return record;
    });
  }

  setPinned(id: string, pinned: boolean): Promise<CatalogRecord> {
    return this.#run(async () => {
      const { pinned: _, ...rest } = await this.get(id);
      const record = pinned ? { ...rest, pinned } : rest;
      await this.#store.put(record);
      return record;
    });
  }

  /**
   * Records a use (a load, a task) for least-recently-used collection; at most one write per
   * entry per TOUCH_EVERY_MS, so tasks do not each cost a durable write.
   */
  touch(id: string, nowMs: number): Promise<void> {
    return this.#run(async () => {
      const record = await this.#store.get(id);
      if (!record || nowMs - (record.lastUsedMs ?? 0) < TOUCH_EVERY_MS) return;
      await this.#store.put({ ...record, lastUsedMs: nowMs });
    });
  }

  setState(id: string, state: ModelState): Promise<CatalogRecord> {
    return this.#run(async () => {
      const record = { ...(await this.get(id)), state };
      await this.#store.put(record);
      return record;
    });
  }

  async #create(request: CreateModel, nowMs: number): Promise<CatalogRecord> {
    const id = request.id?.trim() || request.modelRef.trim();
    if (id === "") throw new OrchError("INVALID_PARAMS", "model_ref is required");
    const expected = request.digest ? parseDigest(request.digest) : undefined;
    if (await this.#store.get(id)) {
      throw new OrchError(
        "CATALOG_ENTRY_EXISTS",
        `catalog entry "${id}" exists; delete it first or choose another id`,
      );
    }
    const { path, size } = await localFile(request.modelRef, this.#modelDirs);
    const digest = `sha256:${expected ? await hashFile(path) : await modelDigest(path)}`;
    if (expected && digest !== expected) {
      throw new OrchError(
        "MODEL_DIGEST_MISMATCH",
        `${path} does not match the expected ${expected}; the file is not the model you meant`,
      );
    }
    const record: CatalogRecord = {
      id,
      modelRef: request.modelRef.trim(),
      localPath: path,
      digest,
      ...(expected ? { expectedDigest: expected, lastVerifiedMs: nowMs } : {}),
      sizeBytes: size,
      state: "ACTIVE",
      createdMs: nowMs,
      verification: expected ? "PASS" : "UNVERIFIED",
      metadata: request.metadata ?? {},
    };
    await this.#store.put(record);
    return record;
  }

  #run<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.#serial.then(operation);
    this.#serial = run.catch(() => undefined);
    return run;
  }
}

type Check = Pick<CatalogRecord, "verification" | "verificationDetail">;

async function check(record: CatalogRecord): Promise<Check> {
  const actual = await hashFile(record.localPath).then(
    (hex) => `sha256:${hex}`,
    () => undefined,
  );
  if (actual === undefined) {
    return { verification: "FAIL", verificationDetail: `${record.localPath} cannot be read` };
  }
  const expected = record.expectedDigest ?? record.digest;
  if (actual !== expected) {
    const against = record.expectedDigest ? "the expected" : "the digest recorded at creation";
    return {
      verification: "FAIL",
      verificationDetail: `${record.localPath} has ${actual}, not ${against} ${expected}`,
    };
  }
  if (record.expectedDigest) return { verification: "PASS" };
  return {
    verification: "WARN",
    verificationDetail: "no expected digest was given: the file only matches itself at creation",
  };
}
