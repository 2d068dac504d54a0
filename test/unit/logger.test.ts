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

test("values under authorization / token / auth_token keys never appear, at any usual depth", () => {
  const { log, lines } = capture();
  const secret = "Bearer sk-very-secret-0123456789";
  log.info({ authorization: secret, token: secret }, "top level");
  log.info({ req: { headers: { authorization: secret } } }, "request headers");
  log.info({ metadata: { peer: { auth_token: secret } } }, "grpc metadata");
  log.child({ token: secret }).warn("bound in a child");
  log.info({ auth: { token: new Secret(secret) } }, "config section");
  log.error({ err: new Error("boom"), authToken: secret }, "with an error");
  const out = lines.join("");
  assert.equal(lines.length, 6);
  assert.ok(!out.includes("sk-very-secret"), out);
  assert.ok(out.includes("[REDACTED]"));
});

test("the level filters lower levels out", () => {
  const lines: string[] = [];
  const log = createLogger({ level: "warn", destination: { write: (s) => lines.push(s) } });
  log.info("dropped");
  log.warn("kept");
  assert.equal(lines.length, 1);
});
