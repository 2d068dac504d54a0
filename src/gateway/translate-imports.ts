// POST /v1/models/import's one translation: the HTTP request to ImportModels and its reply back.
import {
  type CatalogEntry,
  type ImportModelsRequest,
  type ImportModelsResponse,
  Verification,
} from "../gen/llama_orch/v1/catalog.js";
import type { components } from "../gen/openapi/control.js";

type Schemas = components["schemas"];
export type ImportRequestDto = Schemas["ImportRequest"];

export function toImportModelsRequest(dto: ImportRequestDto | undefined): ImportModelsRequest {
  return {
    hfCacheDir: dto?.hf_cache_dir ?? "",
    ollamaDir: dto?.ollama_dir ?? "",
    stores: dto?.stores ?? [],
  };
}

function toImportedModelDto(entry: CatalogEntry): Schemas["ImportedModel"] {
  const store = entry.metadata.local_store;
  return {
    id: entry.id,
    aliases: entry.aliases,
    digest: entry.digest,
    verified: entry.verification === Verification.VERIFICATION_PASS,
    local_path: entry.localPath,
    ...(store === "hf-cache" || store === "ollama-store" ? { local_store: store } : {}),
  };
}

export function toImportResultDto(reply: ImportModelsResponse): Schemas["ImportResult"] {
  return {
    models: reply.models.map(toImportedModelDto),
    skipped: reply.skipped.map(({ path, reason }) => ({ path, reason })),
  };
}
