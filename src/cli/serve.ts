// `llama-orch serve`: the control plane plus one supervised worker per configured pool.
import { setLogger } from "@grpc/grpc-js";
import type { Command } from "commander";
import { ConfigError, loadConfig } from "../common/config.js";
import { OrchError } from "../common/errors.js";
import { createLogger } from "../common/logger.js";
import { StartupError } from "../common/startup-error.js";
import { startControlPlane } from "../control/control-plane.js";
import { startGateway } from "../gateway/server.js";

/** After `shutdown.drain_ms`, the time workers and the gRPC server get before they are cut. */
const SHUTDOWN_MARGIN_MS = 2000;
/** Past the deadline, a stop that still hangs (a stuck close) exits anyway. */
const BACKSTOP_MS = 1000;

async function serve(options: { config?: string }): Promise<void> {
  const config = await loadConfig(options.config);
  const log = createLogger({ level: config.logging.level, name: "llama-orch" });
  // grpc-js writes its own errors to stderr; they belong in the structured log with the rest.
  const grpcLog = log.child({ component: "grpc-js" });
  setLogger({
    error: (...parts: unknown[]) => grpcLog.warn(parts.join(" ")),
    info: (...parts: unknown[]) => grpcLog.info(parts.join(" ")),
    debug: (...parts: unknown[]) => grpcLog.debug(parts.join(" ")),
  });
  const plane = await startControlPlane(config, log);
  const auth = {
    token: config.auth.token?.reveal(),
    optional: config.auth.optional,
    trustProxy: config.auth.trustProxy,
  };
  const gateway = await startGateway({
    httpAddr: config.server.httpAddr,
    grpcAddr: plane.grpcAddr,
    auth,
    log,
    metrics: plane.metrics,
    sseKeepaliveMs: config.gateway.sseKeepaliveMs,
    corsOrigins: config.gateway.corsOrigins,
    tls: plane.tls,
  }).catch(async (error: unknown) => {
    await plane.stop(); // workers and the database go with a gateway that could not listen
    throw error;
  });
  log.info({ http_addr: gateway.address }, "gateway serving");
  const shutdown = async (signal: string) => {
    log.info({ signal }, "shutting down");
    // The whole stop is bounded: the drain, then at most the margin for workers and gRPC to go.
    const deadlineAt = Date.now() + config.shutdown.drainMs + SHUTDOWN_MARGIN_MS;
    setTimeout(
      () => {
        log.error({ drain_ms: config.shutdown.drainMs }, "shutdown overran its deadline; exiting");
        process.exit(1);
      },
      deadlineAt + BACKSTOP_MS - Date.now(),
    ).unref();
    // Streams end first (their tasks finish or are ended), so closing the gateway waits for none.
    await plane.drain();
    await gateway.close();
    await plane.stop(deadlineAt);
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
}

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("run the control plane (gRPC), the HTTP gateway, and a worker per configured pool")
    .option(
      "--config <file>",
      "YAML config (default: $LLAMA_ORCH_CONFIG, else one CPU pool on the tiny model)",
    )
    .action(async (options: { config?: string }) => {
      try {
        await serve(options);
      } catch (error) {
        // An unreadable TLS file is as much a setup mistake as a bad config key.
        const setup =
          error instanceof ConfigError ||
          error instanceof OrchError ||
          error instanceof StartupError;
        if (!setup) throw error;
        process.stderr.write(`llama-orch: ${error.message}\n`);
        process.exitCode = 2;
      }
    });
}
