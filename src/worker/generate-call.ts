// A Generate call's lifetime on the worker: waiting for its drain, its deadline, a quiet cancel.
import type { ServerWritableStream } from "@grpc/grpc-js";
import type { Sequence } from "../engine/sequence.js";
import type { GenerateEvent, GenerateRequest } from "../gen/llama_orch/v1/worker.js";

export type GenerateCall = ServerWritableStream<GenerateRequest, GenerateEvent>;

/** Cancel can race the engine's own end or its disposal; either way the stream still gets its end. */
export function cancelQuietly(sequence: Sequence): Promise<boolean> {
  try {
    return sequence.cancel().catch(() => false);
  } catch {
    return Promise.resolve(false);
  }
}

/** Resolves once the call takes writes again, or is gone (nothing more will be written then). */
export function writable(call: GenerateCall): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off("drain", done);
      call.off("cancelled", done);
      call.off("close", done);
      resolve();
    };
    call.on("drain", done);
    call.on("cancelled", done);
    call.on("close", done);
  });
}

/** grpc-js reports a client cancel as "cancelled" but not always its own deadline: time it here. */
export function onDeadline(call: GenerateCall, stop: () => void): NodeJS.Timeout | undefined {
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  if (!Number.isFinite(at)) return undefined;
  return setTimeout(stop, Math.max(0, at - Date.now()));
}
