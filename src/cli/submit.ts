// `llama-orch submit`: sends one task to a running control plane over gRPC and streams its tokens.
import type { Command } from "commander";
import { Priority } from "../gen/llama_orch/v1/common.js";
import { TaskRequest } from "../gen/llama_orch/v1/orchestrator.js";
import { type ClientOptions, clientCommand, withControl } from "./control-client.js";
import { integer, nonNegativeNumber } from "./parse.js";
import { printTaskStream } from "./task-stream.js";

interface SubmitOptions extends ClientOptions {
  prompt: string;
  model?: string;
  maxTokens: number;
  session?: string;
  seed?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  repeatPenalty?: number;
  stop: string[];
  ignoreEos: boolean;
  batch: boolean;
}

function toRequest(options: SubmitOptions): TaskRequest {
  return TaskRequest.fromPartial({
    prompt: options.prompt,
    modelRef: options.model ?? "",
    maxTokens: options.maxTokens,
    sessionId: options.session ?? "",
    seed: options.seed,
    sampling: {
      temperature: options.temperature,
      topK: options.topK,
      topP: options.topP,
      minP: options.minP,
      repeatPenalty: options.repeatPenalty,
    },
    stop: options.stop,
    ignoreEos: options.ignoreEos,
    priority: options.batch ? Priority.PRIORITY_BATCH : Priority.PRIORITY_INTERACTIVE,
  });
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerSubmit(program: Command): void {
  clientCommand(program.command("submit"))
    .description("submit a task to a running control plane and stream its tokens")
    .requiredOption("--prompt <text>", "prompt text")
    .option("--model <ref>", "model to run (catalog id, alias or ref); default: the first pool's")
    .option("--max-tokens <n>", "tokens to generate", integer(1), 64)
    .option("--session <uuid>", "session id (keeps KV and turns between tasks)")
    .option("--seed <n>", "sampling seed", integer(0))
    .option("--temperature <t>", "sampling temperature (0 is greedy)", nonNegativeNumber)
    .option("--top-k <n>", "sample from the k most likely tokens", integer(0))
    .option("--top-p <p>", "nucleus sampling threshold", nonNegativeNumber)
    .option("--min-p <p>", "minimum probability relative to the top token", nonNegativeNumber)
    .option(
      "--repeat-penalty <x>",
      "penalty on recently seen tokens (1 is none)",
      nonNegativeNumber,
    )
    .option("--stop <text>", "stop sequence (repeatable)", collect, [])
    .option("--ignore-eos", "generate exactly --max-tokens", false)
    .option("--batch", "batch priority (default interactive)", false)
    .addHelpText("after", "\n--json prints every event as one JSON line.")
    .action((options: SubmitOptions) =>
      withControl(options, (control) =>
        printTaskStream(control.orchestrator.submit(toRequest(options)), options),
      ),
    );
}
