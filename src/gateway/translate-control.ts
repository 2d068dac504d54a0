// The one translation between the control plane's HTTP DTOs (control.yaml, snake_case JSON) and
// its proto messages: capabilities, pools, catalog and artifacts.
import { OrchError } from "../common/errors.js";
import type {
  Artifact,
  ArtifactRef as ArtifactRefProto,
  CreateArtifactRequest,
} from "../gen/llama_orch/v1/artifacts.js";
import {
  type CatalogEntry,
  type CollectGarbageRequest,
  type CollectGarbageResponse,
  type CreateModelRequest,
  ModelState,
  Verification,
} from "../gen/llama_orch/v1/catalog.js";
import type { Capabilities } from "../gen/llama_orch/v1/orchestrator.js";
import type {
  PoolHealth,
  PurgeRequest,
  PurgeResponse,
  ReloadResponse,
} from "../gen/llama_orch/v1/pool.js";
import type { components } from "../gen/openapi/control.js";

type Schemas = components["schemas"];
export type CapabilitiesDto = Schemas["Capabilities"];
export type PoolHealthDto = Schemas["PoolHealth"];
export type ReloadResponseDto = Schemas["ReloadResponse"];
export type PurgeRequestDto = Schemas["PurgeRequest"];
export type PurgeResponseDto = Schemas["PurgeResponse"];
export type CatalogModelDto = Schemas["CatalogModel"];
export type ArtifactDto = Schemas["Artifact"];
export type ArtifactRefDto = Schemas["ArtifactRef"];
export type ModelStateDto = Schemas["SetModelStateRequest"]["state"];
export type CatalogListEntryDto = Schemas["CatalogListEntry"];
export type GcRequestDto = Schemas["GcRequest"];
export type GcResultDto = Schemas["GcResult"];

/** CatalogModel fields with no proto field of their own: kept as JSON in the entry's metadata. */
const CATALOG_EXTRAS = ["tags", "manifests", "signatures", "sbom", "trust_policy"] as const;
const JSON_TYPE = "application/json";

export function toCapabilitiesDto(caps: Capabilities): CapabilitiesDto {
  return {
    api_version: caps.apiVersion,
    engines: caps.engines.map((e) => ({
      engine: e.engine as CapabilitiesDto["engines"][number]["engine"],
      engine_version: e.engineVersion,
      ctx_max: e.ctxMax,
      slots_total: e.slotsTotal,
      max_tokens_out: e.maxTokensOut,
      batching: e.batching,
      supported_workloads:
        e.supportedWorkloads as CapabilitiesDto["engines"][number]["supported_workloads"],
      models: e.models,
      untrusted_models: e.untrustedModels,
      pools: e.pools,
      rate_limits: {},
      features: e.features,
    })),
  };
}

export type PoolStateDto = NonNullable<PoolHealthDto["state"]>;

/**
 * One word for where a pool stands: `loading` until its first worker registers, `down` after a
 * failure until a worker registers again (last_error says why), `draining` while it takes no work.
 */
export function poolState(health: PoolHealth): PoolStateDto {
  if (health.state === "failed") return "failed";
  if (health.draining) return "draining";
  if (health.ready) return "ready";
  return health.lastError === "" ? "loading" : "down";
}

export function toPoolHealthDto(health: PoolHealth): PoolHealthDto {
  return {
    pool_id: health.poolId,
    state: poolState(health),
    live: health.live,
    ready: health.ready,
    draining: health.draining,
    last_error: health.lastError,
    model_ref: health.modelRef,
    engine_version: health.engineVersion,
    metrics: {
      queue_depth: health.queueDepth,
      slots_total: health.slotsTotal,
      slots_busy: health.slotsBusy,
      active_leases: health.activeLeases,
      model_digest: health.modelDigest,
      restarts: health.restarts,
      kv_cells_used: health.kvCellsUsed,
      kv_cells_total: health.kvCellsTotal,
      decode_tokens_per_second: health.decodeTokensPerSecond,
    },
  };
}

export function toReloadResponseDto(response: ReloadResponse): ReloadResponseDto {
  return {
    model_ref: response.modelRef,
    model_digest: response.modelDigest,
    duration_ms: response.durationMs,
  };
}

/** The engine is linked into the addon at install: there is no per-pool engine build to delete. */
export function toPurgeRequest(
  poolId: string,
  given: Partial<PurgeRequestDto> | null = {},
): PurgeRequest {
  const dto = given ?? {};
  if (dto.purge_engine || dto.delete_cache_dirs) {
    throw new OrchError(
      "INVALID_PARAMS",
      "purge_engine and delete_cache_dirs are not supported: the engine is linked into the addon " +
        "at install; rebuild it with `npm run build:addon` (a purge always starts a fresh worker)",
    );
  }
  return {
    poolId,
    purgeModels: dto.purge_models ?? [],
    drainFirst: dto.drain_first,
    deadlineMs: dto.deadline_ms ?? 0,
  };
}

