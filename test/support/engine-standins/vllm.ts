// A vLLM stand-in speaking its OpenAI-compatible server's wire format (docs.vllm.ai
// "OpenAI-Compatible Server"; vllm/entrypoints/openai/protocol.py: CompletionStreamResponse,
// usage chunk with stream_options.include_usage, `data: [DONE]`; /tokenize -> {count, tokens};
// /metrics `vllm:num_requests_running|waiting`, `vllm:kv_cache_usage_perc`).
import type { Engine } from "../../../src/engine/engine.js";
import { StandinServer, submitRequest } from "./standin-server.js";

interface CompletionRequest {
  model: string;
  prompt: string;
  max_tokens: number;
  temperature?: number;
  seed?: number;
  stop?: string[];
  ignore_eos?: boolean;
}

export function vllmStandin(engine: Engine, model: string, maxModelLen = 1024): StandinServer {
  const server: StandinServer = new StandinServer(engine, {
    "GET /health": async (_req, _body, res) => {
      if (server.faults.down) return server.json(res, 503, { error: "engine dead" });
      res.writeHead(200).end();
    },
    "GET /v1/models": async (_req, _body, res) =>
      server.json(res, 200, {
        object: "list",
        data: [{ id: model, object: "model", owned_by: "vllm", max_model_len: maxModelLen }],
      }),
    "POST /tokenize": async (_req, body, res) => {
      const tokens = engine.tokenize((body as { prompt: string }).prompt, {
        addSpecial: true,
        parseSpecial: true,
      });
      server.json(res, 200, {
        count: tokens.length,
        max_model_len: maxModelLen,
        tokens: [...tokens],
      });
    },
    "GET /metrics": async (_req, _body, res) => {
      const running = server.streaming + (server.faults.otherRunning ?? 0);
      const waiting = server.faults.otherWaiting ?? 0;
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(
        "# HELP vllm:num_requests_running Number of requests in model execution batches.\n" +
          "# TYPE vllm:num_requests_running gauge\n" +
          `vllm:num_requests_running{engine="0",model_name="${model}"} ${running}\n` +
          `vllm:num_requests_waiting{engine="0",model_name="${model}"} ${waiting}\n` +
          `vllm:kv_cache_usage_perc{engine="0",model_name="${model}"} 0.25\n`,
      );
    },
    "POST /v1/completions": async (_req, body, res) => {
      const request = body as CompletionRequest;
      if (server.faults.down)
        return server.json(res, 503, {
          object: "error",
          message: "engine dead",
          type: "ServiceUnavailableError",
          code: 503,
        });
      if (server.faults.refuseWith) {
        return server.json(
          res,
          server.faults.refuseWith,
          {
            object: "error",
            message: "too many requests",
            type: "TooManyRequests",
            code: server.faults.refuseWith,
          },
          { "retry-after": "2" },
        );
      }
      const promptTokens = engine.tokenize(request.prompt, {
        addSpecial: true,
        parseSpecial: true,
      }).length;
      if (promptTokens + request.max_tokens > maxModelLen) {
        return server.json(res, 400, {
          object: "error",
          message: `This model's maximum context length is ${maxModelLen} tokens. However, you requested ${promptTokens + request.max_tokens} tokens.`,
          type: "BadRequestError",
          code: 400,
        });
      }
      const id = `cmpl-${server.received.length}`;
      const choice = (text: string, finish: string | null) => ({
        index: 0,
        text,
        logprobs: null,
        finish_reason: finish,
      });
      await server.stream(
        res,
        submitRequest({
          prompt: request.prompt,
          maxTokens: request.max_tokens,
          temperature: request.temperature,
          seed: request.seed,
          stop: request.stop,
          ignoreEos: request.ignore_eos,
        }),
        (token) => ({ id, object: "text_completion", model, choices: [choice(token.text, null)] }),
        (end) => [
          {
            id,
            object: "text_completion",
            model,
            choices: [choice("", end.finishReason === "length" ? "length" : "stop")],
          },
          {
            id,
            object: "text_completion",
            model,
            choices: [],
            usage: {
              prompt_tokens: end.tokensIn,
              completion_tokens: end.tokensOut,
              total_tokens: end.tokensIn + end.tokensOut,
            },
          },
          "[DONE]",
        ],
      );
    },
  });
  return server;
}
