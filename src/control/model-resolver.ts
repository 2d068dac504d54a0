// Resolves the model a pool is to serve (config `model`, a reload) to the file its worker loads:
// catalog names through the catalog, `hf:`/URL refs by pulling them first, paths confined.
import { OrchError } from "../common/errors.js";
import { confineModelPath } from "../models/model-dirs.js";
import { parseModelRef } from "../models/model-ref-kind.js";
import type { PullEvent } from "../models/pull/pull-events.js";
import type { ModelCatalog } from "./model-catalog.js";
import type { ModelPulls } from "./model-pulls.js";

export interface ServableModel {
  /** The name the pool reports, as given. */
  modelRef: string;
  /** The file for the worker; "" when the worker resolves the ref itself (builtin:). */
  modelPath: string;
}

export type ResolveModel = (name: string) => Promise<ServableModel>;

function pulled(pulls: ModelPulls, ref: string): Promise<string> {
  return new Promise((resolve, reject) => {
    pulls.start(ref).subscribe((event: PullEvent) => {
      if (event.type === "done") resolve(event.id);
      if (event.type === "error") reject(new OrchError(event.code, event.message));
    });
  });
}

export function modelResolver(
  catalog: ModelCatalog,
  pulls: ModelPulls,
  modelDirs: readonly string[],
): ResolveModel {
  return async (name) => {
    const kind = parseModelRef(name);
    if (kind.kind === "builtin") return { modelRef: name, modelPath: "" };
    if (kind.kind === "path") {
      return { modelRef: name, modelPath: await confineModelPath(kind.path, modelDirs) };
    }
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
    return { modelRef: name, modelPath: entry.localPath };
  };
}
