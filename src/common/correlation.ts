// The correlation id that groups one request's log lines across processes (gateway, control plane,
// worker), carried between them in gRPC metadata.
import { Metadata } from "@grpc/grpc-js";

const CORRELATION_KEY = "x-correlation-id";

/** Metadata carrying `id`; empty for none. */
export function correlationMetadata(id: string | undefined): Metadata {
  const metadata = new Metadata();
  if (id) metadata.set(CORRELATION_KEY, id);
  return metadata;
}

/** The caller's correlation id, if it sent one. */
export function correlationOf(metadata: Metadata): string | undefined {
  const [value] = metadata.get(CORRELATION_KEY);
  return typeof value === "string" && value.length > 0 ? value : undefined;
}
