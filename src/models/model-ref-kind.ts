// What a model ref names: a built-in, a Hugging Face file or quant, a URL, an Ollama model, a local
// path or a catalog id/alias. Parsing only; resolving and downloading live elsewhere.
import { isAbsolute } from "node:path";
import { OrchError } from "../common/errors.js";

export type ModelRefKind =
  | { kind: "builtin"; ref: string }
  | { kind: "hf-file"; repo: string; path: string; revision: string }
  | { kind: "hf-quant"; repo: string; quant: string; revision: string }
  | { kind: "url"; url: string }
  | { kind: "ollama"; name: string; tag: string }
  | { kind: "path"; path: string }
  | { kind: "catalog"; id: string };

/** What llama-server's `-hf org/repo` picks when no quantisation is named. */
export const DEFAULT_QUANT = "Q4_K_M";

export const refForms =
  "use a catalog id or alias, hf:org/repo:QUANT, hf:org/repo/file.gguf[@revision], https://host/file.gguf, ollama:name[:tag], a path under models.dirs, or builtin:tiny|bench";

const scheme = /^[a-z][a-z0-9+.-]+:/i;
/** Ollama's `name:tag` (no slash): the plain name pulled and imported Ollama models answer to. */
const nameTag = /^[A-Za-z0-9][\w.-]*:[\w.-]+$/;
const repoPart = "[A-Za-z0-9][A-Za-z0-9._-]*";
const hfRepo = new RegExp(`^(${repoPart}/${repoPart})(.*)$`);

/**
 * A bare word like "tiny" is a catalog id, and "hf:org/model" a source to pull; only what looks
 * like a file (absolute, relative with a slash, `~`, or a `.gguf` name) is a path.
 */
export function isPathRef(ref: string): boolean {
  const trimmed = ref.trim();
  if (trimmed.startsWith("file:")) return true;
  if (scheme.test(trimmed)) return false;
  return isAbsolute(trimmed) || trimmed.includes("/") || trimmed.endsWith(".gguf");
}

function invalid(ref: string, why: string): OrchError {
  return new OrchError("INVALID_PARAMS", `model ref "${ref}" ${why}: ${refForms}`);
}

function parseHf(ref: string, body: string): ModelRefKind {
  const [rest = "", revision = "main", extra] = body.split("@");
  const match = hfRepo.exec(rest);
  if (!match || extra !== undefined || revision === "")
    throw invalid(ref, "is not a Hugging Face ref");
  const repo = match[1] as string;
  const tail = match[2] as string;
  if (tail === "") return { kind: "hf-quant", repo, quant: DEFAULT_QUANT, revision };
  if (tail.startsWith(":") && /^:[A-Za-z0-9_.-]+$/.test(tail)) {
    return { kind: "hf-quant", repo, quant: tail.slice(1), revision };
  }
  const path = tail.slice(1);
  if (!tail.startsWith("/") || !path.endsWith(".gguf") || path.split("/").includes("..")) {
    throw invalid(ref, "names no .gguf file in the repo");
  }
  return { kind: "hf-file", repo, path, revision };
}

function parseOllama(ref: string, body: string): ModelRefKind {
  const [name = "", tag = "latest", extra] = body.split(":");
  if (!/^[a-z0-9][a-z0-9._/-]*$/.test(name) || extra !== undefined || !/^[\w.-]+$/.test(tag)) {
    throw invalid(ref, "is not an Ollama model name");
  }
  return { kind: "ollama", name: name.includes("/") ? name : `library/${name}`, tag };
}

/** The kind of a ref; INVALID_PARAMS naming the accepted forms for anything else. */
export function parseModelRef(ref: string): ModelRefKind {
  const trimmed = ref.trim();
  if (trimmed === "") throw invalid(ref, "is empty");
  if (trimmed.startsWith("builtin:")) return { kind: "builtin", ref: trimmed };
  if (trimmed.startsWith("hf:")) return parseHf(ref, trimmed.slice(3));
  if (trimmed.startsWith("ollama:")) return parseOllama(ref, trimmed.slice(7));
  if (/^https?:\/\//i.test(trimmed)) return { kind: "url", url: trimmed };
  if (trimmed.startsWith("file:")) {
    if (trimmed === "file:") throw invalid(ref, "names no file");
    return { kind: "path", path: trimmed.slice(5) };
  }
  if (isPathRef(trimmed)) return { kind: "path", path: trimmed };
  if (nameTag.test(trimmed)) return { kind: "catalog", id: trimmed };
  if (scheme.test(trimmed)) throw invalid(ref, "has a scheme llama-orch does not pull from");
  return { kind: "catalog", id: trimmed };
}
