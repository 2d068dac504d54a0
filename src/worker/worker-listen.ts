// Where a worker listens and what it demands of callers: bind, auth, TLS flags, the advertised address.
import { hostname } from "node:os";
import type { Server } from "@grpc/grpc-js";
import { OrchError } from "../common/errors.js";
import { isLoopbackHost, requireBearer } from "../common/grpc-auth.js";
import { grpcServerCredentials, type TlsMaterial } from "../common/tls.js";

/** What a listening worker was told about callers and its address (a part of its options). */
export interface ListenOptions {
  authToken?: string;
  authOptional?: boolean;
  advertise?: string;
}

export function splitHostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(":");
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

export function checkAuth(options: ListenOptions, listen: string): void {
  if (options.authToken || isLoopbackHost(splitHostPort(listen).host)) return;
  throw new OrchError(
    "INVALID_PARAMS",
    `refusing to serve on ${listen} without a token: set AUTH_TOKEN, or listen on 127.0.0.1`,
  );
}

export function interceptors(options: ListenOptions, listen: string) {
  const token = options.authToken;
  if (!token) return [];
  if (options.authOptional && isLoopbackHost(splitHostPort(listen).host)) return [];
  return [requireBearer(token)];
}

export const TLS_FLAGS = { cert: "--tls-cert", key: "--tls-key", ca: "--tls-ca" };

export function bind(
  server: Server,
  listen: string,
  tls: TlsMaterial | undefined,
): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(listen, grpcServerCredentials(tls), (error, port) => {
      if (error)
        reject(new OrchError("INVALID_PARAMS", `cannot listen on ${listen}: ${error.message}`));
      else resolve(port);
    });
  });
}

/** The address registered: a wildcard bind is reachable by this host's name, not by 0.0.0.0. */
export function advertised(options: ListenOptions, host: string, port: number): string {
  if (options.advertise) return options.advertise;
  const wildcard = host === "0.0.0.0" || host === "[::]";
  return `${wildcard ? hostname() : host}:${port}`;
}
