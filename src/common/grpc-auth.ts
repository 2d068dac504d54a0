// The shared Bearer token (DESIGN decision 1) on gRPC edges: checked on servers, sent by clients.
import { createHash, timingSafeEqual } from "node:crypto";
import {
  InterceptingCall,
  type Interceptor,
  Metadata,
  ServerInterceptingCall,
  type ServerInterceptor,
  status,
} from "@grpc/grpc-js";

/** Hashing both sides gives equal lengths, so the comparison takes the same time for any input. */
function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** The credential of an `Authorization` value; the scheme name is case-insensitive (RFC 7235). */
export function bearerCredential(header: string): string | undefined {
  const match = /^bearer +(\S+)$/i.exec(header);
  return match?.[1];
}

/** Constant-time comparison of a header's Bearer credential with the token. */
export function bearerMatches(header: string, token: string): boolean {
  return timingSafeEqual(digest(bearerCredential(header) ?? ""), digest(token));
}

/** The standard health service answers without a token (decision 1), as grpc_health_probe sends none. */
const PUBLIC_SERVICE = "/grpc.health.v1.Health/";

/** Rejects every call whose `authorization` metadata is not `Bearer <token>`, health aside. */
export function requireBearer(token: string): ServerInterceptor {
  return (method, call) => {
    if (method.path.startsWith(PUBLIC_SERVICE)) return new ServerInterceptingCall(call);
    const intercepted: ServerInterceptingCall = new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            const [given] = metadata.get("authorization");
            if (typeof given === "string" && bearerMatches(given, token)) {
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
  // A peer address may come IPv4-mapped ("::ffff:127.0.0.1") from a dual-stack socket.
  const bare = host.replace(/^\[|\]$/g, "").replace(/^::ffff:/i, "");
  return bare === "localhost" || bare === "::1" || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

/** A client interceptor that sends the token on every call (none without a token). */
export function sendBearer(token: string | undefined): Interceptor[] {
  if (!token) return [];
  const value = `Bearer ${token}`;
  return [
    (options, next) =>
      new InterceptingCall(next(options), {
        start: (metadata, listener, start) => {
          metadata.set("authorization", value);
          start(metadata, listener);
        },
      }),
  ];
}
