// The `llama-orch` command line: one binary, subcommands.
import { Command } from "commander";
import { version } from "../common/version.js";
import { registerArtifacts } from "./artifacts.js";
import { registerGenerate } from "./generate.js";
import { registerMetrics } from "./metrics-tail.js";
import { registerModels } from "./models-command.js";
import { registerPools } from "./pools.js";
import { registerServe } from "./serve.js";
import { registerSessions } from "./sessions.js";
import { registerStatus } from "./status.js";
import { registerSubmit } from "./submit.js";
import { registerTasks } from "./tasks.js";
import { registerWorker } from "./worker.js";

const program = new Command("llama-orch")
  .description("LLM orchestrator for local GPUs")
  .version(version)
  .showHelpAfterError();
registerGenerate(program);
registerServe(program);
registerSubmit(program);
registerWorker(program);
registerModels(program);
registerStatus(program);
registerTasks(program);
registerSessions(program);
registerArtifacts(program);
registerPools(program);
registerMetrics(program);
await program.parseAsync(process.argv);
