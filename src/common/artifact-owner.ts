// Who an artifact belongs to: the gateway sends the caller's identity as gRPC metadata; the main
// token's identity ("token:...") and a direct gRPC caller (who passed the edge's token check)
// are the admin, who sees every artifact.
import type { Metadata } from "@grpc/grpc-js";
import { Metadata as GrpcMetadata } from "@grpc/grpc-js";

export const OWNER_KEY = "x-llama-orch-owner";

export function ownerMetadata(identity: string): Metadata {
  const metadata = new GrpcMetadata();
  metadata.set(OWNER_KEY, identity);
  return metadata;
}

/** Who the gateway says is calling (the admin too); undefined for a direct gRPC caller. */
export function callerIdentity(metadata: Metadata): string | undefined {
  const [value] = metadata.get(OWNER_KEY);
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The identity of the caller; undefined for the admin. */
export function callerOwner(metadata: Metadata): string | undefined {
  const [value] = metadata.get(OWNER_KEY);
  if (typeof value !== "string" || value.startsWith("token:")) return undefined;
  return value;
}

/** Records without owners (task transcripts) are visible to all. */
export function canSee(owners: readonly string[] | undefined, caller: string | undefined): boolean {
  return caller === undefined || owners === undefined || owners.includes(caller);
}
