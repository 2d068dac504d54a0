// The Inference Extension's model-server metrics on /metrics: per model, under the vLLM names the
// stock Endpoint Picker reads (waiting, running, KV-cache usage 0..1), beside our own series.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { request } from "undici";
import { MODEL_SERVER_METRICS } from "../../src/control/model-server-metrics.js";
import { TaskRequest } from "../../src/gen/llama_orch/v1/orchestrator.js";
import { read, startTask } from "../support/grpc-calls.js";
import { type ServeProcess, startServe } from "../support/serve-process.js";

const config = `
server: { grpc_addr: "127.0.0.1:0", http_addr: "127.0.0.1:0" }
data_dir: "{data_dir}"
pools:
  - { id: cpu-0, model: "builtin:tiny", backend: cpu, slots: 1, context_size: 4096, threads: 1 }
`;

/** Sample values by name for `model_name="builtin:tiny"`, with each name's TYPE. */
async function scrape(http: string): Promise<Map<string, { type?: string; value?: number }>> {
  const text = await (await request(`${http}/metrics`)).body.text();
  const found = new Map<string, { type?: string; value?: number }>();
  for (const name of Object.values(MODEL_SERVER_METRICS)) {
    const type = new RegExp(`^# TYPE ${name} (\\S+)$`, "m").exec(text)?.[1];
    const sample = new RegExp(`^${name}\\{model_name="builtin:tiny"\\} (\\S+)$`, "m").exec(text);
    found.set(name, { type, value: sample?.[1] === undefined ? undefined : Number(sample[1]) });
  }
  return found;
}

describe("model-server metrics for the Gateway API Inference Extension", () => {
  let serve: ServeProcess;
  before(async () => {
    serve = await startServe({ config });
  });
  after(() => serve.stop());

  it("counts a model's running and waiting requests and its KV usage as the picker reads them", async () => {
    const long = { prompt: "busy", maxTokens: 3000, ignoreEos: true };
    const running = await startTask(serve.orchestrator, long, 2);
    const waiting = serve.orchestrator.submit(
      TaskRequest.fromPartial({ prompt: "next", maxTokens: 2 }),
    );
    const kinds: string[] = [];
    const admitted = new Promise<void>((resolve) => {
      void read(waiting, (event) => {
        kinds.push(event.event?.$case ?? "");
        if (event.event?.$case === "admitted") resolve();
      });
    });
    await admitted;
    // KV cells reach the control plane with the worker's next heartbeat.
    let during = await scrape(serve.http);
    const kvOf = () => during.get(MODEL_SERVER_METRICS.kvUsage)?.value ?? 0;
    for (let i = 0; i < 100 && kvOf() === 0; i++) {
      await sleep(100);
      during = await scrape(serve.http);
    }
    assert.ok(!kinds.includes("started"), "the second task waited for the only slot");
    running.call.cancel();
    waiting.cancel();
    await running.done;

    const get = (key: keyof typeof MODEL_SERVER_METRICS) =>
      during.get(MODEL_SERVER_METRICS[key]) ?? {};
    for (const key of ["running", "waiting", "kvUsage"] as const)
      assert.equal(get(key).type, "gauge");
    assert.equal(get("running").value, 1);
    assert.equal(get("waiting").value, 1);
    const kv = get("kvUsage").value ?? -1;
    assert.ok(kv > 0 && kv <= 1, `KV usage of a generating slot within (0, 1]: ${kv}`);
  });
});
