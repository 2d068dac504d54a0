// Serves the status page at `/` and its assets under `/ui/`: plain ES modules and CSS read once at
// start, no CDN, no fonts; a Content-Security-Policy that lets the page load only its own files.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance, FastifyReply } from "fastify";
import { OrchError } from "../../common/errors.js";
import { repoRoot } from "../../common/paths.js";
import { sendError } from "../error-envelope.js";

const assetsDir = join(repoRoot, "src", "gateway", "status-page", "assets");

const TYPES: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "render.js": "text/javascript; charset=utf-8",
  "dom.js": "text/javascript; charset=utf-8",
  "models.js": "text/javascript; charset=utf-8",
  "sse.js": "text/javascript; charset=utf-8",
  "style.css": "text/css; charset=utf-8",
};

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; " +
  "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The page needs no token to load: it holds no data and asks for the token to read any. */
export function isStatusPagePath(url: string): boolean {
  const path = url.split("?")[0] ?? "";
  return path === "/" || (path.startsWith("/ui/") && path.slice(4) in TYPES);
}

export function registerStatusPage(app: FastifyInstance): void {
  const files = new Map(
    Object.keys(TYPES).map((name) => [name, readFileSync(join(assetsDir, name))] as const),
  );
  const send = (reply: FastifyReply, name: string) =>
    reply
      .type(TYPES[name] ?? "application/octet-stream")
      .header("Content-Security-Policy", CSP)
      .header("X-Content-Type-Options", "nosniff")
      .header("Cache-Control", "no-cache")
      .send(files.get(name));
  app.get("/", (_request, reply) => send(reply, "index.html"));
  app.get<{ Params: { file: string } }>("/ui/:file", (request, reply) => {
    if (!files.has(request.params.file) || request.params.file === "index.html") {
      const error = new OrchError("ROUTE_NOT_FOUND", `no status page asset ${request.params.file}`);
      return sendError(reply, error);
    }
    return send(reply, request.params.file);
  });
}
