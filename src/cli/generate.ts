// `llama-orch generate`: one generation from a model, streamed to stdout or reported as JSON.
import type { Command } from "commander";
import { OrchError } from "../common/errors.js";
import { Engine } from "../engine/engine.js";
import { ensureModel } from "../models/ensure-model.js";
import { integer, nonNegativeNumber } from "./parse.js";

interface GenerateOptions {
  model?: string;
  prompt: string;
  maxTokens: number;
  seed?: number;
  temperature: number;
  threads?: number;
  json: boolean;
}

async function generate(options: GenerateOptions): Promise<void> {
  const modelPath = options.model ?? (await ensureModel("tiny"));
  const engine = await Engine.load({ modelPath, slots: 1, threads: options.threads });
  try {
    const sequence = engine.submit({
      prompt: options.prompt,
      maxTokens: options.maxTokens,
      sampling: { temperature: options.temperature, seed: options.seed },
    });
    let text = "";
    for await (const event of sequence) {
      if (event.type === "token") {
        text += event.text;
        if (!options.json) process.stdout.write(event.text);
        continue;
      }
      if (options.json) {
        const report = { model: engine.info, engineVersion: Engine.engineVersion, text, ...event };
        process.stdout.write(`${JSON.stringify(report)}\n`);
      } else {
        const perToken = event.tokensOut > 1 ? event.decodeMs / (event.tokensOut - 1) : 0;
        process.stderr.write(
          `\n[${event.finishReason}] ${event.tokensIn} prompt tokens, ${event.tokensOut} generated, ` +
            `first token ${event.ttftMs.toFixed(1)} ms, ${perToken.toFixed(2)} ms/token\n`,
        );
      }
    }
  } finally {
    await engine.dispose();
  }
}

export function registerGenerate(program: Command): void {
  program
    .command("generate")
    .description("generate text once from a GGUF model (default: the generated tiny test model)")
    .option("--model <path>", "GGUF model file")
    .requiredOption("--prompt <text>", "prompt text")
    .option("--max-tokens <n>", "tokens to generate", integer(1), 64)
    .option("--seed <n>", "sampling seed (same seed, same output)", integer(0))
    .option("--temperature <t>", "sampling temperature (0 is greedy)", nonNegativeNumber, 0.8)
    .option("--threads <n>", "CPU threads", integer(1))
    .option("--json", "print one JSON object with the text, counts and timings", false)
    .action(async (options: GenerateOptions) => {
      try {
        await generate(options);
      } catch (error) {
        if (!(error instanceof OrchError)) throw error;
        process.stderr.write(`llama-orch: ${error.code}: ${error.message}\n`);
        process.exitCode = 2;
      }
    });
}
