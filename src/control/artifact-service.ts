// Artifacts gRPC handlers: validate at the edge, store content-addressed, read back by id.
import type { UntypedHandleCall } from "@grpc/grpc-js";
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

/** ListArtifacts answers this many when the request names no limit, and never more than MAX_LIST. */
const DEFAULT_LIST = 100;
const MAX_LIST = 1000;

export function artifactService(artifacts: ArtifactStore): ArtifactsServer {
  const server: Record<keyof ArtifactsServer, UntypedHandleCall> = {
    createArtifact: unary<CreateArtifactRequest, Artifact>(async (request) => {
      const meta = await artifacts.put(
        {
          kind: toKind(request.kind),
          content: request.content,
          contentType: request.contentType,
          tags: request.tags,
          parent: request.parent ? checkId(request.parent, "parent") : undefined,
          metadata: request.metadata,
        },
        Date.now(),
      );
      return toArtifact(meta, request.content);
    }),
    getArtifact: unary<ArtifactRef, Artifact>(async (request) => {
      const artifact = await artifacts.get(checkId(request.id, "id"));
      if (!artifact) throw new OrchError("ARTIFACT_NOT_FOUND", `no artifact ${request.id}`);
      return toArtifact(artifact, artifact.content);
    }),
    listArtifacts: unary<ListArtifactsRequest, ListArtifactsResponse>(async (request) => {
      const kind = request.kind ? toKind(request.kind) : undefined;
      const limit = request.limit > 0 ? Math.min(request.limit, MAX_LIST) : DEFAULT_LIST;
      const metas = await artifacts.list(kind, limit);
      return { artifacts: metas.map((meta) => toArtifact(meta, new Uint8Array())) };
    }),
  };
  return server as unknown as ArtifactsServer;
}
