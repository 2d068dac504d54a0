// The Hugging Face hub as its own clients speak it: HEAD resolve without following the CDN
// redirect, the LFS headers (X-Linked-Etag/-Size, X-Repo-Commit), and the tree API for quants.
import { OrchError } from "../../common/errors.js";
import type { ModelRefKind } from "../model-ref-kind.js";
import type { RemoteFile } from "./remote-file.js";

export interface HubOptions {
  /** `HF_ENDPOINT`, without a trailing slash. */
  endpoint: string;
  /** `HF_TOKEN`: sent to the hub only, never to a CDN on another host. */
  token?: string;
}

export function hubFromEnv(env: NodeJS.ProcessEnv = process.env): HubOptions {
  const endpoint = (env.HF_ENDPOINT || "https://huggingface.co").replace(/\/+$/, "");
  return env.HF_TOKEN ? { endpoint, token: env.HF_TOKEN } : { endpoint };
}

type HfRef = Extract<ModelRefKind, { kind: "hf-file" | "hf-quant" }>;

function authHeaders(hub: HubOptions): Record<string, string> {
  return hub.token ? { authorization: `Bearer ${hub.token}` } : {};
}

/** The typed error for a hub answer that is not a success. */
export function hubError(status: number, what: string, hub: HubOptions): OrchError {
  if (status === 401 || status === 403) {
    const fix = hub.token
      ? "HF_TOKEN was refused: check it has read access and that you accepted the repo's terms on its page"
      : "the repo is gated or private: set HF_TOKEN to an access token (https://huggingface.co/settings/tokens) after accepting its terms";
    return new OrchError("MODEL_SOURCE_UNAUTHORIZED", `${what}: hub answered ${status}; ${fix}`);
  }
  if (status === 404) {
    return new OrchError(
      "MODEL_NOT_FOUND",
      `${what}: not on ${hub.endpoint} (404); check the repo, file and revision`,
    );
  }
  return new OrchError("MODEL_SOURCE_UNAVAILABLE", `${what}: hub answered ${status}; retry later`);
}

async function hubFetch(url: string, init: RequestInit, what: string): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    const why =
      error instanceof Error
        ? ((error.cause as Error | undefined)?.message ?? error.message)
        : String(error);
    throw new OrchError("MODEL_SOURCE_UNAVAILABLE", `${what}: ${url} cannot be reached (${why})`);
  }
}

function unquote(etag: string | null): string | undefined {
  return etag?.replace(/^W\//, "").replace(/"/g, "") || undefined;
}

function sizeOf(value: string | null): number | undefined {
  const n = value === null ? Number.NaN : Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/**
 * One file's metadata by HEAD on `/resolve/`. Redirects on the hub itself (a renamed repo) are
 * followed; a redirect elsewhere is the CDN, whose URL is returned for the download, which goes
 * there without the Authorization header.
 */
export async function resolveHfFile(
  hub: HubOptions,
  repo: string,
  revision: string,
  path: string,
): Promise<RemoteFile> {
  const what = `hf:${repo}/${path}@${revision}`;
  let url = `${hub.endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${path}`;
  for (let hop = 0; hop < 5; hop++) {
    const res = await hubFetch(
      url,
      { method: "HEAD", redirect: "manual", headers: authHeaders(hub) },
      what,
    );
    const location = res.headers.get("location");
    const sha256 = unquote(res.headers.get("x-linked-etag"));
    const meta = {
      name: path,
      commit: res.headers.get("x-repo-commit") ?? undefined,
      sha256: sha256 && /^[0-9a-f]{64}$/.test(sha256) ? sha256 : undefined,
      size: sizeOf(res.headers.get("x-linked-size") ?? res.headers.get("content-length")),
    };
    if (res.status >= 300 && res.status < 400 && location) {
      const next = new URL(location, url);
      const sameHost = next.origin === new URL(hub.endpoint).origin;
      if (sameHost && !sha256) {
        url = next.href;
        continue;
      }
      const headers = sameHost ? authHeaders(hub) : {};
      return { ...meta, url: next.href, headers };
    }
    if (res.ok) return { ...meta, url, headers: authHeaders(hub) };
    throw hubError(res.status, what, hub);
  }
  throw new OrchError("MODEL_SOURCE_UNAVAILABLE", `${what}: too many redirects on the hub`);
}

interface TreeEntry {
  type: string;
  path: string;
}

/** Every file path of a repo at a revision (the tree API, recursive). */
export async function listHfFiles(
  hub: HubOptions,
  repo: string,
  revision: string,
): Promise<string[]> {
  const what = `hf:${repo}@${revision}`;
  const url = `${hub.endpoint}/api/models/${repo}/tree/${encodeURIComponent(revision)}?recursive=true`;
  const res = await hubFetch(url, { headers: authHeaders(hub) }, what);
  if (!res.ok) throw hubError(res.status, what, hub);
  const entries = (await res.json()) as TreeEntry[];
  return entries.filter((e) => e.type === "file").map((e) => e.path);
}

const splitPart = /-(\d{5})-of-(\d{5})\.gguf$/i;

/** The quantisation a GGUF file name carries (Q4_K_M, IQ2_XS, F16, BF16...), upper case. */
export function quantOf(path: string): string | undefined {
  const base = (path.split("/").pop() ?? "").replace(splitPart, ".gguf");
  const match = /[-._]((?:I?Q\d[A-Z0-9_]*)|(?:B?F(?:16|32))|(?:TQ\d_\d))\.gguf$/i.exec(base);
  return match?.[1]?.toUpperCase();
}

/**
 * The files of a quant, as llama-server's `-hf repo:QUANT` picks them: the .gguf files whose name
 * carries that quantisation (all parts of a split model, first part first); none is a
 * MODEL_NOT_FOUND that lists the quants the repo has.
 */
export function pickQuant(files: readonly string[], quant: string, repo: string): string[] {
  const ggufs = files.filter((f) => f.endsWith(".gguf") && !/mmproj/i.test(f));
  const matching = ggufs.filter((f) => quantOf(f) === quant.toUpperCase()).sort();
  const firsts = matching.filter((f) => !splitPart.test(f) || /-00001-of-/.test(f));
  const first = firsts[0];
  if (first === undefined) {
    const quants = [...new Set(ggufs.map(quantOf).filter((q) => q !== undefined))].sort();
    throw new OrchError(
      "MODEL_NOT_FOUND",
      `hf:${repo} has no ${quant} GGUF; available quants: ${quants.join(", ") || "none (no .gguf files)"}`,
    );
  }
  if (!splitPart.test(first)) return [first];
  const prefix = first.replace(splitPart, "");
  return matching.filter((f) => f.replace(splitPart, "") === prefix);
}

/** Every part of a split GGUF named by any one part (`-0000K-of-0000N.gguf`); else the path. */
export function splitParts(path: string): string[] {
  const match = splitPart.exec(path);
  if (!match) return [path];
  const count = Number(match[2]);
  const prefix = path.slice(0, match.index);
  return Array.from({ length: count }, (_, i) => {
    const part = String(i + 1).padStart(5, "0");
    return `${prefix}-${part}-of-${match[2]}.gguf`;
  });
}

/** The remote files an `hf:` ref names (several for a split model, first part first). */
export async function resolveHfRef(hub: HubOptions, ref: HfRef): Promise<RemoteFile[]> {
  const paths =
    ref.kind === "hf-file"
      ? splitParts(ref.path)
      : pickQuant(await listHfFiles(hub, ref.repo, ref.revision), ref.quant, ref.repo);
  return Promise.all(paths.map((p) => resolveHfFile(hub, ref.repo, ref.revision, p)));
}
