// Artifacts gRPC handlers: validate at the edge, store content-addressed, read back by id.
import type { UntypedHandleCall } from "@grpc/grpc-js";
import { callerOwner, canSee } from "../common/artifact-owner.js";
import { OrchError } from "../common/errors.js";
import { unary } from "../common/grpc-unary.js";
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
import { listArtifacts } from "./artifact-list.js";

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
    getArtifact: unary<ArtifactRef, Artifact>(async (request, call) => {
      const artifact = await artifacts.get(checkId(request.id, "id"));
      // Another identity's artifact reads as absent: its existence is not disclosed.
      if (!artifact || !canSee(artifact.owners, callerOwner(call.metadata)))
        throw new OrchError("ARTIFACT_NOT_FOUND", `no artifact ${request.id}`);
      return toArtifact(artifact, artifact.content);
    }),
    listArtifacts: unary<ListArtifactsRequest, ListArtifactsResponse>(async (request, call) => {
      const { shown, next } = await listArtifacts(artifacts, {
        kind: request.kind ? toKind(request.kind) : undefined,
        limit: request.limit,
        pageToken: request.pageToken,
        caller: callerOwner(call.metadata),
      });
      const list = shown.map((meta) => toArtifact(meta, new Uint8Array()));
      return { artifacts: list, nextPageToken: next };
    }),
  };
  return server as unknown as ArtifactsServer;
}
