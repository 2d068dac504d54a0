// Catalog gRPC handlers: translate catalog messages to the model catalog's operations and back.
import type { UntypedHandleCall } from "@grpc/grpc-js";
import { OrchError } from "../common/errors.js";
import { unary } from "../common/grpc-unary.js";
import {
  type CatalogEntry,
  type CatalogServer,
  type CollectGarbageRequest,
  type CollectGarbageResponse,
  type CreateModelRequest,
  type DeleteModelResponse,
  type ImportModelsRequest,
  type ImportModelsResponse,
  type ListModelsResponse,
  type ModelRef,
  ModelState,
  type PinModelRequest,
  type SetModelStateRequest,
  Verification,
} from "../gen/llama_orch/v1/catalog.js";
import type { CatalogRecord, ModelState as StoredState } from "../store/catalog-store.js";
import type { ModelCatalog } from "./model-catalog.js";
import type { GcResult, ModelGc } from "./model-gc.js";
import type { ModelImports } from "./model-imports.js";
import type { ModelPulls } from "./model-pulls.js";
import { entryDistrust } from "./model-trust.js";
import { pullModelHandler } from "./pull-service.js";

const verificationCodes: Record<CatalogRecord["verification"], Verification> = {
  UNVERIFIED: Verification.VERIFICATION_UNVERIFIED,
  PASS: Verification.VERIFICATION_PASS,
  WARN: Verification.VERIFICATION_WARN,
  FAIL: Verification.VERIFICATION_FAIL,
};

export function toCatalogEntry(record: CatalogRecord): CatalogEntry {
  return {
    id: record.id,
    modelRef: record.modelRef,
    localPath: record.localPath,
    digest: record.digest,
    sizeBytes: record.sizeBytes,
    state:
      record.state === "RETIRED" ? ModelState.MODEL_STATE_RETIRED : ModelState.MODEL_STATE_ACTIVE,
    createdMs: record.createdMs,
    lastVerifiedMs: record.lastVerifiedMs ?? 0,
    verification: verificationCodes[record.verification],
    metadata: record.metadata,
    expectedDigest: record.expectedDigest ?? "",
    verificationDetail: record.verificationDetail ?? "",
    aliases: record.aliases ?? [],
    trusted: entryDistrust(record) === undefined,
    pinned: record.pinned === true,
    lastUsedMs: record.lastUsedMs ?? 0,
  };
}

function toCollectGarbageResponse(result: GcResult): CollectGarbageResponse {
  return {
    removed: result.removed.map((r) => ({
      id: r.id,
      localPath: r.localPath,
      sizeBytes: r.sizeBytes,
      lastUsedMs: r.lastUsedMs ?? 0,
    })),
    freedBytes: result.freedBytes,
    cacheBytes: result.cacheBytes,
    limitBytes: result.limitBytes,
    dryRun: result.dryRun,
  };
}

function toStoredState(state: ModelState): StoredState {
  if (state === ModelState.MODEL_STATE_ACTIVE) return "ACTIVE";
  if (state === ModelState.MODEL_STATE_RETIRED) return "RETIRED";
  throw new OrchError("INVALID_PARAMS", "state must be MODEL_STATE_ACTIVE or MODEL_STATE_RETIRED");
}

export function catalogService(
  catalog: ModelCatalog,
  pulls: ModelPulls,
  imports: ModelImports,
  gc: ModelGc,
): CatalogServer {
  const server: Record<keyof CatalogServer, UntypedHandleCall> = {
    createModel: unary<CreateModelRequest, CatalogEntry>(async (request) => {
      const record = await catalog.create(
        {
          id: request.id || undefined,
          modelRef: request.modelRef,
          digest: request.digest || undefined,
          metadata: request.metadata,
        },
        Date.now(),
      );
      return toCatalogEntry(record);
    }),
    getModel: unary<ModelRef, CatalogEntry>(async (request) =>
      toCatalogEntry(await catalog.get(request.id)),
    ),
    listModels: unary<object, ListModelsResponse>(async () => ({
      models: (await catalog.list()).map(toCatalogEntry),
    })),
    deleteModel: unary<ModelRef, DeleteModelResponse>(async (request) => {
      if (!(await catalog.delete(request.id))) {
        throw new OrchError("CATALOG_ENTRY_NOT_FOUND", `no catalog entry "${request.id}"`);
      }
      return { deleted: true };
    }),
    verifyModel: unary<ModelRef, CatalogEntry>(async (request) =>
      toCatalogEntry(await catalog.verify(request.id, Date.now())),
    ),
    setModelState: unary<SetModelStateRequest, CatalogEntry>(async (request) =>
      toCatalogEntry(await catalog.setState(request.id, toStoredState(request.state))),
    ),
    pullModel: pullModelHandler(pulls),
    pinModel: unary<PinModelRequest, CatalogEntry>(async (request) =>
      toCatalogEntry(await catalog.setPinned(request.id, request.pinned)),
    ),
    collectGarbage: unary<CollectGarbageRequest, CollectGarbageResponse>(async (request) => {
      if (request.maxBytes !== undefined && request.maxBytes < 0) {
        throw new OrchError("INVALID_PARAMS", "max_bytes must be >= 0");
      }
      return toCollectGarbageResponse(await gc.collect(request));
    }),
    importModels: unary<ImportModelsRequest, ImportModelsResponse>(async (request) => {
      const { records, skipped } = await imports.run(request);
      return { models: records.map(toCatalogEntry), skipped };
    }),
  };
  return server as unknown as CatalogServer;
}
