// Content-addressed artifacts: blobs as files `<dir>/sha256/<aa>/<hex>`, metadata in LevelDB.
import { createHash, randomUUID } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { OrchError } from "../common/errors.js";
import type { JsonSublevel, Store } from "./db.js";

export const artifactKinds = [
  "plan",
  "summary",
  "diff",
  "trace",
  "transcript",
  "logs",
  "other",
] as const;
export type ArtifactKind = (typeof artifactKinds)[number];

/** Default bound on one artifact's content. */
export const MAX_ARTIFACT_BYTES = 16 * 1024 * 1024;

export interface NewArtifact {
  kind: ArtifactKind;
  content: Uint8Array;
  contentType?: string;
  tags?: string[];
  parent?: string;
  metadata?: Record<string, string>;
  /** Who stores it (absent: the admin or the system, e.g. a task transcript). */
  owner?: string;
}

/** What LevelDB holds for an artifact; the content lives in the blob file. */
export interface ArtifactMeta {
  id: string;
  kind: ArtifactKind;
  contentType: string;
  tags: string[];
  createdMs: number;
  parent?: string;
  metadata: Record<string, string>;
  sizeBytes: number;
  /** Identities that stored this content; absent: visible to all (task transcripts). */
  owners?: string[];
}

export interface Artifact extends ArtifactMeta {
  content: Buffer;
}

/** The content address of some bytes: `sha256:<hex>`. */
export function artifactId(content: Uint8Array): string {
  return `sha256:${createHash("sha256").update(content).digest("hex")}`;
}

export function isArtifactId(value: string): boolean {
  return /^sha256:[0-9a-f]{64}$/.test(value);
}

export class ArtifactStore {
  readonly #meta: JsonSublevel;
  readonly #store: Store;
  readonly #dir: string;
  readonly #maxBytes: number;
  /** Puts in flight by id: a get of an id being written waits for it instead of missing it. */
  readonly #pending = new Map<string, Promise<ArtifactMeta>>();

  /** `dir` is `<data_dir>/artifacts`. */
  constructor(store: Store, dir: string, maxBytes = MAX_ARTIFACT_BYTES) {
    this.#store = store;
    this.#meta = store.sublevel("artifacts", "meta");
    this.#dir = dir;
    this.#maxBytes = maxBytes;
  }

  /** The most content bytes one artifact may hold. */
  get maxBytes(): number {
    return this.#maxBytes;
  }

  /** Stores the artifact; the same content again returns the first record unchanged. */
  put(artifact: NewArtifact, nowMs: number): Promise<ArtifactMeta> {
    if (artifact.content.byteLength > this.#maxBytes) {
      const error = new OrchError(
        "ARTIFACT_TOO_LARGE",
        `artifact content is ${artifact.content.byteLength} bytes, over the limit of ${this.#maxBytes}; split it or store a reference to it`,
      );
      return Promise.reject(error);
    }
    const id = artifactId(artifact.content);
    const pending = this.#pending.get(id);
    if (pending) return pending;
    const run = this.#put(id, artifact, nowMs).finally(() => this.#pending.delete(id));
    this.#pending.set(id, run);
    return run;
  }

  /** Resolves once every put in flight has settled (before closing the database). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.#pending.values()]);
  }

  async getMeta(id: string): Promise<ArtifactMeta | undefined> {
    await this.#pending.get(id)?.catch(() => undefined);
    return (await this.#meta.get(id)) as ArtifactMeta | undefined;
  }

  async get(id: string): Promise<Artifact | undefined> {
    const meta = await this.getMeta(id);
    if (!meta) return undefined;
    return { ...meta, content: await readFile(this.blobPath(id)) };
  }

  /** Every artifact's metadata, in id order. */
  async allMeta(): Promise<ArtifactMeta[]> {
    return (await this.#meta.values().all()) as ArtifactMeta[];
  }

  /** True while a put of `id` is in flight: its blob may be on disk before its record. */
  isPending(id: string): boolean {
    return this.#pending.has(id);
  }

  /** Deletes the records of `ids`, then their blobs (a record never names a missing blob). */
  async remove(ids: readonly string[]): Promise<void> {
    const ops = ids.map((key) => ({ type: "del" as const, area: this.#meta, key }));
    await this.#store.write(ops);
    await Promise.all(ids.map((id) => rm(this.blobPath(id), { force: true })));
  }

  /** The directory of all blobs. */
  get blobDir(): string {
    return join(this.#dir, "sha256");
  }

  /** Where the content of `id` lives. */
  blobPath(id: string): string {
    const hex = id.slice("sha256:".length);
    return join(this.#dir, "sha256", hex.slice(0, 2), hex);
  }

  async #put(id: string, artifact: NewArtifact, nowMs: number): Promise<ArtifactMeta> {
    const existing = (await this.#meta.get(id)) as ArtifactMeta | undefined;
    if (existing) return this.#addOwner(existing, artifact.owner);
    if (artifact.parent && (await this.getMeta(artifact.parent)) === undefined) {
      throw new OrchError("ARTIFACT_NOT_FOUND", `parent artifact ${artifact.parent} is not stored`);
    }
    // The blob is complete on disk before any metadata names it.
    await this.#writeBlob(this.blobPath(id), artifact.content);
    const meta: ArtifactMeta = {
      id,
      kind: artifact.kind,
      contentType: artifact.contentType || "application/octet-stream",
      tags: artifact.tags ?? [],
      createdMs: nowMs,
      ...(artifact.parent ? { parent: artifact.parent } : {}),
      metadata: artifact.metadata ?? {},
      sizeBytes: artifact.content.byteLength,
      ...(artifact.owner ? { owners: [artifact.owner] } : {}),
    };
    await this.#store.write([{ type: "put", area: this.#meta, key: id, value: meta }]);
    return meta;
  }

  /** The same content stored by another identity: it becomes theirs too (one blob, many owners). */
  async #addOwner(meta: ArtifactMeta, owner: string | undefined): Promise<ArtifactMeta> {
    if (!owner || !meta.owners || meta.owners.includes(owner)) return meta;
    const shared = { ...meta, owners: [...meta.owners, owner] };
    await this.#store.write([{ type: "put", area: this.#meta, key: meta.id, value: shared }]);
    return shared;
  }

  /** Temp file then rename, so a reader never sees a partial blob. */
  async #writeBlob(path: string, content: Uint8Array): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${randomUUID()}.tmp`;
    try {
      await writeFile(temp, content);
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
}
