// Models already in Ollama's store, used where they are: `manifests/<host>/<ns>/<name>/<tag>` is
// the manifest JSON, `blobs/sha256-<hex>` the GGUF its model layer names, checked by that digest.
import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { OrchError } from "../../common/errors.js";
import type { FetchedModel } from "../fetched-model.js";
import { hashFile } from "../model-digest.js";
import {
  modelLayer,
  type OllamaName,
  ollamaAliases,
  ollamaId,
  type RegistryOptions,
} from "../pull/ollama-registry.js";
import { type FoundModels, reasonOf, type Skipped } from "./found-models.js";

export function manifestPath(root: string, name: OllamaName): string {
  return join(root, "manifests", name.host, ...name.repo.split("/"), name.tag);
}

/**
 * The model a tag names in the store, its blob hashed against the layer digest; undefined when
 * the store has no such tag; MODEL_DIGEST_MISMATCH for a damaged blob.
 */
export async function ollamaStoreModel(
  root: string,
  name: OllamaName,
  registry: RegistryOptions,
): Promise<FetchedModel | undefined> {
  const manifest = manifestPath(root, name);
  const text = await readFile(manifest, "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  const id = ollamaId(name, registry);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new OrchError("MODEL_INVALID", `${manifest} is not a manifest (not JSON)`);
  }
  const layer = modelLayer(parsed, id);
  const blob = join(root, "blobs", `sha256-${layer.sha256}`);
  const size = (await stat(blob)).size;
  const sha256 = await hashFile(blob);
  if (sha256 !== layer.sha256) {
    throw new OrchError(
      "MODEL_DIGEST_MISMATCH",
      `${blob} has sha256:${sha256}, not the sha256:${layer.sha256} its manifest names: the blob is damaged; run ollama pull again`,
    );
  }
  return {
    path: blob,
    sha256,
    size,
    verified: true,
    source: {
      ref: id,
      url: blob,
      commit: `sha256:${createHash("sha256").update(text).digest("hex")}`,
      store: "ollama-store",
    },
    aliases: ollamaAliases(name, registry),
  };
}

async function dirs(path: string): Promise<string[]> {
  const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => e.name);
}

/** Every tag under `manifests/<host>/<ns>/<name>/`. */
async function storeNames(root: string, registry: RegistryOptions): Promise<OllamaName[]> {
  const names: OllamaName[] = [];
  const ownHost = new URL(registry.endpoint).host;
  const top = join(root, "manifests");
  for (const host of (await dirs(top)).sort()) {
    const base = host === ownHost ? registry.endpoint : `https://${host}`;
    for (const ns of (await dirs(join(top, host))).sort()) {
      for (const model of (await dirs(join(top, host, ns))).sort()) {
        const tags = await readdir(join(top, host, ns, model)).catch(() => [] as string[]);
        for (const tag of tags.sort()) {
          names.push({ registry: base, host, repo: `${ns}/${model}`, tag });
        }
      }
    }
  }
  return names;
}

/** Every GGUF model of the store, ids `ollama:name:tag`; damaged or non-GGUF ones skipped. */
export async function scanOllamaStore(
  root: string,
  registry: RegistryOptions,
): Promise<FoundModels> {
  const found: FetchedModel[] = [];
  const skipped: Skipped[] = [];
  for (const name of await storeNames(root, registry)) {
    try {
      const model = await ollamaStoreModel(root, name, registry);
      if (model) found.push(model);
    } catch (error) {
      skipped.push({ path: manifestPath(root, name), reason: reasonOf(error) });
    }
  }
  return { found, skipped };
}
