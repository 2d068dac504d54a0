// An Ollama registry stand-in on loopback speaking its real protocol: OCI v2 manifests by tag,
// blobs by digest answered with a 307 to a "CDN" on another port (Range, drops), 404s, and
// repos behind the OCI anonymous token flow (401 + WWW-Authenticate: Bearer realm=...).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type CdnRequest, cdnHandler, listen, sha256 } from "./fixture-hub.js";

export const MODEL_LAYER = "application/vnd.ollama.image.model";

export interface RegistryRequest {
  method: string;
  path: string;
  accept?: string;
  authorization?: string;
}

export interface FixtureRegistry {
  endpoint: string;
  /** Every request the registry itself answered, in order. */
  requests: RegistryRequest[];
  cdnRequests: CdnRequest[];
  /** The next N CDN bodies stop (socket destroyed) after this many bytes. */
  dropAfter: { bytes: number; times: number };
  chunkDelayMs: number;
  /** Repos (`ns/name`) whose manifests and blobs need a token from the realm. */
  tokenRepos: Set<string>;
  /** Publishes `repo:tag` (e.g. `library/tiny:latest`); returns the manifest's JSON text. */
  publish(repo: string, tag: string, layers: PublishedLayer[]): string;
  close(): Promise<void>;
}

export interface PublishedLayer {
  mediaType: string;
  bytes: Buffer;
  /** Serve other bytes of the same length: the digest in the manifest will not match. */
  corrupt?: boolean;
}

/** The manifest JSON `ollama pull` receives: a config blob plus the layers. */
export function manifestOf(layers: PublishedLayer[]): string {
  const config = Buffer.from(JSON.stringify({ model_format: "gguf", model_family: "llama" }));
  const describe = (mediaType: string, bytes: Buffer) => ({
    mediaType,
    digest: `sha256:${sha256(bytes)}`,
    size: bytes.length,
  });
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.docker.distribution.manifest.v2+json",
    config: describe("application/vnd.docker.container.image.v1+json", config),
    layers: layers.map((l) => describe(l.mediaType, l.bytes)),
  });
}

function notFound(res: ServerResponse, code: string): void {
  res.writeHead(404, { "content-type": "application/json" });
  res.end(JSON.stringify({ errors: [{ code, message: `${code.toLowerCase()}` }] }));
}

function registryHandler(
  registry: FixtureRegistry,
  manifests: Map<string, string>,
  blobs: Map<string, Buffer>,
  cdn: () => string,
  self: () => string,
) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? "";
    const { accept, authorization } = req.headers;
    registry.requests.push({ method: req.method ?? "", path, accept, authorization });
    const token = /^\/token\?service=fixture&scope=repository%3A([^%]+%2F[^%]+)%3Apull$/.exec(path);
    if (token) {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify({ token: `t-${decodeURIComponent(token[1] ?? "")}` }));
    }
    const manifest = /^\/v2\/([^/]+\/[^/]+)\/manifests\/([^/]+)$/.exec(path);
    const blob = /^\/v2\/([^/]+\/[^/]+)\/blobs\/sha256:([0-9a-f]{64})$/.exec(path);
    const repo = (manifest ?? blob)?.[1] ?? "";
    if (registry.tokenRepos.has(repo) && authorization !== `Bearer t-${repo}`) {
      const realm = `realm="${self()}/token",service="fixture",scope="repository:${repo}:pull"`;
      res.writeHead(401, { "www-authenticate": `Bearer ${realm}` });
      return res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED" }] }));
    }
    if (manifest) {
      const text = manifests.get(`${manifest[1]}:${decodeURIComponent(manifest[2] ?? "")}`);
      if (text === undefined) return notFound(res, "MANIFEST_UNKNOWN");
      res.writeHead(200, {
        "content-type": "application/vnd.docker.distribution.manifest.v2+json",
        "docker-content-digest": `sha256:${sha256(Buffer.from(text))}`,
      });
      return res.end(text);
    }
    if (blob && blobs.has(`/blobs/${blob[2]}`)) {
      // The real registry redirects every blob GET to a signed URL on its CDN.
      res.writeHead(307, { location: `${cdn()}/blobs/${blob[2]}` });
      return res.end();
    }
    return notFound(res, blob ? "BLOB_UNKNOWN" : "NAME_UNKNOWN");
  };
}

/** Starts the registry and its CDN on two loopback ports. */
export async function startFixtureRegistry(): Promise<FixtureRegistry> {
  const manifests = new Map<string, string>();
  const blobs = new Map<string, Buffer>();
  let cdnBase = "";
  const servers: Server[] = [];
  const registry: FixtureRegistry = {
    endpoint: "",
    requests: [],
    cdnRequests: [],
    dropAfter: { bytes: 0, times: 0 },
    chunkDelayMs: 0,
    tokenRepos: new Set(),
    publish(repo, tag, layers) {
      const text = manifestOf(layers);
      manifests.set(`${repo}:${tag}`, text);
      for (const layer of layers) {
        const served = layer.corrupt ? Buffer.from(layer.bytes.map((b) => b ^ 0xff)) : layer.bytes;
        blobs.set(`/blobs/${sha256(layer.bytes)}`, served);
      }
      return text;
    },
    close: async () => {
      for (const server of servers) {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    },
  };
  servers.push(
    createServer(
      registryHandler(
        registry,
        manifests,
        blobs,
        () => cdnBase,
        () => registry.endpoint,
      ),
    ),
  );
  servers.push(createServer(cdnHandler(registry, blobs)));
  registry.endpoint = `http://127.0.0.1:${await listen(servers[0] as Server)}`;
  cdnBase = `http://127.0.0.1:${await listen(servers[1] as Server)}`;
  return registry;
}
