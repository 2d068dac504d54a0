// Fuzz drill: every route of contracts/openapi with malformed JSON, wrong types, out-of-range
// numbers, a huge body, unicode and path traversal in ids; counts what came back.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { repoRoot } from "../../src/common/paths.js";
import { type Reply, send, tally } from "./http.js";

interface Route {
  method: string;
  path: string;
}

function routes(): Route[] {
  const out: Route[] = [];
  for (const file of ["data.yaml", "control.yaml", "openai.yaml"]) {
    const doc = parse(readFileSync(join(repoRoot, "contracts", "openapi", file), "utf8")) as {
      paths: Record<string, Record<string, unknown>>;
    };
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item)) {
        if (["get", "post", "delete"].includes(method)) out.push({ method, path });
      }
    }
  }
  return out;
}

const IDS = ["x", "..%2F..%2Fetc%2Fpasswd", "%2e%2e", "ü✓😀", "a".repeat(2048), "%00"];
const NUMBERS = [1e308, -1, 2 ** 64, 9007199254740994, 0.5, -1e308];
const WRONG = [null, true, "text", [], {}, "ü✓😀\u0000", 1e308];
const FIELDS = ["prompt", "max_tokens", "seed", "deadline_ms", "model_ref", "model", "messages"];

/** Bodies for one route: malformed, wrong types and bad numbers per common field, huge. */
function bodies(): (string | undefined)[] {
  const out: (string | undefined)[] = [undefined, "", "{", "[]", "null", '{"__proto__":{"x":1}}'];
  for (const field of FIELDS) {
    for (const value of [...WRONG, ...NUMBERS]) out.push(JSON.stringify({ [field]: value }));
  }
  out.push(JSON.stringify({ prompt: "x".repeat(3 * 1024 * 1024) }));
  return out;
}

export interface FuzzFigures {
  requests: number;
  statuses: Record<string, number>;
  serverErrors: string[];
}

export async function fuzzDrill(base: string): Promise<FuzzFigures> {
  const replies: { what: string; reply: Reply }[] = [];
  for (const route of routes()) {
    const ids = route.path.includes("{") ? IDS : ["-"];
    for (const [n, id] of ids.entries()) {
      const path = route.path.replaceAll(/\{[^}]+\}/g, id);
      // Every body once per route; the other ids with no body.
      const list = route.method === "post" && n === 0 ? bodies() : [undefined];
      for (const body of list) {
        const reply = await send(base, route.method.toUpperCase(), path, body);
        replies.push({
          what: `${route.method} ${path.slice(0, 80)} ${(body ?? "").slice(0, 60)}`,
          reply,
        });
      }
    }
  }
  const errors = replies.filter((r) => r.reply.status >= 500 || r.reply.status === 0);
  return {
    requests: replies.length,
    statuses: tally(replies.map((r) => r.reply.status)),
    serverErrors: errors
      .slice(0, 20)
      .map((r) => `${r.reply.status} ${r.what}: ${r.reply.text.slice(0, 160)}`),
  };
}
