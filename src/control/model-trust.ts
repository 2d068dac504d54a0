// Trust policy (config `catalog`): which models may be loaded and served (a digest verified against
// its source, or a builtin) and which sources may be pulled from (`catalog.allow`).
import { resolve } from "node:path";
import type { CatalogConfig } from "../common/config-schema-catalog.js";
import { OrchError } from "../common/errors.js";
import type { Logger } from "../common/logger.js";
import { type ModelRefKind, parseModelRef } from "../models/model-ref-kind.js";
import type { CatalogRecord } from "../store/catalog-store.js";

/** Why a model is not trusted; undefined when it is. */
export function entryDistrust(entry: CatalogRecord): string | undefined {
  if (entry.verification === "FAIL") {
    return `catalog entry "${entry.id}" failed its last verification (${entry.verificationDetail ?? "digest mismatch"}); pull or register it again`;
  }
  // Generated here from a seed: nothing downloaded, nothing to verify against.
  if (entry.modelRef.startsWith("builtin:")) return undefined;
  if (entry.verification === "PASS") return undefined;
  return `catalog entry "${entry.id}" has a digest no source vouched for (a local file, a URL without a published sha256, or registered without an expected digest); register it with its sha256 (POST /v1/catalog/models with digest) or pull it from a source that publishes one`;
}

function kindOf(name: string): ModelRefKind | undefined {
  try {
    return parseModelRef(name);
  } catch {
    return undefined; // not a ref at all: admission answers for it
  }
}

/**
 * Why the model `name` means is not trusted, undefined when it is or when the catalog does not
 * know the name (what is unknown is refused elsewhere, or judged once pulled).
 */
export function distrust(name: string, entries: readonly CatalogRecord[]): string | undefined {
  const kind = kindOf(name);
  if (kind === undefined || kind.kind === "builtin") return undefined;
  const named =
    entries.find((e) => e.id === name) ?? entries.find((e) => e.aliases?.includes(name));
  if (named) return entryDistrust(named);
  if (kind.kind !== "path") return undefined;
  const path = resolve(kind.path.replace(/^file:/, ""));
  const vouched = entries.some((e) => e.localPath === path && entryDistrust(e) === undefined);
  if (vouched) return undefined;
  return `${path} is a local file whose digest was never verified; register it with its sha256 (POST /v1/catalog/models with digest) and name its catalog id instead`;
}

/** Whether a source ref matches one `catalog.allow` entry. */
function allowedBy(kind: ModelRefKind, entry: string): boolean {
  if (kind.kind === "hf-file" || kind.kind === "hf-quant") {
    const want = entry.startsWith("hf:") ? entry.slice(3) : undefined;
    return want !== undefined && (kind.repo === want || kind.repo.startsWith(`${want}/`));
  }
  if (kind.kind === "ollama") {
    const want = entry.startsWith("ollama:") ? entry.slice(7) : undefined;
    return want !== undefined && (kind.name === want || kind.name.startsWith(`${want}/`));
  }
  if (kind.kind === "url" && /^https?:\/\//.test(entry)) {
    const [url, prefix] = [new URL(kind.url), new URL(entry)];
    return url.origin === prefix.origin && url.pathname.startsWith(prefix.pathname);
  }
  return false;
}

export class ModelTrust {
  readonly #policy: CatalogConfig;
  readonly #log: Logger;
  /** Names already warned about: permissive warns once per name, not once per task. */
  readonly #warned = new Set<string>();

  constructor(policy: CatalogConfig, log: Logger) {
    this.#policy = policy;
    this.#log = log;
  }

  /**
   * Before a load or a task: under strict an untrusted model is UNTRUSTED_ARTIFACT; under
   * permissive it goes ahead with one warning per name. `reason` comes from distrust().
   */
  admit(name: string, reason: string | undefined): void {
    if (reason === undefined) return;
    if (this.#policy.trust === "strict") {
      throw new OrchError("UNTRUSTED_ARTIFACT", `${reason} (catalog.trust is strict)`);
    }
    if (this.#warned.has(name)) return;
    this.#warned.add(name);
    this.#log.warn(
      { model_ref: name, reason },
      "serving an untrusted model (catalog.trust permissive)",
    );
  }

  /** Before a pull: a remote source outside a non-empty `catalog.allow` is UNTRUSTED_ARTIFACT. */
  checkSource(ref: string): void {
    const { allow } = this.#policy;
    const kind = parseModelRef(ref);
    const remote = ["hf-file", "hf-quant", "ollama", "url"].includes(kind.kind);
    if (!remote || allow.length === 0 || allow.some((entry) => allowedBy(kind, entry))) return;
    throw new OrchError(
      "UNTRUSTED_ARTIFACT",
      `"${ref}" is not from a source catalog.allow lists (${allow.join(", ")}); add its source there or pull from one of them`,
    );
  }
}
