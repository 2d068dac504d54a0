// The `llama-orch` command line: one binary, subcommands.
import { Command } from "commander";
import { registerGenerate } from "./generate.js";
import { registerModels } from "./models-command.js";
import { registerServe } from "./serve.js";
import { registerSubmit } from "./submit.js";
import { registerWorker } from "./worker.js";

const program = new Command("llama-orch")
  .description("LLM orchestrator for local GPUs")
  .showHelpAfterError();
registerGenerate(program);
registerServe(program);
registerSubmit(program);
registerWorker(program);
registerModels(program);
await program.parseAsync(process.argv);
