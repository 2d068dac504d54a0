// The HTTP edge's Bearer check (SPEC section 11, DESIGN decision 1): one shared token, compared in
// constant time; loopback callers may skip it only under AUTH_OPTIONAL, and under TRUST_PROXY_AUTH a
// reverse proxy on this host may vouch for its callers with an Authorization header of its own.
import { createHash } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { bearerCredential, bearerMatches, isLoopbackHost } from "../common/grpc-auth.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The token may also come as `x-api-key` (the Anthropic surface only, decision 1). */
    apiKeyHeader?: boolean;
  }
}

export interface AuthSettings {
  token: string | undefined;
  optional: boolean;
  /**
   * TRUST_PROXY_AUTH (AUTH-1006): a Bearer header arriving from loopback is taken as the reverse
   * proxy's word that it authenticated the caller, whatever the credential. The risk: any process
   * on this host can send one (header spoofing); enable it only when the proxy is the sole local
   * client. Callers from other hosts must still present AUTH_TOKEN itself.
   */
  trustProxy?: boolean;
}

/** The token's fingerprint for logs: the first 6 hex digits of its SHA-256; never the token. */
export function tokenFingerprint(token: string): string {
  return createHash("sha256").update(token).digest("hex").slice(0, 6);
}

/** The caller's identity for logs, or an auth error body to answer with (and its status). */
export type AuthOutcome =
  | { ok: true; identity: string }
  | { ok: false; status: 401; body: { code: number; message: string; hint: string } };

/** 40101 MISSING_TOKEN, with a hint fitting where the token was wanted. */
export function missingToken(hint: string): Extract<AuthOutcome, { ok: false }> {
  return { ok: false, status: 401, body: { code: 40101, message: "MISSING_TOKEN", hint } };
}

/**
 * The credential as an Authorization value. Routes with `config.apiKeyHeader` (the Anthropic
 * surface, decision 1) also take the token in `x-api-key`, which is what that SDK sends.
 */
function credentialOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined || !request.routeOptions.config.apiKeyHeader) return header;
  const key = request.headers["x-api-key"];
  return typeof key === "string" ? `Bearer ${key}` : undefined;
}

export function authenticate(request: FastifyRequest, auth: AuthSettings): AuthOutcome {
  const loopback = isLoopbackHost(request.socket.remoteAddress ?? "");
  if (!auth.token) return { ok: true, identity: loopback ? "localhost" : "anonymous" };
  const header = credentialOf(request);
  if (header === undefined) {
    if (auth.optional && loopback) return { ok: true, identity: "localhost" };
    const where = request.routeOptions.config.apiKeyHeader ? " or `x-api-key: $AUTH_TOKEN`" : "";
    return missingToken(`send \`Authorization: Bearer $AUTH_TOKEN\`${where}`);
  }
  const credential = bearerCredential(header);
  // The main token is the admin identity (artifacts: sees all) even behind a trusted proxy.
  if (bearerMatches(header, auth.token)) {
    return { ok: true, identity: `token:${tokenFingerprint(auth.token)}` };
  }
  if (auth.trustProxy && loopback && credential !== undefined) {
    return { ok: true, identity: `proxy:${tokenFingerprint(credential)}` };
  }
  if (!bearerMatches(header, auth.token)) {
    return {
      ok: false,
      status: 401,
      body: {
        code: 40102,
        message: "BAD_TOKEN",
        hint: "the Bearer token does not match AUTH_TOKEN",
      },
    };
  }
  return { ok: true, identity: `token:${tokenFingerprint(auth.token)}` };
}

/** Refuses to listen beyond loopback without a token (AUTH-1002): returns the error text or undefined. */
export function bindRefusal(host: string, auth: AuthSettings): string | undefined {
  if (auth.token || isLoopbackHost(host)) return undefined;
  return (
    `NON_LOOPBACK_WITHOUT_TOKEN (40301): refusing to bind ${host} without AUTH_TOKEN set ` +
    "(AUTH_OPTIONAL=true only applies to loopback)"
  );
}

export function sendAuthError(reply: FastifyReply, outcome: Extract<AuthOutcome, { ok: false }>) {
  return reply.code(outcome.status).send(outcome.body);
}
