// The Ollama registry as `ollama pull` speaks it: the OCI (Docker v2) manifest of a tag, whose
// layer of media type application/vnd.ollama.image.model is the GGUF, fetched as a blob by digest.
import { createHash } from "node:crypto";
import { OrchError } from "../../common/errors.js";
import type { ModelRefKind } from "../model-ref-kind.js";
import type { RemoteFile } from "./remote-file.js";

export const OLLAMA_REGISTRY = "https://registry.ollama.ai";
export const MANIFEST_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json";
export const MODEL_LAYER_MEDIA_TYPE = "application/vnd.ollama.image.model";

export interface RegistryOptions {
  /** `OLLAMA_REGISTRY`, without a trailing slash. */
  endpoint: string;
}

export function registryFromEnv(env: NodeJS.ProcessEnv = process.env): RegistryOptions {
  return { endpoint: (env.OLLAMA_REGISTRY || OLLAMA_REGISTRY).replace(/\/+$/, "") };
}

/** One model of a registry: `repo` is `namespace/name` (`library/` for bare names). */
export interface OllamaName {
  /** The registry's base URL. */
  registry: string;
  /** The registry's host, as Ollama's store names it under `manifests/`. */
  host: string;
  repo: string;
  tag: string;
}

type OllamaRef = Extract<ModelRefKind, { kind: "ollama" }>;

/** Where a parsed `ollama:` ref lives: `host/ns/name` names its own registry (as in Ollama). */
export function ollamaName(
  ref: Pick<OllamaRef, "name" | "tag">,
  registry: RegistryOptions,
): OllamaName {
  const parts = ref.name.split("/");
  if (parts.length > 3 || parts.some((p) => p === "" || p === "." || p === "..")) {
    throw new OrchError(
      "INVALID_PARAMS",
      `ollama:${ref.name}:${ref.tag} is not an Ollama model name: use ollama:name[:tag], ollama:namespace/name[:tag] or ollama:host/namespace/name[:tag]`,
    );
  }
  if (parts.length === 3) {
    const host = parts[0] as string;
    return { registry: `https://${host}`, host, repo: parts.slice(1).join("/"), tag: ref.tag };
  }
  const host = new URL(registry.endpoint).host;
  return { registry: registry.endpoint, host, repo: ref.name, tag: ref.tag };
}

/** The catalog id of a model: `ollama:name:tag` for the default registry's library. */
export function ollamaId(name: OllamaName, registry: RegistryOptions): string {
  const ownRegistry = name.registry === registry.endpoint;
  const repo = ownRegistry && name.repo.startsWith("library/") ? name.repo.slice(8) : name.repo;
  return `ollama:${ownRegistry ? "" : `${name.host}/`}${repo}:${name.tag}`;
}

/** Plain names a library model also answers to, as Ollama users type them: `name:tag`, `name`. */
export function ollamaAliases(name: OllamaName, registry: RegistryOptions): string[] {
  if (name.registry !== registry.endpoint || !name.repo.startsWith("library/")) return [];
  const short = name.repo.slice(8);
  return name.tag === "latest" ? [`${short}:latest`, short] : [`${short}:${name.tag}`];
}

interface Layer {
  mediaType?: string;
  digest?: string;
  size?: number;
}

/** The GGUF layer of a manifest's JSON; MODEL_UNSUPPORTED when it has none. */
export function modelLayer(manifest: unknown, what: string): { sha256: string; size: number } {
  const layers = ((manifest as { layers?: Layer[] } | null)?.layers ?? []).filter(Boolean);
  const layer = layers.find((l) => l.mediaType === MODEL_LAYER_MEDIA_TYPE);
  if (!layer) {
    const types = layers.map((l) => l.mediaType ?? "?").join(", ") || "none";
    throw new OrchError(
      "MODEL_UNSUPPORTED",
      `${what}: the manifest has no GGUF model layer (${MODEL_LAYER_MEDIA_TYPE}); its layers: ${types}. llama-orch serves GGUF models only`,
    );
  }
  const sha256 = /^sha256:([0-9a-f]{64})$/.exec(layer.digest ?? "")?.[1];
  if (sha256 === undefined || !Number.isSafeInteger(layer.size) || (layer.size as number) < 0) {
    throw new OrchError(
      "MODEL_SOURCE_UNAVAILABLE",
      `${what}: the manifest's model layer has no valid sha256 digest and size`,
    );
  }
  return { sha256, size: layer.size as number };
}

