// The Catalog's PullModel stream: starts or joins a pull and writes its events as proto messages.
import type { ServerWritableStream } from "@grpc/grpc-js";
import { OrchError } from "../common/errors.js";
import { toErrorDetail, toStatus } from "../common/grpc-errors.js";
import type {
  PullEvent as ProtoPullEvent,
  PullModelRequest,
} from "../gen/llama_orch/v1/catalog.js";
import type { PullEvent } from "../models/pull/pull-events.js";
import type { ModelPulls } from "./model-pulls.js";

export function toProtoPullEvent(pullId: string, event: PullEvent): ProtoPullEvent {
  switch (event.type) {
    case "resolving":
      return { pullId, event: { $case: "resolving", value: {} } };
    case "downloading": {
      const value = { bytes: event.bytes, total: event.total ?? 0, bytesPerS: event.bytesPerS };
      return { pullId, event: { $case: "downloading", value } };
    }
    case "verifying":
      return { pullId, event: { $case: "verifying", value: {} } };
    case "done":
      return { pullId, event: { $case: "done", value: { id: event.id, digest: event.digest } } };
    case "error": {
      const value = toErrorDetail(new OrchError(event.code, event.message));
      return { pullId, event: { $case: "error", value } };
    }
  }
}

/** A client that goes away only stops listening: the download goes on for the others. */
export function pullModelHandler(pulls: ModelPulls) {
  return (call: ServerWritableStream<PullModelRequest, ProtoPullEvent>) => {
    let pull: ReturnType<ModelPulls["start"]>;
    try {
      pull = pulls.start(call.request.ref, call.request.alias || undefined);
    } catch (error) {
      call.emit("error", toStatus(error));
      return;
    }
    const unsubscribe = pull.subscribe((event) => {
      call.write(toProtoPullEvent(pull.id, event));
      if (event.type === "done" || event.type === "error") call.end();
    });
    call.on("cancelled", unsubscribe);
  };
}
