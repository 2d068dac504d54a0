// Config errors: one readable line per problem, naming the key path and what is expected.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import { ConfigError, loadConfig, validateConfig } from "../../src/common/config.js";
import { Secret } from "../../src/common/secret.js";

let dir = "";
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "llama-orch-config-errors-"));
});
after(() => rm(dir, { recursive: true, force: true }));

async function writeConfig(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** The problems of a config that must fail, as ConfigError reports them. */
function problemsOf(yaml: string, env: NodeJS.ProcessEnv = {}): readonly string[] {
  try {
    validateConfig(parse(yaml), { env });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail("config was accepted");
}

describe("config errors name the key path and what is expected", () => {
  test("unknown top-level key", () => {
    assert.deepEqual(problemsOf("serverz: {}"), ['unknown key "serverz" (did you mean "server"?)']);
  });

  test("half a TLS setup names the files missing (it would silently stay plaintext)", () => {
    assert.deepEqual(problemsOf("tls: { cert_file: cp.crt }"), [
      "tls: tls.key_file, tls.ca_file missing: give cert_file, key_file and ca_file together",
    ]);
  });

  test("unknown key nested in pools[1]", () => {
    const problems = problemsOf(`
pools:
  - { id: a, model: builtin:tiny, backend: cpu }
  - { id: b, model: /m.gguf, backend: cuda, gpu_layrs: 10 }
`);
    assert.deepEqual(problems, ['unknown key "pools[1].gpu_layrs" (did you mean "gpu_layers"?)']);
  });

  test("wrong type", () => {
    assert.deepEqual(problemsOf("admission: { queue_capacity: lots }"), [
      'admission.queue_capacity: must be an integer (got "lots")',
    ]);
  });

  test("bad enum value", () => {
    assert.deepEqual(problemsOf("pools: [{ id: a, model: builtin:tiny, backend: gpu }]"), [
      'pools[0].backend: must be one of "cpu", "cuda" (got "gpu")',
    ]);
  });

  test("missing required key and bad pool id pattern", () => {
    assert.deepEqual(problemsOf("pools: [{ id: Big_Pool, model: builtin:tiny }]"), [
      'missing required key "pools[0].backend"',
      'pools[0].id: must match pattern "^[a-z0-9-]+$" (got "Big_Pool")',
    ]);
  });

  test("duplicate pool id", () => {
    const problems = problemsOf(`
pools:
  - { id: a, model: builtin:tiny, backend: cpu }
  - { id: a, model: /m.gguf, backend: cuda }
`);
    assert.deepEqual(problems, ['pools[1].id: duplicate pool id "a" (also pools[0].id)']);
  });

  test("cpu pool with devices (DESIGN decision 2: GPU settings need a cuda pool)", () => {
    assert.deepEqual(
      problemsOf("pools: [{ id: a, model: builtin:tiny, backend: cpu, devices: [0] }]"),
      ['pools[0].devices: a cpu pool uses no GPU; remove it or set backend: "cuda"'],
    );
  });

  test("a prefill chunk larger than the batch", () => {
    assert.deepEqual(
      problemsOf("pools: [{ id: a, model: builtin:tiny, backend: cpu, prefill_chunk: 4096 }]"),
      ["pools[0].prefill_chunk: must be <= batch_size (2048)"],
    );
  });

  test("embeddings pools: pooling is one of four, only with embeddings, only on the native engine", () => {
    assert.deepEqual(
      problemsOf(
        "pools: [{ id: e, model: builtin:tiny, backend: cpu, embeddings: true, pooling: max }]",
      ),
      ['pools[0].pooling: must be one of "auto", "mean", "cls", "last" (got "max")'],
    );
    assert.deepEqual(
      problemsOf("pools: [{ id: e, model: builtin:tiny, backend: cpu, pooling: cls }]"),
      ["pools[0].pooling: applies to embeddings pools only; set embeddings: true"],
    );
    const vllm =
      "{ id: v, model: m, backend: cuda, engine: vllm, endpoint: 'http://x:1', embeddings: true }";
    assert.deepEqual(problemsOf(`pools: [${vllm}]`), [
      "pools[0].embeddings: only the native engine (llamacpp) serves embeddings here",
    ]);
    assert.deepEqual(
      problemsOf("pools: [{ id: e, model: builtin:tiny, backend: cpu, embeddings: yes }]"),
      ['pools[0].embeddings: must be a boolean (got "yes")'],
    );
  });

  test("every problem is reported, one line each", () => {
    const yaml = "logging: { level: loud }\nadmission: { policy: lifo }\nextra: 1";
    const problems = problemsOf(yaml);
    assert.equal(problems.length, 3);
    try {
      validateConfig(parse(yaml), { env: {}, source: "x.yaml" });
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.message.split("\n").length, 4);
      assert.match(err.message, /^invalid config \(x\.yaml\):\n {2}unknown key "extra"/);
    }
  });

  test("unknown built-in model", () => {
    assert.deepEqual(problemsOf("pools: [{ id: a, model: builtin:huge, backend: cpu }]"), [
      'pools[0].model: unknown built-in model "builtin:huge"; expected one of "builtin:tiny", "builtin:bench"',
    ]);
  });

  test("YAML syntax errors and duplicate keys are ConfigErrors", async () => {
    const bad = await writeConfig("bad.yaml", "server: { grpc_addr: [\n");
    await assert.rejects(loadConfig(bad, {}), ConfigError);
    const dup = await writeConfig("dup.yaml", "data_dir: a\ndata_dir: b\n");
    await assert.rejects(loadConfig(dup, {}), ConfigError);
  });

  test("a missing file is a ConfigError naming the path", async () => {
    const path = join(dir, "nope.yaml");
    await assert.rejects(loadConfig(path, {}), (err: unknown) => {
      return err instanceof ConfigError && err.message.includes(path);
    });
  });
});

describe("AUTH_TOKEN (DESIGN decision 1)", () => {
  test("a non-loopback bind without AUTH_TOKEN is refused", () => {
    assert.deepEqual(problemsOf('server: { http_addr: "0.0.0.0:8080" }'), [
      'server.http_addr: "0.0.0.0:8080" is not loopback, so AUTH_TOKEN must be set (NON_LOOPBACK_WITHOUT_TOKEN)',
    ]);
  });

  test("the token is kept as a Secret that never serialises", () => {
    const env = { AUTH_TOKEN: "s3cr3t-token-value", AUTH_OPTIONAL: "true" };
    const config = validateConfig(parse('server: { grpc_addr: "0.0.0.0:50051" }'), { env });
    assert.ok(config.auth.token instanceof Secret);
    assert.equal(config.auth.token.reveal(), "s3cr3t-token-value");
    assert.equal(config.auth.optional, true);
    assert.ok(!JSON.stringify(config).includes("s3cr3t"));
    assert.ok(!String(config.auth.token).includes("s3cr3t"));
  });
});

describe("gpu_layers: an integer or auto", () => {
  test("another word is one line naming both shapes, not one line per alternative", () => {
    const problems = problemsOf(
      "pools: [{ id: g, model: /m.gguf, backend: cuda, gpu_layers: all }]",
    );
    assert.deepEqual(problems, [
      'pools[0].gpu_layers: must be an integer >= -1 or "auto" (got "all")',
    ]);
  });

  test("auto on a cpu pool is refused: a cpu pool offloads nothing", () => {
    const problems = problemsOf(
      "pools: [{ id: c, model: /m.gguf, backend: cpu, gpu_layers: auto }]",
    );
    assert.deepEqual(problems, ["pools[0].gpu_layers: must be 0 for a cpu pool"]);
  });
});
