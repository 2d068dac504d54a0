// The public HTTP contract (contracts/openapi) is well-formed and agrees with the error registry.
//
// ErrorKind rule: the public ErrorKind is the whole registry (src/common/errors.ts). Engine codes
// reach clients unmapped (engine-errors.ts -> grpc-errors.ts -> SSE `error`), so every registry
// code is one a client can see; adding a code to the registry means adding it to data.yaml.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { contracts, contractsDir } from "../../scripts/openapi-types.js";
import { errorCodes } from "../../src/common/errors.js";

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === "object" && v !== null && !Array.isArray(v);

const docs = new Map<string, Node>(
  contracts().map((name) => {
    const doc: unknown = parse(readFileSync(join(contractsDir, `${name}.yaml`), "utf8"));
    assert.ok(isNode(doc), `${name}.yaml is a mapping`);
    return [`${name}.yaml`, doc];
  }),
);
const methods = ["get", "put", "post", "delete", "patch", "head", "options"];
const envelopes: Record<string, string[]> = {
  "data.yaml": ["ErrorEnvelope", "BackpressureErrorEnvelope"],
  "control.yaml": ["ErrorEnvelope", "BackpressureErrorEnvelope"],
  "openai.yaml": ["OpenAIErrorResponse"],
  "anthropic.yaml": ["AnthropicErrorResponse"],
};
/** The compatible surfaces answer in their own error shapes and ignore fields newer SDKs add. */
const compatible = ["openai.yaml", "anthropic.yaml"];

