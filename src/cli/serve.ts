// `llama-orch serve`: the control plane plus one supervised worker per configured pool.
import type { Command } from "commander";
import { ConfigError, loadConfig } from "../common/config.js";
import { createLogger } from "../common/logger.js";
import { startControlPlane } from "../control/control-plane.js";
import { startGateway } from "../gateway/server.js";

async function serve(options: { config?: string }): Promise<void> {
  const config = await loadConfig(options.config);
  const log = createLogger({ level: config.logging.level, name: "llama-orch" });
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
  });
  log.info({ http_addr: gateway.address }, "gateway serving");
  const shutdown = async (signal: string) => {
    log.info({ signal }, "shutting down");
    // Streams end first (their tasks finish or are ended), so closing the gateway waits for none.
    await plane.drain();
    await gateway.close();
    await plane.stop();
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
        if (!(error instanceof ConfigError)) throw error;
        process.stderr.write(`llama-orch: ${error.message}\n`);
        process.exitCode = 2;
      }
    });
}
