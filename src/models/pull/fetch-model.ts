// Brings the model a ref names onto this disk: `hf:` and `ollama:` refs from the local stores
// where they already are, else downloaded with URL refs into the pull cache; confines local
// paths, generates built-ins; reports progress as pull events.
import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { OrchError } from "../../common/errors.js";
import type { FetchedModel } from "../fetched-model.js";
import { hfCacheModel } from "../local-stores/hf-cache.js";
import { ollamaStoreModel } from "../local-stores/ollama-store.js";
import type { LocalStores } from "../local-stores/store-roots.js";
import { modelDigest } from "../model-digest.js";
import { confineModelPath } from "../model-dirs.js";
import { resolveModelRef } from "../model-ref.js";
import { type ModelRefKind, parseModelRef } from "../model-ref-kind.js";
import { downloadFile } from "./download.js";
import { type HubOptions, resolveHfRef } from "./hf-hub.js";
import {
  ollamaAliases,
  ollamaId,
  ollamaName,
  type RegistryOptions,
  registryFromEnv,
  resolveOllamaModel,
} from "./ollama-registry.js";
import type { PullEvent } from "./pull-events.js";
import type { RemoteFile } from "./remote-file.js";

export interface FetchContext {
  hub: HubOptions;
  /** Where downloads land (`models.cache_dir`). */
  cacheDir: string;
  /** The folders a local path may name. */
  modelDirs: readonly string[];
  /** Least interval between two `downloading` events, in ms. */
  progressMs: number;
  /** The Ollama registry (`OLLAMA_REGISTRY`); read from the environment when absent. */
  registry?: RegistryOptions;
  /** Local stores looked in before any download; none when absent. */
  stores?: Partial<LocalStores>;
}

type Emit = (event: PullEvent) => void;

/** Throttles byte counts into `downloading` events with a rate, at most one per `everyMs`. */
function progressEmitter(emit: Emit, total: number | undefined, everyMs: number) {
  const started = Date.now();
  let lastAt = 0;
  let resumedFrom: number | undefined;
  return (bytes: number, force = false) => {
    resumedFrom ??= bytes;
    const now = Date.now();
    if (!force && now - lastAt < everyMs) return;
    lastAt = now;
    const seconds = Math.max((now - started) / 1000, 0.001);
    const bytesPerS = Math.round((bytes - resumedFrom) / seconds);
    emit({ type: "downloading", bytes, ...(total === undefined ? {} : { total }), bytesPerS });
  };
}

async function downloadAll(files: RemoteFile[], dir: string, ctx: FetchContext, emit: Emit) {
  const sizes = files.map((f) => f.size);
  const total = sizes.every((s) => s !== undefined) ? sizes.reduce((a, b) => a + b, 0) : undefined;
  const report = progressEmitter(emit, total, ctx.progressMs);
  const done = [];
  let before = 0;
  for (const file of files) {
    const dest = join(dir, basename(file.name));
    const got = await downloadFile(file, dest, { onBytes: (p) => report(before + p.bytes) });
    before += got.size;
    report(before, true);
    done.push(got);
  }
  emit({ type: "verifying" });
  const first = done[0] as (typeof done)[number];
  return { ...first, verified: done.every((d) => d.verified) };
}

async function fetchHf(ref: string, kind: ModelRefKind, ctx: FetchContext, emit: Emit) {
  const hf = kind as Extract<ModelRefKind, { kind: "hf-file" | "hf-quant" }>;
  const cached = ctx.stores?.hfCache ? await hfCacheModel(ctx.stores.hfCache, hf, ref) : undefined;
  if (cached) {
    emit({ type: "verifying" });
    return cached;
  }
  const files = await resolveHfRef(ctx.hub, hf);
  const first = files[0] as RemoteFile;
  const commit = first.commit ?? hf.revision;
  const dir = join(ctx.cacheDir, "hf", ...hf.repo.split("/"), commit);
  const got = await downloadAll(files, dir, ctx, emit);
  const url = `${ctx.hub.endpoint}/${hf.repo}/resolve/${commit}/${first.name}`;
  return { ...got, source: { ref, url, commit } };
}

async function fetchOllama(ref: string, kind: ModelRefKind, ctx: FetchContext, emit: Emit) {
  const registry = ctx.registry ?? registryFromEnv();
  const name = ollamaName(kind as Extract<ModelRefKind, { kind: "ollama" }>, registry);
  // A damaged blob in Ollama's store is Ollama's to repair: download a copy of our own instead.
  const stored = ctx.stores?.ollama
    ? await ollamaStoreModel(ctx.stores.ollama, name, registry).catch(() => undefined)
    : undefined;
  const id = ollamaId(name, registry);
  const aliases = [...(ref.trim() === id ? [] : [ref.trim()]), ...ollamaAliases(name, registry)];
  if (stored) {
    emit({ type: "verifying" });
    return { ...stored, aliases };
  }
  const file = await resolveOllamaModel(name, id);
  const got = await downloadAll([file], join(ctx.cacheDir, "ollama", "blobs"), ctx, emit);
  const source = { ref: id, url: file.url, ...(file.commit ? { commit: file.commit } : {}) };
  return { ...got, source, aliases };
}

async function fetchUrl(ref: string, url: string, ctx: FetchContext, emit: Emit) {
  const head = await fetch(url, { method: "HEAD" }).catch(() => undefined);
  const size = Number(head?.headers.get("content-length") ?? Number.NaN);
  const name = basename(new URL(url).pathname) || "model.gguf";
  const file: RemoteFile = { url, headers: {}, name, ...(size > 0 ? { size } : {}) };
  const slot = createHash("sha256").update(url).digest("hex").slice(0, 16);
  const got = await downloadAll([file], join(ctx.cacheDir, "url", slot), ctx, emit);
  return { ...got, source: { ref, url } };
}

async function onDisk(ref: string, path: string): Promise<FetchedModel> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile())
    throw new OrchError("MODEL_NOT_FOUND", `model ref "${ref}" names ${path}: no such file`);
  return {
    path,
    sha256: await modelDigest(path),
    size: info.size,
    verified: false,
    source: { ref, url: path },
  };
}

/** The local file of `ref`, fetched if it is remote; PullEvents up to `verifying`. */
export async function fetchModel(
  ref: string,
  ctx: FetchContext,
  emit: Emit,
): Promise<FetchedModel> {
  const kind = parseModelRef(ref);
  emit({ type: "resolving" });
  switch (kind.kind) {
    case "hf-file":
    case "hf-quant":
      return fetchHf(ref, kind, ctx, emit);
    case "url":
      return fetchUrl(ref, kind.url, ctx, emit);
    case "ollama":
      return fetchOllama(ref, kind, ctx, emit);
    case "path":
      return onDisk(ref, await confineModelPath(kind.path, ctx.modelDirs));
    case "builtin":
      return onDisk(ref, await resolveModelRef(kind.ref));
    default:
      throw new OrchError(
        "INVALID_PARAMS",
        `model ref "${ref}" names nothing to pull (${kind.kind})`,
      );
  }
}
