// Request schemas straight from contracts/openapi (the one source of the HTTP shapes): an
// operation's body and parameter schemas with every $ref inlined, ready for fastify's validator.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse } from "yaml";
import { repoRoot } from "../common/paths.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const contractsDir = join(repoRoot, "contracts", "openapi");
const documents = new Map<string, JsonObject>();

function document(path: string): JsonObject {
  let doc = documents.get(path);
  if (!doc) {
    doc = parse(readFileSync(path, "utf8")) as JsonObject;
    documents.set(path, doc);
  }
  return doc;
}

function pointer(doc: JsonObject, fragment: string): Json {
  let node: Json = doc;
  for (const raw of fragment.replace(/^\//, "").split("/")) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (node === null || typeof node !== "object" || Array.isArray(node)) return null;
    node = (node as JsonObject)[key] ?? null;
  }
  return node;
}

/** Inlines $refs (local and cross-file) and drops OpenAPI-only keywords the validator rejects. */
function inline(node: Json, file: string, seen: string[] = []): Json {
  if (Array.isArray(node)) return node.map((n) => inline(n, file, seen));
  if (node === null || typeof node !== "object") return node;
  const ref = node.$ref;
  if (typeof ref === "string") {
    const [target = "", fragment = ""] = ref.split("#");
    const path = target ? resolve(dirname(file), target) : file;
    const key = `${path}#${fragment}`;
    if (seen.includes(key)) throw new Error(`recursive $ref ${ref} in ${file}`);
    return inline(pointer(document(path), fragment), path, [...seen, key]);
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "example" || key === "examples" || key.startsWith("x-")) continue;
    out[key] = inline(value, file, seen);
  }
  return bounded(out);
}

/** Bounds of an integer by its OpenAPI format; without one (or int64), what JSON carries exactly. */
const INTEGER_BOUNDS: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  int64: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/**
 * Every integer of the contracts gets the bounds of its format unless it states tighter ones, so
 * `1e308` or `2^64` is a 400 naming the field rather than a 500 when it is encoded for gRPC.
 */
function bounded(schema: JsonObject): JsonObject {
  const type = schema.type;
  const integer = type === "integer" || (Array.isArray(type) && type.includes("integer"));
  if (!integer) return schema;
  const [min, max] =
    INTEGER_BOUNDS[String(schema.format)] ?? (INTEGER_BOUNDS.int64 as [number, number]);
  return {
    ...schema,
    minimum: Math.max(min, Number(schema.minimum ?? min)),
    maximum: Math.min(max, Number(schema.maximum ?? max)),
  };
}

export interface OperationSchemas {
  body?: JsonObject;
  params?: JsonObject;
  querystring?: JsonObject;
}

/** The validation schemas of `operationId` in `contracts/openapi/<file>`. */
export function operationSchemas(
  file: "data.yaml" | "control.yaml" | "openai.yaml" | "anthropic.yaml",
  operationId: string,
): OperationSchemas {
  const path = join(contractsDir, file);
  const paths = (document(path).paths ?? {}) as JsonObject;
  for (const item of Object.values(paths)) {
    for (const op of Object.values(item as JsonObject)) {
      if (
        typeof op !== "object" ||
        op === null ||
        Array.isArray(op) ||
        op.operationId !== operationId
      )
        continue;
      return schemasOf(inline(op, path) as JsonObject);
    }
  }
  throw new Error(`no operation ${operationId} in contracts/openapi/${file}`);
}

function schemasOf(op: JsonObject): OperationSchemas {
  const out: OperationSchemas = {};
  const content = ((op.requestBody as JsonObject | undefined)?.content ?? {}) as JsonObject;
  const json = content["application/json"] as JsonObject | undefined;
  // An optional body may be absent: fastify validates an absent body as null.
  const optional = (op.requestBody as JsonObject | undefined)?.required !== true;
  if (json?.schema) {
    const body = json.schema as JsonObject;
    out.body = optional ? { anyOf: [{ type: "null" }, body] } : body;
  }
  for (const where of ["path", "query"] as const) {
    const params = ((op.parameters ?? []) as JsonObject[]).filter((p) => p.in === where);
    if (params.length === 0) continue;
    const properties: JsonObject = {};
    const required: string[] = [];
    for (const p of params) {
      properties[p.name as string] = (p.schema ?? {}) as JsonObject;
      if (p.required) required.push(p.name as string);
    }
    const schema = { type: "object", properties, required };
    if (where === "path") out.params = schema;
    else out.querystring = schema;
  }
  return out;
}
