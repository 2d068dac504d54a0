// Turns ajv's schema errors into one line each, naming the key path, what is expected and what was given.
import type { ErrorObject } from "ajv";
import type { SchemaNode } from "./config-schema-node.js";

export function describeSchemaError(e: ErrorObject): string {
  const at = keyPath(e.instancePath);
  const got = `(got ${JSON.stringify(e.data)})`;
  switch (e.keyword) {
    case "additionalProperties": {
      const key = String(e.params.additionalProperty);
      const known = Object.keys((e.parentSchema as SchemaNode | undefined)?.properties ?? {});
      return `unknown key "${joinPath(at, key)}"${suggest(key, known)}`;
    }
    case "required":
      return `missing required key "${joinPath(at, String(e.params.missingProperty))}"`;
    case "enum": {
      const allowed = (e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v));
      return `${at}: must be one of ${allowed.join(", ")} ${got}`;
    }
    case "type":
      return `${at || "config"}: must be ${withArticle(String(e.params.type))} ${got}`;
    case "anyOf": {
      const shapes = (e.schema as SchemaNode[]).map((alt) =>
        alt.enum
          ? alt.enum.map((v) => JSON.stringify(v)).join(" or ")
          : `${withArticle(alt.type ?? "")}${alt.minimum === undefined ? "" : ` >= ${alt.minimum}`}`,
      );
      return `${at}: must be ${shapes.join(" or ")} ${got}`;
    }
    default:
      return `${at || "config"}: ${e.message ?? "is invalid"} ${got}`;
  }
}

/** JSON pointer `/pools/1/gpu_layers` -> `pools[1].gpu_layers`. */
function keyPath(pointer: string): string {
  const segments = pointer.split("/").slice(1);
  return segments.reduce((path, raw) => {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    return /^\d+$/.test(seg) ? `${path}[${seg}]` : joinPath(path, seg);
  }, "");
}

function joinPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function withArticle(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function suggest(key: string, known: string[]): string {
  const best = known.map((k) => ({ k, d: editDistance(key, k) })).sort((a, b) => a.d - b.d)[0];
  return best && best.d <= 2 ? ` (did you mean "${best.k}"?)` : "";
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}
