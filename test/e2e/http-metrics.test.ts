// GET /metrics end to end: tasks over gRPC on a real `llama-orch serve`, then the scrape, parsed.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { request } from "undici";
import { endOf, submit } from "../support/grpc-calls.js";
import { type ServeProcess, startServe } from "../support/serve-process.js";

const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 4096, threads: 1 }
`;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Scrape {
  types: Map<string, string>;
  samples: Sample[];
}

/** A minimal Prometheus text-format (0.0.4) parser: TYPE lines and samples. */
function parseExposition(text: string): Scrape {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type?.[1] && type[2]) types.set(type[1], type[2]);
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match?.[1] && match[3], `sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key as string] = value as string;
    }
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return { types, samples };
}

function sum(scrape: Scrape, name: string, where: Record<string, string> = {}): number {
  return scrape.samples
    .filter((s) => s.name === name)
    .filter((s) => Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + s.value, 0);
}

describe("GET /metrics", () => {
  let serve: ServeProcess;
  before(async () => {
    serve = await startServe({ config });
  });
  after(() => serve.stop());

  async function scrape(): Promise<Scrape> {
    const res = await request(`${serve.http}/metrics`);
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
    assert.ok(res.headers["x-correlation-id"]);
    return parseExposition(await res.body.text());
  }

  it("OC-METRICS-7101/ORCH-3028: counts tasks and tokens, with latency buckets and pool gauges", async () => {
    const before = await scrape();
    let generated = 0;
    let prompted = 0;
    for (const prompt of ["Once upon a time", "The quick brown fox", "Hello"]) {
      const out = await submit(serve.orchestrator, { prompt, maxTokens: 6, ignoreEos: true });
      const end = endOf(out);
      assert.ok(end, "task ended");
      generated += end.tokensOut;
      prompted += end.tokensIn;
    }
    const refused = await submit(serve.orchestrator, { prompt: "x", maxTokens: 0 });
    assert.equal(refused.error?.code, "INVALID_PARAMS");
    const now = await scrape();

    const pool = { pool_id: "cpu-0", engine: "llamacpp" };
    const delta = (name: string, where: Record<string, string> = pool) =>
      sum(now, name, where) - sum(before, name, where);
    assert.equal(delta("tokens_out_total"), generated);
    assert.equal(delta("tokens_in_total"), prompted);
    assert.equal(delta("tasks_enqueued_total", { ...pool, priority: "interactive" }), 3);
    assert.equal(delta("tasks_started_total"), 3);
    assert.equal(delta("tasks_rejected_total", { reason: "INVALID_PARAMS" }), 1);
    assert.equal(delta("placement_decisions_total", { outcome: "assigned", pinned: "false" }), 3);
    assert.equal(sum(now, "placement_candidates_considered"), 1);

    for (const name of ["latency_first_token_ms", "latency_decode_ms"]) {
      assert.equal(now.types.get(name), "histogram");
      assert.equal(delta(`${name}_count`), 3);
      const inf = sum(now, `${name}_bucket`, { ...pool, le: "+Inf" });
      assert.equal(inf, sum(now, `${name}_count`, pool), "+Inf bucket equals the count");
    }
    const firstTokenBounds = now.samples
      .filter((s) => s.name === "latency_first_token_ms_bucket" && s.labels.pool_id === "cpu-0")
      .map((s) => s.labels.le);
    assert.deepEqual(firstTokenBounds, [
      ...["50", "100", "150", "200", "300", "500", "750", "1000", "1500", "2000", "3000"],
      "+Inf",
    ]);

    const depth = now.samples.filter(
      (s) => s.name === "queue_depth" && s.labels.pool_id === "cpu-0",
    );
    assert.deepEqual(depth.map((s) => s.labels.priority).sort(), ["batch", "interactive"]);
    assert.ok(depth.every((s) => s.value === 0 && s.labels.engine_version !== undefined));
    assert.equal(sum(now, "pool_ready", { pool_id: "cpu-0" }), 1);
    assert.equal(sum(now, "active_leases", { pool_id: "cpu-0" }), 0);
    const kv = now.samples.find((s) => s.name === "kv_cache_usage_ratio");
    assert.ok(kv && kv.value >= 0 && kv.value <= 1, "kv ratio within [0, 1]");
  });

  it("OC-METRICS-7101: exposes every required series with its type", async () => {
    const { types } = await scrape();
    const required: Record<string, string> = {
      tasks_enqueued_total: "counter",
      tasks_started_total: "counter",
      tasks_canceled_total: "counter",
      tasks_rejected_total: "counter",
      queue_depth: "gauge",
      kv_cache_usage_ratio: "gauge",
      gpu_utilization: "gauge",
      vram_used_bytes: "gauge",
      latency_first_token_ms: "histogram",
      latency_decode_ms: "histogram",
      tokens_in_total: "counter",
      tokens_out_total: "counter",
      admission_backpressure_events_total: "counter",
      catalog_verifications_total: "counter",
      model_state: "gauge",
      placement_decisions_total: "counter",
      placement_candidates_considered: "gauge",
      pool_ready: "gauge",
      active_leases: "gauge",
      worker_restarts_total: "counter",
    };
    for (const [name, type] of Object.entries(required)) {
      assert.equal(types.get(name), type, `${name} is a ${type}`);
    }
  });

  it("OC-METRICS-7102: never puts task or session ids in labels", async () => {
    const { samples } = await scrape();
    const labelNames = new Set(samples.flatMap((s) => Object.keys(s.labels)));
    for (const forbidden of ["task_id", "session_id", "correlation_id"]) {
      assert.ok(!labelNames.has(forbidden), `no ${forbidden} label`);
    }
  });
});
