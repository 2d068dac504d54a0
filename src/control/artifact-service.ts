// Artifacts gRPC handlers: validate at the edge, store content-addressed, read back by id.
import type { UntypedHandleCall } from "@grpc/grpc-js";
import { callerOwner, canSee } from "../common/artifact-owner.js";
import { OrchError } from "../common/errors.js";
import type {
  Artifact,
  ArtifactRef,
  ArtifactsServer,
  CreateArtifactRequest,
  ListArtifactsRequest,
  ListArtifactsResponse,
} from "../gen/llama_orch/v1/artifacts.js";
import {
  type ArtifactKind,
  type ArtifactMeta,
  type ArtifactStore,
  artifactKinds,
  isArtifactId,
} from "../store/artifact-store.js";
import { unary } from "./grpc-unary.js";

const DEFAULT_PAGE = 20;
const MAX_PAGE = 100;
const SCAN_BATCH = 256;

function toKind(kind: string): ArtifactKind {
  const known = artifactKinds.find((k) => k === kind);
  if (!known) {
    throw new OrchError(
      "INVALID_PARAMS",
      `kind "${kind}" is not one of ${artifactKinds.join(", ")}`,
    );
  }
  return known;
}

function checkId(id: string, field: string): string {
  if (!isArtifactId(id)) {
    throw new OrchError("INVALID_PARAMS", `${field} "${id}" is not an artifact id (sha256:<hex>)`);
  }
  return id;
}

export function toArtifact(meta: ArtifactMeta, content: Uint8Array): Artifact {
  return {
    id: meta.id,
    kind: meta.kind,
    content: Buffer.from(content),
    contentType: meta.contentType,
    tags: meta.tags,
    createdMs: meta.createdMs,
    parent: meta.parent ?? "",
    metadata: meta.metadata,
    sizeBytes: meta.sizeBytes,
  };
}

/** Up to `limit` records `caller` may see after `after`, and whether more follow. */
async function visiblePage(
  artifacts: ArtifactStore,
  after: string,
  limit: number,
  caller: string | undefined,
): Promise<{ shown: ArtifactMeta[]; more: boolean }> {
  const shown: ArtifactMeta[] = [];
  for (let cursor = after; ; ) {
    const batch = await artifacts.page(cursor, SCAN_BATCH);
    for (const meta of batch) {
      if (!canSee(meta.owners, caller)) continue;
      if (shown.length === limit) return { shown, more: true };
      shown.push(meta);
    }
    const last = batch.at(-1);
    if (batch.length < SCAN_BATCH || !last) return { shown, more: false };
    cursor = last.id;
  }
}

export function artifactService(artifacts: ArtifactStore): ArtifactsServer {
  const server: Record<keyof ArtifactsServer, UntypedHandleCall> = {
    createArtifact: unary<CreateArtifactRequest, Artifact>(async (request, call) => {
      const owner = callerOwner(call.metadata);
      const meta = await artifacts.put(
        {
          kind: toKind(request.kind),
          content: request.content,
          contentType: request.contentType,
          tags: request.tags,
          parent: request.parent ? checkId(request.parent, "parent") : undefined,
          metadata: request.metadata,
          owner,
        },
        Date.now(),
      );
      return toArtifact(meta, request.content);
    }),
    listArtifacts: unary<ListArtifactsRequest, ListArtifactsResponse>(async (request, call) => {
      const limit = request.limit === 0 ? DEFAULT_PAGE : request.limit;
      if (limit < 1 || limit > MAX_PAGE)
        throw new OrchError("INVALID_PARAMS", `limit ${limit} is not within 1..${MAX_PAGE}`);
      const after = request.pageToken ? checkId(request.pageToken, "page_token") : "";
      const { shown, more } = await visiblePage(
        artifacts,
        after,
        limit,
        callerOwner(call.metadata),
      );
      return {
        artifacts: shown.map((meta) => toArtifact(meta, new Uint8Array())),
        nextPageToken: more ? (shown.at(-1)?.id ?? "") : "",
      };
    }),
    getArtifact: unary<ArtifactRef, Artifact>(async (request, call) => {
      const artifact = await artifacts.get(checkId(request.id, "id"));
      // Another identity's artifact reads as absent: its existence is not disclosed.
      if (!artifact || !canSee(artifact.owners, callerOwner(call.metadata)))
        throw new OrchError("ARTIFACT_NOT_FOUND", `no artifact ${request.id}`);
      return toArtifact(artifact, artifact.content);
    }),
  };
  return server as unknown as ArtifactsServer;
}
