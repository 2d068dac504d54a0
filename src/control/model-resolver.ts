// Resolves the model a pool is to serve (config `model`, a reload) to the file its worker loads:
// catalog names through the catalog (with a handoff JSON for the worker), `hf:`/URL refs by
// pulling them first, paths confined; the trust policy judges each before any load.
import { OrchError } from "../common/errors.js";
import { confineModelPath } from "../models/model-dirs.js";
import { writeHandoff } from "../models/model-handoff.js";
import { parseModelRef } from "../models/model-ref-kind.js";
import type { PullEvent } from "../models/pull/pull-events.js";
import type { CatalogRecord } from "../store/catalog-store.js";
import type { ModelCatalog } from "./model-catalog.js";
import type { ModelPulls } from "./model-pulls.js";
import { distrust, entryDistrust, type ModelTrust } from "./model-trust.js";

export interface ServableModel {
  /** The name the pool reports, as given. */
  modelRef: string;
  /** The file for the worker; "" when the worker resolves the ref itself (builtin:). */
  modelPath: string;
  /** The handoff JSON of a catalog entry, the worker loads from it checking the digest; "" none. */
  handoffPath: string;
}

/** `configured`: the name is a pool's config `model`, whose folder the operator already chose. */
export type ResolveModel = (name: string, configured?: boolean) => Promise<ServableModel>;

export interface ResolverDeps {
  catalog: ModelCatalog;
  pulls: ModelPulls;
  modelDirs: readonly string[];
  trust: ModelTrust;
  /** Where handoff JSONs are written (`<data_dir>/handoff`). */
  handoffDir: string;
}

function pulled(pulls: ModelPulls, ref: string): Promise<string> {
  return new Promise((resolve, reject) => {
    pulls.start(ref).subscribe((event: PullEvent) => {
      if (event.type === "done") resolve(event.id);
      if (event.type === "error") reject(new OrchError(event.code, event.message));
    });
  });
}

/** The handoff of an entry: what the worker loads and the digest it must find. */
function handoffOf(entry: CatalogRecord) {
  const ctx = Number(entry.metadata["gguf.ctx_max"]);
  return {
    model: {
      id: entry.id,
      path: entry.localPath,
      digest: entry.digest,
      verified: entry.verification === "PASS",
    },
    metadata: {
      ...entry.metadata,
      size_bytes: entry.sizeBytes,
      ctx_max: Number.isFinite(ctx) && ctx > 0 ? ctx : null,
    },
  };
}

export function modelResolver(deps: ResolverDeps): ResolveModel {
  const { catalog, pulls, modelDirs, trust } = deps;
  return async (name, configured = false) => {
    const kind = parseModelRef(name);
    if (kind.kind === "builtin") return { modelRef: name, modelPath: "", handoffPath: "" };
    if (kind.kind === "path") {
      // A configured path loads as before (the worker resolves it); a reload's is confined.
      const modelPath = configured ? "" : await confineModelPath(kind.path, modelDirs);
      trust.admit(name, distrust(name, await catalog.list()));
      return { modelRef: name, modelPath, handoffPath: "" };
    }
    // A pull is judged by its source here (catalog.allow) and by its digest below.
    const id = kind.kind === "catalog" ? name : await pulled(pulls, name);
    const entry = await catalog.lookup(id);
    if (!entry) {
      throw new OrchError(
        "CATALOG_ENTRY_NOT_FOUND",
        `"${name}" is no catalog id or alias; pull it first (llama-orch models pull REF --alias ${name}) or name a ref`,
      );
    }
    if (entry.state === "RETIRED") {
      throw new OrchError("MODEL_DEPRECATED", `model "${name}" is retired; choose an active model`);
    }
    trust.admit(name, entryDistrust(entry));
    const handoffPath = await writeHandoff(deps.handoffDir, handoffOf(entry));
    await catalog.touch(entry.id, Date.now());
    return { modelRef: name, modelPath: entry.localPath, handoffPath };
  };
}
