// Logs are JSON lines carrying bound task context, and secrets never reach the output.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger, withContext } from "../../src/common/logger.js";
import { Secret } from "../../src/common/secret.js";

function capture() {
  const lines: string[] = [];
  const log = createLogger({
    level: "debug",
    name: "control",
    destination: { write: (s) => lines.push(s) },
  });
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, lines, records };
}

test("child loggers carry task context in every line (SPEC 10.4 field names)", () => {
  const { log, records } = capture();
  const taskLog = withContext(log, { correlation_id: "c-1", task_id: "t-1", pool_id: "gpu-0" });
  taskLog.info({ queue_position: 2, tokens_in: 5 }, "task admitted");
  const [line] = records();
  assert.deepEqual(
    { ...line, time: undefined, pid: undefined, hostname: undefined },
    {
      level: "info",
      name: "control",
      correlation_id: "c-1",
      task_id: "t-1",
      pool_id: "gpu-0",
      queue_position: 2,
      tokens_in: 5,
      msg: "task admitted",
      time: undefined,
      pid: undefined,
      hostname: undefined,
    },
  );
});

test("values under authorization / token / auth_token keys never appear, at any depth", () => {
  const { log, lines } = capture();
  const secret = "Bearer sk-very-secret-0123456789";
  log.info({ authorization: secret, token: secret }, "top level");
  log.info({ req: { headers: { authorization: secret } } }, "request headers");
  log.info({ metadata: { peer: { auth_token: secret } } }, "grpc metadata");
  log.child({ token: secret }).warn("bound in a child");
  log.info({ auth: { token: new Secret(secret) } }, "config section");
  log.error({ err: new Error("boom"), authToken: secret }, "with an error");
  log.info({ a: { b: [{ c: { d: { e: { api_key: secret } } } }] } }, "six levels down");
  log.error({ err: Object.assign(new Error("refused"), { token: secret }) }, "an error's field");
  const cyclic: Record<string, unknown> = { token: secret };
  cyclic.self = cyclic;
  log.info({ cyclic }, "a cycle");
  const out = lines.join("");
  assert.equal(lines.length, 9);
  assert.ok(!out.includes("sk-very-secret"), out);
  assert.ok(out.includes("[REDACTED]"));
  const err = JSON.parse(lines[7] ?? "{}").err as Record<string, unknown>;
  assert.equal(err.type, "Error", "a censored error still logs as one");
  assert.equal(err.message, "refused");
  assert.equal(err.token, "[REDACTED]");
});

test("a line without secrets logs its fields unchanged, and callers' objects are never mutated", () => {
  const { log, records } = capture();
  const fields = { placement: { ranking: ["gpu-0", "cpu-0"], loads: { "gpu-0": { leases: 2 } } } };
  log.info(fields, "placement decision");
  assert.deepEqual(records()[0]?.placement, fields.placement);
  const request = { headers: { authorization: "Bearer kept-by-the-caller" } };
  log.info({ request }, "censored in the line only");
  assert.equal(
    request.headers.authorization,
    "Bearer kept-by-the-caller",
    "the caller's object is not mutated",
  );
});

test("the level filters lower levels out", () => {
  const lines: string[] = [];
  const log = createLogger({ level: "warn", destination: { write: (s) => lines.push(s) } });
  log.info("dropped");
  log.warn("kept");
  assert.equal(lines.length, 1);
});
