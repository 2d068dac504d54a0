// A Hugging Face hub stand-in on loopback speaking the hub's real protocol: HEAD resolve with a
// 302 to a "CDN" on another port, the LFS headers, the tree API, gated repos, and faults.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface HubFile {
  bytes: Buffer;
  /** Serve these bytes instead (same length): the digest the hub vouches for will not match. */
  corrupt?: boolean;
  /** Claim this size in X-Linked-Size instead of the real one. */
  claimedSize?: number;
}

export interface HubRepo {
  commit: string;
  /** Needs `Authorization: Bearer <token>`. */
  token?: string;
  files: Record<string, HubFile>;
}

export interface CdnRequest {
  path: string;
  range?: string;
  authorization?: string;
}

export interface FixtureHub {
  endpoint: string;
  repos: Map<string, HubRepo>;
  /** Every GET the CDN answered, in order. */
  cdnRequests: CdnRequest[];
  /** Authorization headers the hub itself saw. */
  hubAuthorizations: (string | undefined)[];
  /** The next N CDN bodies stop (socket destroyed) after this many bytes. */
  dropAfter: { bytes: number; times: number };
  /** Delay between 64 KiB chunks of a CDN body, in ms. */
  chunkDelayMs: number;
  close(): Promise<void>;
}

export function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );
}

function parseRange(header: string | undefined, size: number): number {
  const match = /^bytes=(\d+)-$/.exec(header ?? "");
  return match ? Math.min(Number(match[1]), size) : 0;
}

/** What a CDN stand-in needs of its owner: the request log and the fault knobs. */
export type CdnFaults = Pick<FixtureHub, "cdnRequests" | "dropAfter" | "chunkDelayMs">;

async function sendBody(hub: CdnFaults, res: ServerResponse, body: Buffer): Promise<void> {
  const drop = hub.dropAfter.times > 0 ? hub.dropAfter.bytes : undefined;
  if (drop !== undefined) hub.dropAfter.times--;
  for (let at = 0; at < body.length; at += 1 << 16) {
    if (drop !== undefined && at >= drop) {
      res.socket?.destroy();
      return;
    }
    const end = Math.min(body.length, at + (1 << 16), drop ?? Number.POSITIVE_INFINITY);
    if (!res.write(body.subarray(at, end))) await new Promise((r) => res.once("drain", r));
    if (drop !== undefined && end >= drop) {
      res.socket?.destroy();
      return;
    }
    if (hub.chunkDelayMs > 0) await new Promise((r) => setTimeout(r, hub.chunkDelayMs));
  }
  res.end();
}

/** A CDN serving `blobs` by path, with `Range`, drops and delays. */
export function cdnHandler(hub: CdnFaults, blobs: Map<string, Buffer>) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? "";
    hub.cdnRequests.push({
      path,
      range: req.headers.range,
      authorization: req.headers.authorization,
    });
    const body = blobs.get(path);
    if (!body) return res.writeHead(404).end();
    const from = parseRange(req.headers.range, body.length);
    if (req.headers.range && from >= body.length) return res.writeHead(416).end();
    const status = req.headers.range ? 206 : 200;
    const headers: Record<string, string | number> = { "content-length": body.length - from };
    if (status === 206)
      headers["content-range"] = `bytes ${from}-${body.length - 1}/${body.length}`;
    res.writeHead(status, headers);
    void sendBody(hub, res, body.subarray(from));
  };
}

function hubHandler(hub: FixtureHub, cdn: () => string, blobs: Map<string, Buffer>) {
  return (req: IncomingMessage, res: ServerResponse) => {
    hub.hubAuthorizations.push(req.headers.authorization);
    const url = new URL(req.url ?? "", "http://hub");
    const tree = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)$/.exec(url.pathname);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const repo = hub.repos.get((tree ?? resolve)?.[1] ?? "");
    if (!repo) return res.writeHead(404).end();
    if (repo.token && req.headers.authorization !== `Bearer ${repo.token}`) {
      return res.writeHead(401, { "x-error-code": "GatedRepo" }).end();
    }
    if (tree) {
      const entries = Object.entries(repo.files).map(([path, f]) => ({
        type: "file",
        path,
        size: f.bytes.length,
      }));
      return res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify(entries));
    }
    const file = repo.files[decodeURIComponent(resolve?.[3] ?? "")];
    if (!file) return res.writeHead(404, { "x-error-code": "EntryNotFound" }).end();
    const sha = sha256(file.bytes);
    const served = file.corrupt ? Buffer.from(file.bytes.map((b) => b ^ 0xff)) : file.bytes;
    blobs.set(`/blobs/${sha}`, served);
    res
      .writeHead(302, {
        location: `${cdn()}/blobs/${sha}`,
        "x-repo-commit": repo.commit,
        "x-linked-etag": `"${sha}"`,
        "x-linked-size": String(file.claimedSize ?? file.bytes.length),
      })
      .end();
  };
}

/** Starts the hub and its CDN on two loopback ports. */
export async function startFixtureHub(): Promise<FixtureHub> {
  const blobs = new Map<string, Buffer>();
  let cdnBase = "";
  const hub: FixtureHub = {
    endpoint: "",
    repos: new Map(),
    cdnRequests: [],
    hubAuthorizations: [],
    dropAfter: { bytes: 0, times: 0 },
    chunkDelayMs: 0,
    close: async () => {
      for (const server of [hubServer, cdnServer]) {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    },
  };
  const hubServer = createServer(hubHandler(hub, () => cdnBase, blobs));
  const cdnServer = createServer(cdnHandler(hub, blobs));
  hub.endpoint = `http://127.0.0.1:${await listen(hubServer)}`;
  cdnBase = `http://127.0.0.1:${await listen(cdnServer)}`;
  return hub;
}