/** Resolves a `$ref` relative to `file`; returns the target and the file it lives in. */
function deref(file: string, ref: string): { file: string; node: unknown } {
  const [target = "", pointer = ""] = ref.split("#");
  const where = target === "" ? file : target.replace(/^\.\//, "");
  let node: unknown = docs.get(where);
  for (const part of pointer.split("/").slice(1)) {
    const key = part.replaceAll("~1", "/").replaceAll("~0", "~");
    node = isNode(node) ? node[key] : undefined;
  }
  return { file: where, node };
}

/** Follows `$ref` chains until a concrete node; also reports the last ref's name. */
function resolve(file: string, node: unknown): { file: string; node: Node; name?: string } {
  let at = { file, node };
  let name: string | undefined;
  while (isNode(at.node) && typeof at.node.$ref === "string") {
    name = at.node.$ref.split("/").pop();
    at = deref(at.file, at.node.$ref);
  }
  assert.ok(isNode(at.node), `unresolved node in ${file}`);
  return name === undefined ? { file: at.file, node: at.node } : { ...at, node: at.node, name };
}

function* refs(node: unknown): Generator<string> {
  if (Array.isArray(node)) for (const item of node) yield* refs(item);
  if (!isNode(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if (key === "$ref" && typeof value === "string") yield value;
    else yield* refs(value);
  }
}

interface Operation {
  file: string;
  path: string;
  method: string;
  op: Node;
}

const operations: Operation[] = [...docs].flatMap(([file, doc]) =>
  Object.entries(isNode(doc.paths) ? doc.paths : {}).flatMap(([path, item]) =>
    methods
      .filter((m) => isNode(item) && isNode(item[m]))
      .map((method) => ({ file, path, method, op: (item as Node)[method] as Node })),
  ),
);

/** `security: []`: the health probes, public and answering in llama-server's shape. */
const isPublic = (o: Operation) => Array.isArray(o.op.security) && o.op.security.length === 0;

function responses(o: Operation): [string, { file: string; node: Node; name?: string }][] {
  const all = isNode(o.op.responses) ? o.op.responses : {};
  return Object.entries(all).map(([status, r]) => [status, resolve(o.file, r)]);
}

function jsonSchemaName(file: string, response: Node): string | undefined {
  const content = isNode(response.content) ? response.content["application/json"] : undefined;
  return isNode(content) ? resolve(file, content.schema).name : undefined;
}

const data = docs.get("data.yaml") as Node;
const schemas = (data.components as Node).schemas as Node;
const errorKind = schemas.ErrorKind as Node;

describe("OpenAPI contracts", () => {
  it("has the four contracts as OpenAPI 3.1 version 1.0.0", () => {
    assert.deepEqual(
      [...docs.keys()],
      ["anthropic.yaml", "control.yaml", "data.yaml", "openai.yaml"],
    );
    for (const doc of docs.values()) {
      assert.match(String(doc.openapi), /^3\.1\./);
      assert.equal((doc.info as Node).version, "1.0.0");
    }
  });

  it("resolves every $ref, local and across files", () => {
    for (const [file, doc] of docs) {
      for (const ref of refs(doc))
        assert.notEqual(deref(file, ref).node, undefined, `${file}: ${ref}`);
    }
  });

  it("declares every schema property as a schema (no stray keys from unquoted commas)", () => {
    const check = (node: unknown, at: string): void => {
      if (Array.isArray(node)) {
        for (const [i, item] of node.entries()) check(item, `${at}/${i}`);
      }
      if (!isNode(node)) return;
      if (isNode(node.properties) && node.type === "object") {
        for (const [key, value] of Object.entries(node.properties)) {
          assert.ok(isNode(value), `${at}/properties/${key} is a schema`);
        }
      }
      for (const [key, value] of Object.entries(node)) check(value, `${at}/${key}`);
    };
    for (const [file, doc] of docs) check(doc, file);
  });

  it("gives every operation a unique operationId and an error response with the envelope", () => {
    const ids = operations.map((o) => o.op.operationId);
    assert.ok(ids.every((id) => typeof id === "string" && id.length > 0));
    assert.equal(new Set(ids).size, ids.length, "operationIds are unique across contracts");
    for (const o of operations.filter((op) => !isPublic(op))) {
      const errors = responses(o).filter(([status]) => /^[45]\d\d$/.test(status));
      const enveloped = errors.filter(([, r]) => {
        const name = jsonSchemaName(r.file, r.node);
        return name !== undefined && (envelopes[o.file] ?? []).includes(name);
      });
      assert.ok(enveloped.length > 0, `${o.method} ${o.path} documents an enveloped error`);
    }
  });

  it("puts X-Correlation-Id on every response", () => {
    for (const o of operations) {
      for (const [status, r] of responses(o)) {
        const headers = isNode(r.node.headers) ? r.node.headers : {};
        assert.ok("X-Correlation-Id" in headers, `${o.method} ${o.path} ${status}`);
      }
    }
  });

  it("answers 429 with Retry-After and X-Backoff-Ms, and auth with Bearer and 4010x/40301 bodies", () => {
    for (const o of operations) {
      for (const [status, r] of responses(o)) {
        const headers = isNode(r.node.headers) ? r.node.headers : {};
        if (status === "429") assert.ok("Retry-After" in headers && "X-Backoff-Ms" in headers);
        if (status === "401" && !compatible.includes(o.file)) {
          assert.equal(jsonSchemaName(r.file, r.node), "AuthError");
        }
      }
      const documents401 = isNode(o.op.responses) && "401" in o.op.responses;
      assert.ok(documents401 !== isPublic(o), `${o.path} documents 401 unless public`);
    }
    for (const [file, doc] of docs) {
      const schemes = (doc.components as Node).securitySchemes as Node;
      assert.deepEqual(schemes.bearerAuth, {
        ...(schemes.bearerAuth as Node),
        type: "http",
        scheme: "bearer",
      });
      // Decision 1: the Anthropic surface also takes the token as x-api-key, nowhere else.
      const apiKey = file === "anthropic.yaml" ? [{ apiKeyAuth: [] }] : [];
      assert.deepEqual(doc.security, [{ bearerAuth: [] }, ...apiKey]);
    }
    assert.deepEqual(((schemas.AuthError as Node).properties as Node).code, {
      type: "integer",
      enum: [40101, 40102, 40301],
    });
  });

  it("keeps ErrorKind equal to the registry, with each code's HTTP status", () => {
    assert.deepEqual([...(errorKind.enum as string[])].sort(), Object.keys(errorCodes).sort());
    const statuses = errorKind["x-http-status"] as Record<string, number>;
    for (const [code, info] of Object.entries(errorCodes)) {
      assert.equal(statuses[code], info.http, `x-http-status of ${code}`);
    }
  });

  it("lists each error code only under its registry HTTP status, and every code somewhere", () => {
    const documented = new Set<string>();
    for (const o of operations) {
      for (const [status, r] of responses(o)) {
        for (const code of (r.node["x-error-codes"] as string[] | undefined) ?? []) {
          assert.ok(Object.hasOwn(errorCodes, code), `${code} is a registry code`);
          const http = errorCodes[code as keyof typeof errorCodes].http;
          assert.equal(String(http), status, `${code} under ${o.method} ${o.path}`);
          documented.add(code);
        }
      }
    }
    assert.deepEqual([...documented].sort(), Object.keys(errorCodes).sort());
  });

  it("rejects unknown fields on every native JSON request body; OpenAI's ignore them (issue 12)", () => {
    for (const o of operations.filter((op) => op.op.requestBody !== undefined)) {
      const body = resolve(o.file, o.op.requestBody).node;
      const media = (body.content as Node)["application/json"] as Node;
      const schema = resolve(o.file, media.schema).node;
      // A newer SDK adds fields before we know them: the compatible surfaces must not refuse them.
      if (compatible.includes(o.file)) {
        assert.equal(schema["x-unknown-fields"], "ignored", `${o.method} ${o.path}`);
        assert.notEqual(schema.additionalProperties, false, `${o.method} ${o.path}`);
      } else assert.equal(schema.additionalProperties, false, `${o.method} ${o.path}`);
    }
  });

  it("carries the DESIGN amendments: optional defaults, SSE frames, QUEUE_FULL_DROP_LRU", () => {
    const task = schemas.TaskRequest as Node;
    assert.deepEqual(task.required, ["model_ref", "max_tokens"]);
    assert.equal(((task.properties as Node).prompt as Node).maxLength, 1048576);
    assert.equal(((task.properties as Node).stop as Node).maxItems, 16);
    const required = (name: string) => (schemas[name] as Node).required as string[];
    assert.deepEqual(required("SSEStarted"), ["queue_position", "predicted_start_ms", "pool_id"]);
    assert.ok(
      ["decode_ms", "decode_time_ms", "finish_reason"].every((f) => required("SSEEnd").includes(f)),
    );
    const sseError = Object.keys((schemas.SSEError as Node).properties as Node).sort();
    assert.deepEqual(sseError, [
      "code",
      "engine",
      "message",
      "pool_id",
      "retriable",
      "retry_after_ms",
    ]);
    assert.ok((errorKind.enum as string[]).includes("QUEUE_FULL_DROP_LRU"));
  });

  it("never mentions /v1/replicasets (removed from the v1 contract)", () => {
    for (const name of contracts()) {
      const text = readFileSync(join(contractsDir, `${name}.yaml`), "utf8");
      assert.ok(!/replicasets?\b/i.test(text), `${name} mentions replicasets`);
    }
  });
});
