// llama-orch's native surface as one timed request: POST /v1/tasks (202), then its SSE stream.
import { requestEvents, requestJson } from "./http-request.js";
import { RequestClock } from "./request-clock.js";
import type { RequestSample } from "./types.js";

export interface TaskCall {
  prompt: string;
  maxTokens: number;
  seed: number;
  modelRef: string;
  /** Sees the `started` event's model digest: which file the pool's worker loaded. */
  onModelDigest?: (digest: string) => void;
}

interface AdmissionBody {
  task_id: string;
}

interface EndData {
  tokens_in: number;
  tokens_out: number;
  finish_reason: string;
}

/**
 * The clock starts before the POST, so TTFT includes admission and the second request. The
 * native body has no sampling fields: the task samples with the engine's defaults, seeded.
 */
export async function streamTask(origin: string, call: TaskCall): Promise<RequestSample> {
  const clock = new RequestClock();
  const body = {
    model_ref: call.modelRef,
    prompt: call.prompt,
    max_tokens: call.maxTokens,
    seed: call.seed,
    ignore_eos: true,
  };
  const admission = (await requestJson(
    origin,
    { method: "POST", path: "/v1/tasks", body },
    202,
  )) as AdmissionBody;
  let end: EndData | undefined;
  let tokens = 0;
  const path = `/v1/tasks/${admission.task_id}/stream`;
  await requestEvents(origin, { method: "GET", path }, (event) => {
    if (event.event === "token") {
      tokens++;
      clock.chunk((JSON.parse(event.data) as { t: string }).t);
    } else if (event.event === "started") {
      const digest = (JSON.parse(event.data) as { model_digest?: string }).model_digest;
      if (digest) call.onModelDigest?.(digest);
    } else if (event.event === "end") {
      end = JSON.parse(event.data) as EndData;
    } else if (event.event === "error") {
      throw new Error(`task error: ${event.data}`);
    }
  });
  if (!end) throw new Error("the task stream ended without an end event");
  if (end.finish_reason !== "length") throw new Error(`task finished ${end.finish_reason}`);
  if (tokens !== end.tokens_out)
    throw new Error(`${tokens} token events, end says ${end.tokens_out}`);
  return clock.end(call.maxTokens, end.tokens_in, end.tokens_out);
}
