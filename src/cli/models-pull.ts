// `llama-orch models pull REF`: pulls through a running control plane, with a progress bar on a
// terminal, or one JSON line per event with --json.
import type { ServiceError } from "@grpc/grpc-js";
import { SingleBar } from "cli-progress";
import { fromServiceError } from "../common/grpc-errors.js";
import type { CatalogClient, PullEvent } from "../gen/llama_orch/v1/catalog.js";

export interface PullOptions {
  alias?: string;
  json: boolean;
}

const MIB = 1024 * 1024;

function mib(bytes: number): string {
  return (bytes / MIB).toFixed(1);
}

/** Renders events as a bar (total known) on stderr; the result line goes to stdout. */
function barRenderer() {
  const bar = new SingleBar({
    format: "{bar} {percentage}% | {done}/{all} MiB | {rate} MiB/s | {stage}",
    hideCursor: true,
    clearOnComplete: false,
  });
  let started = false;
  return (event: PullEvent) => {
    const e = event.event;
    if (e?.$case === "downloading") {
      const payload = {
        done: mib(e.value.bytes),
        all: mib(e.value.total),
        rate: mib(e.value.bytesPerS),
        stage: "downloading",
      };
      if (!started) bar.start(Math.max(e.value.total, e.value.bytes, 1), e.value.bytes, payload);
      started = true;
      bar.update(e.value.bytes, payload);
    } else if (e?.$case === "verifying" && started) {
      bar.update({ stage: "verifying" });
    } else if (e?.$case === "done" || e?.$case === "error") {
      if (started) bar.stop();
      if (e.$case === "done") process.stdout.write(`${e.value.id} ${e.value.digest}\n`);
      else process.stderr.write(`llama-orch: ${e.value.code}: ${e.value.message}\n`);
    } else if (e?.$case === "resolving") {
      process.stderr.write("resolving...\n");
    }
  };
}

function jsonLine(event: PullEvent): void {
  const e = event.event;
  process.stdout.write(
    `${JSON.stringify({ pull_id: event.pullId, [e?.$case ?? "unknown"]: e?.value })}\n`,
  );
}

/** Exit code 1 when the pull ended in an error event, 2 when the call itself failed. */
export function pullModel(client: CatalogClient, ref: string, options: PullOptions): Promise<void> {
  const render = options.json ? jsonLine : barRenderer();
  return new Promise((resolve) => {
    const call = client.pullModel({ ref, alias: options.alias ?? "" });
    call.on("data", (event: PullEvent) => {
      render(event);
      if (event.event?.$case === "error") process.exitCode = 1;
    });
    call.on("error", (error: ServiceError) => {
      const orch = fromServiceError(error);
      process.stderr.write(`llama-orch: ${orch.code}: ${orch.message}\n`);
      process.exitCode = 2;
    });
    call.on("close", resolve);
  });
}
