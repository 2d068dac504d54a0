// `llama-orch submit`: sends one task to a running control plane over gRPC and streams its tokens.
import { credentials, type ServiceError } from "@grpc/grpc-js";
import type { Command } from "commander";
import { sendBearer } from "../common/grpc-auth.js";
import { fromServiceError } from "../common/grpc-errors.js";
import { Priority } from "../gen/llama_orch/v1/common.js";
import {
  OrchestratorClient,
  type TaskEvent,
  TaskRequest,
} from "../gen/llama_orch/v1/orchestrator.js";
import { hostPort, integer, nonNegativeNumber } from "./parse.js";

interface SubmitOptions {
  addr: string;
  prompt: string;
  maxTokens: number;
  session?: string;
  seed?: number;
  temperature?: number;
  batch: boolean;
  json: boolean;
}

function write(event: TaskEvent, json: boolean): void {
  const e = event.event;
  if (json) process.stdout.write(`${JSON.stringify({ [e?.$case ?? "unknown"]: e?.value })}\n`);
  else if (e?.$case === "token") process.stdout.write(e.value.t);
  else if (e?.$case === "admitted")
    process.stderr.write(
      `[queued at ${e.value.queuePosition} on ${e.value.poolId}, task ${e.value.taskId}]\n`,
    );
  else if (e?.$case === "end")
    process.stderr.write(`\n[end: ${e.value.tokensOut} tokens, ${e.value.decodeTimeMs} ms]\n`);
  else if (e?.$case === "error")
    process.stderr.write(`\n[error ${e.value.code}: ${e.value.message}]\n`);
}

function submit(options: SubmitOptions): Promise<void> {
  const client = new OrchestratorClient(options.addr, credentials.createInsecure(), {
    interceptors: sendBearer(process.env.AUTH_TOKEN),
  });
  const request = TaskRequest.fromPartial({
    prompt: options.prompt,
    maxTokens: options.maxTokens,
    sessionId: options.session ?? "",
    seed: options.seed,
    sampling: options.temperature === undefined ? undefined : { temperature: options.temperature },
    priority: options.batch ? Priority.PRIORITY_BATCH : Priority.PRIORITY_INTERACTIVE,
  });
  return new Promise((resolve) => {
    const call = client.submit(request);
    call.on("data", (event: TaskEvent) => {
      write(event, options.json);
      if (event.event?.$case === "error") process.exitCode = 1;
    });
    call.on("error", (error: ServiceError) => {
      const orch = fromServiceError(error);
      process.stderr.write(`llama-orch: ${orch.code}: ${orch.message}\n`);
      process.exitCode = 2;
    });
    call.on("close", () => {
      client.close();
      resolve();
    });
  });
}

export function registerSubmit(program: Command): void {
  program
    .command("submit")
    .description("submit a task to a running control plane and stream its tokens")
    .option("--addr <host:port>", "control plane gRPC address", hostPort, "127.0.0.1:50051")
    .requiredOption("--prompt <text>", "prompt text")
    .option("--max-tokens <n>", "tokens to generate", integer(1), 64)
    .option("--session <uuid>", "session id (keeps KV and turns between tasks)")
    .option("--seed <n>", "sampling seed", integer(0))
    .option("--temperature <t>", "sampling temperature (0 is greedy)", nonNegativeNumber)
    .option("--batch", "batch priority (default interactive)", false)
    .option("--json", "print every event as a JSON line", false)
    .action((options: SubmitOptions) => submit(options));
}