export function toPurgeResponseDto(response: PurgeResponse): PurgeResponseDto {
  return { status: "accepted", model_files: response.modelFiles };
}

/** `source_url` is the model ref (builtin:…, file:…, a path); without one the id is the ref. */
export function toCreateModelRequest(dto: CatalogModelDto): CreateModelRequest {
  const metadata: Record<string, string> = {};
  for (const key of CATALOG_EXTRAS) {
    if (dto[key] !== undefined) metadata[key] = JSON.stringify(dto[key]);
  }
  return { id: dto.id, modelRef: dto.source_url ?? dto.id, digest: dto.digest, metadata };
}

export function toCatalogModelDto(entry: CatalogEntry): CatalogModelDto {
  const dto: CatalogModelDto = {
    id: entry.id,
    digest: entry.digest,
    source_url: entry.modelRef,
    state: entry.state === ModelState.MODEL_STATE_RETIRED ? "Retired" : "Active",
  };
  const extras = dto as Record<string, unknown>;
  for (const key of CATALOG_EXTRAS) {
    const raw = entry.metadata[key];
    if (raw !== undefined) extras[key] = JSON.parse(raw);
  }
  return dto;
}

export function toModelState(state: ModelStateDto): ModelState {
  return state === "Retired" ? ModelState.MODEL_STATE_RETIRED : ModelState.MODEL_STATE_ACTIVE;
}

const VERIFICATION_STATUS: Record<number, string> = {
  [Verification.VERIFICATION_PASS]: "pass",
  [Verification.VERIFICATION_WARN]: "warn",
  [Verification.VERIFICATION_FAIL]: "fail",
};

/** A list entry: the entry as created plus what the catalog learnt since (trust, pin, use). */
export function toCatalogListEntryDto(entry: CatalogEntry): CatalogListEntryDto {
  const status = VERIFICATION_STATUS[entry.verification] ?? "unverified";
  return {
    ...toCatalogModelDto(entry),
    state: entry.state === ModelState.MODEL_STATE_RETIRED ? "Retired" : "Active",
    aliases: entry.aliases,
    local_path: entry.localPath,
    size_bytes: entry.sizeBytes,
    verification: status as CatalogListEntryDto["verification"],
    trusted: entry.trusted,
    pinned: entry.pinned,
    last_used_ms: entry.lastUsedMs,
  };
}

export function toCollectGarbageRequest(
  dto: GcRequestDto | null | undefined,
): CollectGarbageRequest {
  return { dryRun: dto?.dry_run === true, maxBytes: dto?.max_bytes };
}

export function toGcResultDto(response: CollectGarbageResponse): GcResultDto {
  return {
    removed: response.removed.map((r) => ({
      id: r.id,
      local_path: r.localPath,
      size_bytes: r.sizeBytes,
      last_used_ms: r.lastUsedMs,
    })),
    freed_bytes: response.freedBytes,
    cache_bytes: response.cacheBytes,
    limit_bytes: response.limitBytes,
    dry_run: response.dryRun,
  };
}

/** Verification runs synchronously, so the 202 body carries its result. */
export function toVerifyDto(entry: CatalogEntry): Record<string, unknown> {
  return {
    status: VERIFICATION_STATUS[entry.verification] ?? "unverified",
    digest: entry.digest,
    last_verified_ms: entry.lastVerifiedMs,
    detail: entry.verificationDetail,
  };
}

/** Content is a JSON object (control.yaml); it is stored as its JSON bytes. */
export function toCreateArtifactRequest(dto: ArtifactDto): CreateArtifactRequest {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(dto.metadata ?? {})) {
    metadata[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return {
    kind: dto.kind,
    content: Buffer.from(JSON.stringify(dto.content)),
    contentType: JSON_TYPE,
    tags: dto.tags ?? [],
    parent: dto.parent ?? "",
    metadata,
  };
}

export function toArtifactRefDto(artifact: Artifact): ArtifactRefDto {
  return {
    id: artifact.id,
    kind: artifact.kind as ArtifactRefDto["kind"],
    digest: artifact.id,
    created_ms: artifact.createdMs,
    tags: artifact.tags,
  };
}

/** JSON content comes back as the object; other content (transcripts) as base64 in an object. */
export function toArtifactDto(artifact: Artifact): ArtifactDto {
  const bytes = Buffer.from(artifact.content);
  const content: Record<string, unknown> = artifact.contentType.startsWith(JSON_TYPE)
    ? (JSON.parse(bytes.toString("utf8")) as Record<string, unknown>)
    : { content_type: artifact.contentType, encoding: "base64", data: bytes.toString("base64") };
  const dto: ArtifactDto = {
    kind: artifact.kind as ArtifactDto["kind"],
    content,
    tags: artifact.tags,
    metadata: artifact.metadata,
  };
  if (artifact.parent) dto.parent = artifact.parent;
  return dto;
}

export function toArtifactRef(id: string): ArtifactRefProto {
  return { id };
}
