// A Triton stand-in speaking the KServe v2 protocol with Triton's generate extension
// (triton-inference-server/server docs/protocol/extension_generate.md: `POST
// /v2/models/{model}/generate_stream` with the model's inputs as JSON fields, SSE of {model_name,
// model_version, text_output}, errors as {"error": ...}; `/v2`, `/v2/health/ready`,
// `/v2/models/{model}[/ready]`; metrics docs/user_guide/metrics.md `nv_inference_pending_request_count`).
import type { Engine } from "../../../src/engine/engine.js";
import { StandinServer, submitRequest } from "./standin-server.js";

interface GenerateRequest {
  text_input: string;
  max_tokens: number;
  temperature?: number;
  random_seed?: number;
  stop_words?: string[];
}

export function tritonStandin(engine: Engine, model: string): StandinServer {
  const ready = async (_req: unknown, _body: unknown, res: import("node:http").ServerResponse) => {
    if (server.faults.down) return server.json(res, 503, { error: "server not ready" });
    res.writeHead(200).end();
  };
  const base = `/v2/models/${model}`;
  const server: StandinServer = new StandinServer(engine, {
    "GET /v2": async (_req, _body, res) =>
      server.json(res, 200, { name: "triton", version: "2.59.0", extensions: ["generate"] }),
    "GET /v2/health/ready": ready,
    [`GET ${base}/ready`]: ready,
    [`GET ${base}`]: async (_req, _body, res) =>
      server.json(res, 200, {
        name: model,
        versions: ["1"],
        platform: "ensemble",
        inputs: [],
        outputs: [],
      }),
    "GET /metrics": async (_req, _body, res) => {
      const running = server.streaming + (server.faults.otherRunning ?? 0);
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(
        "# TYPE nv_inference_pending_request_count gauge\n" +
          `nv_inference_pending_request_count{model="${model}",version="1"} ${server.faults.otherWaiting ?? 0}\n` +
          "# TYPE nv_trt_llm_request_metrics gauge\n" +
          `nv_trt_llm_request_metrics{model="tensorrt_llm",request_type="active",version="1"} ${running}\n`,
      );
    },
    [`POST ${base}/generate_stream`]: async (_req, body, res) => {
      const request = body as GenerateRequest;
      if (server.faults.down) return server.json(res, 503, { error: "server not ready" });
      if (server.faults.refuseWith)
        return server.json(res, server.faults.refuseWith, { error: "exceeds maximum queue size" });
      await server.stream(
        res,
        submitRequest({
          prompt: request.text_input,
          maxTokens: request.max_tokens,
          temperature: request.temperature,
          seed: request.random_seed,
          stop: request.stop_words,
        }),
        (token) => ({ model_name: model, model_version: "1", text_output: token.text }),
        () => [],
      );
    },
  });
  return server;
}
