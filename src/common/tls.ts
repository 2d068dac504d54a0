// TLS material read once from PEM files and turned into each edge's credentials: mutual TLS on
// every gRPC server and client (each side presents a certificate the other verifies against the
// CA), and the HTTPS gateway's server options.
import { readFileSync } from "node:fs";
import { checkServerIdentity, type PeerCertificate } from "node:tls";
import { type ChannelCredentials, credentials, ServerCredentials } from "@grpc/grpc-js";
import { OrchError } from "./errors.js";
import { isLoopbackHost } from "./grpc-auth.js";

export interface TlsFiles {
  /** PEM certificate chain this process presents, as a server and as a client. */
  certFile: string;
  keyFile: string;
  /** PEM CA bundle that signs the peers' certificates. */
  caFile: string;
}

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
  /** Where it came from, for messages. */
  files: TlsFiles;
}

function readPem(path: string, what: string, flag: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (error) {
    throw new OrchError(
      "INVALID_PARAMS",
      `cannot read the TLS ${what} ${path} (${(error as Error).message}): fix ${flag}`,
    );
  }
  if (!pem.includes("-----BEGIN ")) {
    throw new OrchError("INVALID_PARAMS", `the TLS ${what} ${path} is not PEM: fix ${flag}`);
  }
  return pem;
}

/** `flags` names the setting of each file in messages (config keys or command-line flags). */
export function readTls(
  files: TlsFiles,
  flags = { cert: "tls.cert_file", key: "tls.key_file", ca: "tls.ca_file" },
): TlsMaterial {
  return {
    cert: readPem(files.certFile, "certificate", flags.cert),
    key: readPem(files.keyFile, "key", flags.key),
    ca: readPem(files.caFile, "CA bundle", flags.ca),
    files,
  };
}

/** With TLS, a server that only accepts clients presenting a certificate signed by the CA. */
export function grpcServerCredentials(tls: TlsMaterial | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(
    tls.ca,
    [{ private_key: tls.key, cert_chain: tls.cert }],
    true,
  );
}

/**
 * Credentials for dialling `target` (host:port). The server's chain is always verified against the
 * CA; its name is checked too, except on loopback, where a local pool's worker serves with a
 * certificate issued for the host's network names rather than for 127.0.0.1.
 */
export function grpcClientCredentials(
  tls: TlsMaterial | undefined,
  target: string,
): ChannelCredentials {
  if (!tls) return credentials.createInsecure();
  const host = target.slice(0, target.lastIndexOf(":"));
  // A wildcard address dialled is this host too.
  const loopback = isLoopbackHost(host) || host === "0.0.0.0" || host === "[::]";
  return credentials.createSsl(tls.ca, tls.key, tls.cert, {
    checkServerIdentity: (name: string, cert: PeerCertificate) =>
      loopback ? undefined : checkServerIdentity(name, cert),
  });
}

/** Node `https` / `http2.createSecureServer` options: this process's certificate, no client cert. */
export function httpsOptions(tls: TlsMaterial): { cert: Buffer; key: Buffer; ca: Buffer } {
  return { cert: tls.cert, key: tls.key, ca: tls.ca };
}
