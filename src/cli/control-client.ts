// How CLI subcommands reach a running control plane: gRPC clients at --addr with AUTH_TOKEN, each
// call a promise, and every failure one line with its registry code and what to do about it.
import { credentials, type ServiceError, status } from "@grpc/grpc-js";
import type { Command } from "commander";
import { OrchError } from "../common/errors.js";
import { sendBearer } from "../common/grpc-auth.js";
import { fromServiceError } from "../common/grpc-errors.js";
import { ArtifactsClient } from "../gen/llama_orch/v1/artifacts.js";
import { OrchestratorClient } from "../gen/llama_orch/v1/orchestrator.js";
import { PoolsClient } from "../gen/llama_orch/v1/pool.js";
import { StatusClient } from "../gen/llama_orch/v1/status.js";
import { hostPort } from "./parse.js";

export const DEFAULT_ADDR = "127.0.0.1:50051";
/** A call that gets no answer in this long fails instead of hanging the terminal. */
const CONNECT_TIMEOUT_MS = 5000;

export interface ClientOptions {
  addr: string;
  json: boolean;
}

export interface Control {
  addr: string;
  orchestrator: OrchestratorClient;
  pools: PoolsClient;
  status: StatusClient;
  artifacts: ArtifactsClient;
  close(): void;
}

/** Adds the options every client subcommand takes: --addr and --json. */
export function clientCommand(command: Command): Command {
  return command
    .option("--addr <host:port>", "control plane gRPC address", hostPort, DEFAULT_ADDR)
    .option("--json", "print JSON instead of tables", false);
}

export function connect(addr: string): Control {
  const options = { interceptors: sendBearer(process.env.AUTH_TOKEN) };
  const insecure = credentials.createInsecure();
  const orchestrator = new OrchestratorClient(addr, insecure, options);
  const pools = new PoolsClient(addr, insecure, options);
  const statusClient = new StatusClient(addr, insecure, options);
  const artifacts = new ArtifactsClient(addr, insecure, options);
  return {
    addr,
    orchestrator,
    pools,
    status: statusClient,
    artifacts,
    close() {
      for (const client of [orchestrator, pools, statusClient, artifacts]) client.close();
    },
  };
}

/** Call options for a unary call: fail after CONNECT_TIMEOUT_MS when no control plane answers. */
export function callOptions() {
  return { deadline: Date.now() + CONNECT_TIMEOUT_MS, waitForReady: false };
}

type Callback<Res> = (error: ServiceError | null, response: Res) => void;

/** What the CLI prints for a failed call: a registry code (or an auth code) and what to do. */
export class CliFailure extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** One unary call as a promise; rejects with the CliFailure the CLI prints. */
export function rpc<Res>(addr: string, invoke: (cb: Callback<Res>) => unknown): Promise<Res> {
  return new Promise((resolve, reject) => {
    invoke((error, response) => (error ? reject(cliError(error, addr)) : resolve(response)));
  });
}

/** A failed call as the CLI reports it: transport and auth failures named, never INTERNAL. */
export function cliError(error: ServiceError, addr: string): CliFailure {
  const coded = error.metadata?.get("llama-orch-error-code").length;
  if (!coded && (error.code === status.UNAVAILABLE || error.code === status.DEADLINE_EXCEEDED)) {
    return new CliFailure(
      "CONTROL_PLANE_UNREACHABLE",
      `no control plane answered at ${addr}; start one with \`llama-orch serve\` or pass --addr HOST:PORT`,
    );
  }
  // The HTTP surface's auth codes (40101 MISSING_TOKEN, 40102 BAD_TOKEN): the same two cases.
  if (!coded && error.code === status.UNAUTHENTICATED) {
    return process.env.AUTH_TOKEN
      ? new CliFailure(
          "BAD_TOKEN",
          "AUTH_TOKEN does not match the control plane's token; export the one it was started with",
        )
      : new CliFailure(
          "MISSING_TOKEN",
          "the control plane requires a token; export AUTH_TOKEN=<its token>",
        );
  }
  const orch = fromServiceError(error);
  return new CliFailure(orch.code, orch.message);
}

/** Prints a failure as one line on stderr and sets the exit status. */
export function report(error: unknown): void {
  const failure =
    error instanceof CliFailure || error instanceof OrchError
      ? error
      : new CliFailure("INTERNAL", String(error));
  process.stderr.write(`llama-orch: ${failure.code}: ${failure.message}\n`);
  process.exitCode = 2;
}

/** Runs a subcommand's work against the control plane, reporting its failure, always closing. */
export async function withControl(
  options: ClientOptions,
  work: (control: Control) => Promise<void>,
): Promise<void> {
  const control = connect(options.addr);
  try {
    await work(control);
  } catch (error) {
    report(error);
  } finally {
    control.close();
  }
}
