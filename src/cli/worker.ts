// `llama-orch worker`: one pool's worker process, registered with a control plane.
import type { Command } from "commander";
import { runAdapterWorker } from "../adapters/adapter-main.js";
import { adapterEngines } from "../adapters/types.js";
import { type LogLevel, logLevels } from "../common/config-schema.js";
import { OrchError } from "../common/errors.js";
import { flashAttnModes, splitModes } from "../common/gpu-split.js";
import { poolings } from "../engine/types.js";
import { installExitHooks } from "../worker/exit-hooks.js";
import { runWorker, type WorkerOptions, workerLogger } from "../worker/worker-main.js";
import {
  hostPort,
  identifier,
  integer,
  integerList,
  integerOrAuto,
  oneOf,
  proportions,
} from "./parse.js";

/** The command's flags: the worker's options as the command line gives them. */
type WorkerFlags = Omit<
  WorkerOptions,
  "poolId" | "authToken" | "authOptional" | "log" | "listen" | "registrationBackoff" | "tls"
> & {
  pool: string;
  listen: string;
  exitWithParent: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  engine: string;
  endpoint?: string;
  servedModel?: string;
  tokenEnv?: string;
  metricsEndpoint?: string;
  logLevel: LogLevel;
};

const engines = ["llamacpp", ...adapterEngines] as const;

/** An adapter pool's worker: the engine's token comes from the variable --token-env names. */
async function adapterWorker(flags: WorkerFlags, options: WorkerOptions) {
  const engine = adapterEngines.find((e) => e === flags.engine);
  if (engine === undefined) return undefined;
  if (!flags.endpoint) {
    throw new OrchError(
      "INVALID_PARAMS",
      `--engine ${engine} needs --endpoint <url> of the engine`,
    );
  }
  const engineToken = flags.tokenEnv ? process.env[flags.tokenEnv] : undefined;
  if (flags.tokenEnv && !engineToken) {
    throw new OrchError(
      "INVALID_PARAMS",
      `--token-env ${flags.tokenEnv} names an unset variable; export it`,
    );
  }
  return runAdapterWorker({
    ...options,
    engine,
    endpoint: flags.endpoint,
    servedModel: flags.servedModel,
    engineToken,
    metricsEndpoint: flags.metricsEndpoint,
  });
}

/** All three TLS flags or none: half a TLS setup would silently fall back to plaintext. */
function tlsFiles(flags: WorkerFlags): WorkerOptions["tls"] {
  const { tlsCert, tlsKey, tlsCa } = flags;
  if (tlsCert === undefined && tlsKey === undefined && tlsCa === undefined) return undefined;
  if (tlsCert === undefined || tlsKey === undefined || tlsCa === undefined) {
    throw new OrchError(
      "INVALID_PARAMS",
      "mutual TLS needs --tls-cert, --tls-key and --tls-ca together; give all three or none",
    );
  }
  return { certFile: tlsCert, keyFile: tlsKey, caFile: tlsCa };
}

async function worker(flags: WorkerFlags): Promise<void> {
  const log = workerLogger(flags.pool, flags.logLevel);
  try {
    const attach = installExitHooks(log, flags.exitWithParent);
    if (flags.backend === "cpu" && (flags.gpuLayers ?? 0) !== 0) {
      log.warn({ gpu_layers: flags.gpuLayers }, "--backend cpu runs every layer on CPU");
    }
    const {
      pool,
      exitWithParent: _,
      tlsCert: _c,
      tlsKey: _k,
      tlsCa: _a,
      logLevel: _l,
      ...flagged
    } = flags;
    const { engine: _e, endpoint, servedModel, tokenEnv, metricsEndpoint, ...rest } = flagged;
    const options: WorkerOptions = {
      ...rest,
      tls: tlsFiles(flags),
      poolId: pool,
      authToken: process.env.AUTH_TOKEN || undefined,
      authOptional: process.env.AUTH_OPTIONAL === "true",
      log,
    };
    attach((await adapterWorker(flags, options)) ?? (await runWorker(options)));
  } catch (error) {
    if (!(error instanceof OrchError)) throw error;
    log.error({ error_code: error.code }, error.message);
    // An IPC channel keeps the event loop alive: leave explicitly.
    process.exit(2);
  }
}

