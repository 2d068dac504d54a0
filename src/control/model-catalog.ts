// The model catalog's rules: resolve a ref to a file, hash it, verify digests, change lifecycle.
import { stat } from "node:fs/promises";
import { OrchError } from "../common/errors.js";
import { hashFile, modelDigest } from "../engine/model-digest.js";
import type { CatalogRecord, CatalogStore, ModelState } from "../store/catalog-store.js";
import { resolveModelRef } from "../worker/model-ref.js";
import { confineModelPath } from "./model-dirs.js";

export interface CreateModel {
  id?: string;
  modelRef: string;
  /** Expected `sha256:<hex>`; a mismatch refuses the entry. */
  digest?: string;
  metadata?: Record<string, string>;
}

const remoteScheme = /^(hf|https?|s3|oci):/i;

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
  modelDirs: readonly string[] | undefined,
): Promise<{ path: string; size: number }> {
  if (remoteScheme.test(modelRef.trim())) {
    throw new OrchError(
      "INVALID_PARAMS",
      `model ref "${modelRef}" needs a download and this control plane does not fetch models; download the .gguf file and create the entry with file:/path/to/model.gguf`,
    );
  }
  const path = await resolveModelRef(modelRef);
  if (modelDirs) await confineModelPath(path, modelDirs);
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) {
    throw new OrchError("MODEL_NOT_FOUND", `model ref "${modelRef}" names ${path}: no such file`);
  }
  return { path, size: info.size };
}

export class ModelCatalog {
  readonly #store: CatalogStore;
  /** Read-modify-write operations run one at a time, so two creates of one id cannot both win. */
  #serial: Promise<unknown> = Promise.resolve();

  /** Where local model files may live; absent (unit tests): anywhere. */
  readonly #modelDirs: readonly string[] | undefined;

  constructor(store: CatalogStore, modelDirs?: readonly string[]) {
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

  list(): Promise<CatalogRecord[]> {
    return this.#store.list();
  }

  /** Model refs retired in the catalog: admission refuses them with MODEL_DEPRECATED. */
  async retiredRefs(): Promise<Set<string>> {
    const retired = (await this.#store.list()).filter((r) => r.state === "RETIRED");
    return new Set(retired.flatMap((r) => [r.id, r.modelRef]));
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
