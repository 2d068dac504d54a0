// Engine answers map into the error registry: never a bare 500, with retry advice where it helps.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fromEngineStatus, fromTransport } from "../../src/adapters/engine-errors.js";
import { parsePrometheusText, sumOf } from "../../src/adapters/prometheus-text.js";

describe("engine errors", () => {
  const cases: [string, number, string, string | null, string, number | undefined][] = [
    ["vllm", 429, '{"object":"error","message":"busy"}', "2", "ENGINE_BUSY", 2000],
    [
      "tgi",
      429,
      '{"error":"Model is overloaded","error_type":"overloaded"}',
      null,
      "ENGINE_BUSY",
      1000,
    ],
    [
      "llamacpp-server",
      400,
      '{"error":{"code":400,"type":"exceed_context_size_error","message":"request (2402 tokens) exceeds the available context size (1024 tokens)"}}',
      null,
      "PROMPT_TOO_LONG",
      undefined,
    ],
    [
      "vllm",
      400,
      '{"message":"This model\'s maximum context length is 4096 tokens."}',
      null,
      "PROMPT_TOO_LONG",
      undefined,
    ],
    [
      "tgi",
      422,
      '{"error":"Input validation error: `top_p` must be > 0.0 and < 1.0"}',
      null,
      "INVALID_PARAMS",
      undefined,
    ],
    ["triton", 503, '{"error":"server not ready"}', "1", "POOL_UNAVAILABLE", 1000],
    ["vllm", 500, "boom", null, "POOL_UNAVAILABLE", undefined],
  ];
  for (const [engine, status, body, retryAfter, code, retryMs] of cases) {
    it(`${engine} ${status} -> ${code}`, () => {
      const error = fromEngineStatus(engine, status, body, retryAfter);
      assert.equal(error.code, code);
      assert.equal(error.retryAfterMs, retryMs);
      assert.match(error.message, new RegExp(`^${engine} answered ${status}: `));
    });
  }

  it("a refused connection says the engine is unreachable and what to fix", () => {
    const error = fromTransport(
      "tgi",
      "http://127.0.0.1:1/generate_stream",
      new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } }),
    );
    assert.equal(error.code, "POOL_UNAVAILABLE");
    assert.match(error.message, /unreachable \(ECONNREFUSED\).*endpoint/);
  });
});

describe("Prometheus text", () => {
  it("sums a metric's series, filtered by labels", () => {
    const samples = parsePrometheusText(
      '# HELP x y\nvllm:num_requests_running{model_name="a"} 2\nvllm:num_requests_running{model_name="b"} 3\n' +
        'nv_trt_llm_request_metrics{request_type="active"} 4\nnv_trt_llm_request_metrics{request_type="max"} 64\n',
    );
    assert.equal(sumOf(samples, "vllm:num_requests_running"), 5);
    assert.equal(sumOf(samples, "vllm:num_requests_running", { model_name: "b" }), 3);
    assert.equal(sumOf(samples, "nv_trt_llm_request_metrics", { request_type: "active" }), 4);
    assert.equal(sumOf(samples, "absent"), undefined);
  });
});