export function registerWorker(program: Command): void {
  program
    .command("worker")
    .description("serve one pool's model over gRPC and register with a control plane")
    .requiredOption("--control <host:port>", "control plane gRPC address", hostPort)
    .requiredOption("--pool <id>", "pool id", identifier)
    .requiredOption(
      "--model <ref>",
      "builtin:tiny, builtin:tiny-q8_0, builtin:bench, or a GGUF path",
    )
    .option("--model-file <path>", "the file to load for --model (a catalog name)")
    .option("--handoff <path>", "a handoff JSON naming the file and digest to load for --model")
    .option("--listen <host:port>", "Worker service address (port 0: any)", hostPort, "127.0.0.1:0")
    .option(
      "--advertise <host:port>",
      "address the control plane dials (default: the bound one)",
      hostPort,
    )
    .option("--backend <name>", "cuda (needs NVIDIA GPUs) or cpu", oneOf(["cpu", "cuda"]), "cuda")
    .option("--slots <n>", "sequences decoded concurrently", integer(1))
    .option("--context-size <n>", "tokens one sequence may hold", integer(1))
    .option("--threads <n>", "CPU threads", integer(1))
    .option("--batch-size <n>", "most tokens per decode call", integer(1))
    .option("--ubatch-size <n>", "physical micro-batch", integer(1))
    .option("--prefill-chunk <n>", "prompt tokens per step under contention", integer(1))
    .option(
      "--stream-interval-ms <n>",
      "at most one token message per task per N ms (0: every step)",
      integer(0),
    )
    .option(
      "--gpu-layers <n>",
      "layers on GPU (-1: all; auto: as many as fit free VRAM; cuda only)",
      integerOrAuto(-1),
    )
    .option("--devices <list>", "NVML indexes of the pool's GPUs, e.g. 0,1", integerList(0))
    .option("--tensor-split <list>", "model share per device, e.g. 3,1", proportions)
    .option("--kv-type <type>", "KV cache type", oneOf(["f16", "q8_0", "f32"]))
    .option("--split-mode <mode>", "split over several GPUs (docs/gpu.md)", oneOf([...splitModes]))
    .option("--main-gpu <index>", "NVML index of the main GPU, one of --devices", integer(0))
    .option("--flash-attn <mode>", "flash attention: auto, on, off", oneOf([...flashAttnModes]))
    .option("--prompt-cache-mb <n>", "host RAM for saved prompt KV (0: off)", integer(0))
    .option("--tls-cert <file>", "PEM certificate for mutual TLS (server and client)")
    .option("--tls-key <file>", "PEM private key of --tls-cert")
    .option("--tls-ca <file>", "PEM CA bundle that signs the control plane's certificate")
    .option(
      "--engine <name>",
      "llamacpp (in-process) or an external engine",
      oneOf([...engines]),
      "llamacpp",
    )
    .option("--endpoint <url>", "the external engine's base URL (adapter engines)")
    .option("--served-model <name>", "the model name the external engine serves (default: --model)")
    .option("--token-env <name>", "environment variable holding the external engine's Bearer token")
    .option("--metrics-endpoint <url>", "the engine's Prometheus URL when not <endpoint>/metrics")
    .option("--chat-template-file <path>", "Jinja chat template replacing the model's")
    .option("--embeddings", "serve embeddings instead of generation")
    .option(
      "--pooling <type>",
      "embeddings pooling: auto (the model's, else last), mean, cls, last",
      oneOf([...poolings]),
    )
    .option("--log-level <level>", "lowest log level written", oneOf([...logLevels]), "info")
    .option("--exit-with-parent", "exit when the parent's IPC channel closes", false)
    .action((flags: WorkerFlags) => worker(flags));
}
