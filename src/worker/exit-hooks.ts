// How a worker process ends: signals and the loss of its parent shut it down once, then exit.
import { OrchError } from "../common/errors.js";
import type { Logger } from "../common/logger.js";

/** What the hooks need of a running worker. */
type Stoppable = { shutdown(): Promise<void> };

/**
 * SIGTERM / SIGINT, and with `exitWithParent` the loss of the parent's IPC channel, shut the worker
 * down and exit 0. Installed before the model loads, so a parent that dies during a long load leaves
 * no orphan. A second signal exits at once. Returns the function that hands over the running worker.
 */
export function installExitHooks(
  log: Logger,
  exitWithParent: boolean,
): (worker: Stoppable) => void {
  if (exitWithParent && !process.connected) {
    throw new OrchError(
      "INVALID_PARAMS",
      "--exit-with-parent needs an IPC channel to the parent: spawn with stdio [..., 'ipc']",
    );
  }
  let worker: Stoppable | undefined;
  let reason: string | undefined;
  const exit = () => {
    if (!worker) process.exit(0);
    worker.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  const stop = (why: string, isSignal: boolean) => {
    if (reason !== undefined) {
      if (isSignal) process.exit(1);
      return;
    }
    reason = why;
    log.info({ reason: why }, "shutting down");
    exit();
  };
  process.on("SIGTERM", () => stop("SIGTERM", true));
  process.on("SIGINT", () => stop("SIGINT", true));
  if (exitWithParent) process.once("disconnect", () => stop("parent disconnected", false));
  return (running) => {
    worker = running;
  };
}
