// `llama-orch models import`: registers the models already in the Hugging Face hub cache and
// Ollama's store of the control plane's machine, in place; prints what it registered and skipped.
import type { CatalogClient, ImportModelsRequest } from "../gen/llama_orch/v1/catalog.js";

export interface ImportOptions {
  /** `--hf-cache [DIR]`: true without a folder (the server's default cache). */
  hfCache?: string | boolean;
  ollama?: string | boolean;
  json: boolean;
}

/** Both stores unless one is named; a named folder overrides that store's default. */
export function importRequest(options: ImportOptions): ImportModelsRequest {
  const stores = [
    ...(options.hfCache ? ["hf-cache"] : []),
    ...(options.ollama ? ["ollama-store"] : []),
  ];
  return {
    hfCacheDir: typeof options.hfCache === "string" ? options.hfCache : "",
    ollamaDir: typeof options.ollama === "string" ? options.ollama : "",
    stores,
  };
}

export function importModels(client: CatalogClient, options: ImportOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    client.importModels(importRequest(options), (error, reply) => {
      if (error) return reject(error);
      for (const entry of reply.models) {
        const names = [entry.id, ...entry.aliases].join(",");
        process.stdout.write(
          options.json
            ? `${JSON.stringify(entry)}\n`
            : `${names}\t${entry.digest.slice(0, 19)}\t${entry.localPath}\n`,
        );
      }
      for (const skip of reply.skipped) {
        process.stderr.write(`skipped ${skip.path}: ${skip.reason}\n`);
      }
      if (!options.json) process.stderr.write(`${reply.models.length} model(s) imported\n`);
      resolve();
    });
  });
}
