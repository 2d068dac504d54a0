// The shared Bearer token (DESIGN decision 1) on the worker's gRPC edges: checked in, sent out.
import { createHash, timingSafeEqual } from "node:crypto";
import { Metadata, ServerInterceptingCall, type ServerInterceptor, status } from "@grpc/grpc-js";

/** Hashing both sides gives equal lengths, so the comparison takes the same time for any input. */
function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** Rejects every call whose `authorization` metadata is not `Bearer <token>`. */
export function requireBearer(token: string): ServerInterceptor {
  const expected = digest(`Bearer ${token}`);
  return (_method, call) => {
    const intercepted: ServerInterceptingCall = new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            const [given] = metadata.get("authorization");
            if (typeof given === "string" && timingSafeEqual(digest(given), expected)) {
              pass(metadata);
              return;
            }
            intercepted.sendStatus({
              code: status.UNAUTHENTICATED,
              details: "missing or wrong bearer token: send `authorization: Bearer $AUTH_TOKEN`",
            });
          },
        }),
    });
    return intercepted;
  };
}

/** Metadata for calls to the control plane; empty without a token. */
export function bearerMetadata(token: string | undefined): Metadata {
  const metadata = new Metadata();
  if (token) metadata.set("authorization", `Bearer ${token}`);
  return metadata;
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "");
  return bare === "localhost" || bare === "::1" || /^127\.\d+\.\d+\.\d+$/.test(bare);
}