function registryError(status: number, what: string, registry: string): OrchError {
  if (status === 404) {
    return new OrchError(
      "MODEL_NOT_FOUND",
      `${what}: no such model or tag on ${registry} (404); check the name and tag (https://ollama.com/library lists them)`,
    );
  }
  if (status === 401 || status === 403) {
    return new OrchError(
      "MODEL_SOURCE_UNAUTHORIZED",
      `${what}: ${registry} answered ${status}; the model is private, and llama-orch pulls public models only`,
    );
  }
  return new OrchError(
    "MODEL_SOURCE_UNAVAILABLE",
    `${what}: ${registry} answered ${status}; retry later`,
  );
}

async function registryFetch(url: string, headers: HeadersInit, what: string): Promise<Response> {
  try {
    return await fetch(url, { headers });
  } catch (error) {
    const why = ((error as Error).cause as Error | undefined)?.message ?? String(error);
    throw new OrchError("MODEL_SOURCE_UNAVAILABLE", `${what}: ${url} cannot be reached (${why})`);
  }
}

/**
 * An anonymous pull token, as OCI registries hand them out: the 401's `WWW-Authenticate: Bearer
 * realm=...,service=...,scope=...` names where to ask. Undefined when the 401 names no realm.
 */
async function anonymousToken(res: Response, what: string): Promise<string | undefined> {
  const challenge = res.headers.get("www-authenticate") ?? "";
  if (!/^bearer\s/i.test(challenge)) return undefined;
  const params = Object.fromEntries(
    [...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
  );
  if (!params.realm || !URL.canParse(params.realm)) return undefined;
  const url = new URL(params.realm);
  for (const key of ["service", "scope"]) {
    if (params[key]) url.searchParams.set(key, params[key]);
  }
  const answer = await registryFetch(url.href, {}, what);
  if (!answer.ok) return undefined;
  const body = (await answer.json().catch(() => ({}))) as { token?: string; access_token?: string };
  return body.token ?? body.access_token;
}

/** The manifest, asking once for an anonymous token when the registry wants one. */
async function getManifest(url: string, what: string): Promise<{ res: Response; token?: string }> {
  const accept = { accept: MANIFEST_MEDIA_TYPE };
  const res = await registryFetch(url, accept, what);
  if (res.status !== 401) return { res };
  const token = await anonymousToken(res, what);
  if (token === undefined) return { res };
  const authorization = `Bearer ${token}`;
  return { res: await registryFetch(url, { ...accept, authorization }, what), token };
}

/**
 * The GGUF blob of a tag (with the registry's anonymous token when it wanted one). The blob URL
 * is the registry's own: it answers with a redirect to a CDN
 * on another host, which the download follows on every attempt (a resume gets a fresh signed
 * URL). `commit` is the manifest's sha256: which manifest the bytes came from.
 */
export async function resolveOllamaModel(name: OllamaName, what: string): Promise<RemoteFile> {
  const base = `${name.registry}/v2/${name.repo}`;
  const manifestUrl = `${base}/manifests/${encodeURIComponent(name.tag)}`;
  const { res, token } = await getManifest(manifestUrl, what);
  if (!res.ok) throw registryError(res.status, what, name.registry);
  const text = await res.text();
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch {
    throw new OrchError(
      "MODEL_SOURCE_UNAVAILABLE",
      `${what}: ${name.registry} answered a manifest that is not JSON`,
    );
  }
  const layer = modelLayer(manifest, what);
  return {
    url: `${base}/blobs/sha256:${layer.sha256}`,
    // For the registry only: fetch drops it when the blob redirect leaves for the CDN's host.
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    name: `sha256-${layer.sha256}`,
    commit: `sha256:${createHash("sha256").update(text).digest("hex")}`,
    sha256: layer.sha256,
    size: layer.size,
  };
}
