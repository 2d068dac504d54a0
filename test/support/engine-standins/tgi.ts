// A TGI stand-in speaking Text Generation Inference's wire format (its OpenAPI, docs/openapi.json:
// `/generate_stream` SSE of StreamResponse {index, token {id, text, logprob, special},
// generated_text, details {finish_reason, generated_tokens, seed, input_length}}; ErrorResponse
// {error, error_type} with 422 validation / 429 overloaded; `/info`; `/tokenize`; `/metrics` with
// `tgi_queue_size`, `tgi_batch_current_size`).
import type { Engine } from "../../../src/engine/engine.js";
import { StandinServer, submitRequest } from "./standin-server.js";

interface GenerateRequest {
  inputs: string;
  parameters: {
    max_new_tokens: number;
    temperature?: number;
    do_sample?: boolean;
    seed?: number;
    stop?: string[];
    details?: boolean;
  };
}

const finishReasons = {
  stop: "eos_token",
  length: "length",
  cancelled: "eos_token",
  error: "eos_token",
};

export function tgiStandin(engine: Engine, modelId: string, maxTotalTokens = 1024): StandinServer {
  const server: StandinServer = new StandinServer(engine, {
    "GET /health": async (_req, _body, res) => {
      if (server.faults.down)
        return server.json(res, 503, { error: "unhealthy", error_type: "healthcheck" });
      res.writeHead(200).end();
    },
    "GET /info": async (_req, _body, res) =>
      server.json(res, 200, {
        model_id: modelId,
        max_input_tokens: maxTotalTokens - 1,
        max_total_tokens: maxTotalTokens,
        max_concurrent_requests: 128,
        version: "3.3.4",
      }),
    "POST /tokenize": async (_req, body, res) => {
      const ids = engine.tokenize((body as { inputs: string }).inputs, {
        addSpecial: true,
        parseSpecial: true,
      });
      server.json(
        res,
        200,
        [...ids].map((id, i) => ({ id, text: "", start: i, stop: i + 1 })),
      );
    },
    "GET /metrics": async (_req, _body, res) => {
      const running = server.streaming + (server.faults.otherRunning ?? 0);
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(
        "# TYPE tgi_queue_size gauge\n" +
          `tgi_queue_size ${server.faults.otherWaiting ?? 0}\n` +
          "# TYPE tgi_batch_current_size gauge\n" +
          `tgi_batch_current_size ${running}\n`,
      );
    },
    "POST /generate_stream": async (_req, body, res) => {
      const { inputs, parameters: p } = body as GenerateRequest;
      if (server.faults.down)
        return server.json(res, 503, { error: "unhealthy", error_type: "healthcheck" });
      if (server.faults.refuseWith) {
        return server.json(res, server.faults.refuseWith, {
          error: "Model is overloaded",
          error_type: "overloaded",
        });
      }
      const inputLength = engine.tokenize(inputs, { addSpecial: true, parseSpecial: true }).length;
      if (inputLength + p.max_new_tokens > maxTotalTokens) {
        return server.json(res, 422, {
          error: `Input validation error: \`inputs\` tokens + \`max_new_tokens\` must be <= ${maxTotalTokens}. Given: ${inputLength} \`inputs\` tokens and ${p.max_new_tokens} \`max_new_tokens\``,
          error_type: "validation",
        });
      }
      const temperature = p.do_sample === false ? 0 : p.temperature;
      await server.stream(
        res,
        submitRequest({
          prompt: inputs,
          maxTokens: p.max_new_tokens,
          temperature,
          seed: p.seed,
          stop: p.stop,
        }),
        (token) => ({
          index: token.index + 1,
          token: { id: token.id, text: token.text, logprob: -0.1, special: false },
          generated_text: null,
          details: null,
        }),
        (end, count) => [
          {
            index: count + 1,
            token: { id: 2, text: "</s>", logprob: -0.1, special: true },
            generated_text: "",
            details: {
              finish_reason: finishReasons[end.finishReason],
              generated_tokens: end.tokensOut,
              seed: p.seed ?? null,
              input_length: end.tokensIn,
            },
          },
        ],
      );
    },
  });
  return server;
}
