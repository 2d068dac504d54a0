// The finish-reason maps, one per boundary, each total over its source enum (test/unit/finish-reasons.test.ts).
import { FinishReason } from "../gen/llama_orch/v1/common.js";
import { TaskState } from "../gen/llama_orch/v1/orchestrator.js";

/** Why a sequence ended, in the engine's words (engine adapters say a subset of them). */
export const engineFinishReasons = ["stop", "length", "cancelled", "error"] as const;
export type EngineFinishReason = (typeof engineFinishReasons)[number];

/** Worker boundary: what the engine or an adapter said, as the proto enum. */
export const protoFinishReasons: Readonly<Record<EngineFinishReason, FinishReason>> = {
  stop: FinishReason.FINISH_REASON_STOP,
  length: FinishReason.FINISH_REASON_LENGTH,
  cancelled: FinishReason.FINISH_REASON_CANCELLED,
  error: FinishReason.FINISH_REASON_ERROR,
};

/** The name logs carry: the engine's word, so worker, adapter and control plane lines read alike. */
export const finishReasonNames: Readonly<Record<FinishReason, string>> = {
  [FinishReason.FINISH_REASON_UNSPECIFIED]: "unspecified",
  [FinishReason.FINISH_REASON_STOP]: "stop",
  [FinishReason.FINISH_REASON_LENGTH]: "length",
  [FinishReason.FINISH_REASON_CANCELLED]: "cancelled",
  [FinishReason.FINISH_REASON_ERROR]: "error",
  [FinishReason.UNRECOGNIZED]: "unrecognized",
};

/** Control plane: the task's terminal state. A worker that set no reason ended plainly. */
export const finishedStates: Readonly<Record<FinishReason, TaskState>> = {
  [FinishReason.FINISH_REASON_UNSPECIFIED]: TaskState.TASK_STATE_FINISHED_STOP,
  [FinishReason.FINISH_REASON_STOP]: TaskState.TASK_STATE_FINISHED_STOP,
  [FinishReason.FINISH_REASON_LENGTH]: TaskState.TASK_STATE_FINISHED_LENGTH,
  [FinishReason.FINISH_REASON_CANCELLED]: TaskState.TASK_STATE_FINISHED_CANCELLED,
  [FinishReason.FINISH_REASON_ERROR]: TaskState.TASK_STATE_FINISHED_ERROR,
  [FinishReason.UNRECOGNIZED]: TaskState.TASK_STATE_FINISHED_STOP,
};

/**
 * Native SSE `end.finish_reason` (data.yaml SSEEnd). An error never ends in `end` (errors are
 * `error` frames), so FINISH_REASON_ERROR, like an unset reason, reads as stop.
 */
export const sseFinishReasons: Readonly<Record<FinishReason, "stop" | "length" | "cancelled">> = {
  [FinishReason.FINISH_REASON_UNSPECIFIED]: "stop",
  [FinishReason.FINISH_REASON_STOP]: "stop",
  [FinishReason.FINISH_REASON_LENGTH]: "length",
  [FinishReason.FINISH_REASON_CANCELLED]: "cancelled",
  [FinishReason.FINISH_REASON_ERROR]: "stop",
  [FinishReason.UNRECOGNIZED]: "stop",
};

/**
 * OpenAI `finish_reason` of an answer without tool calls (one with them reads as tool_calls).
 * OpenAI has no word for a cancelled answer: the client that cancelled it sees it stop.
 */
export const openaiFinishReasons: Readonly<Record<FinishReason, "stop" | "length">> = {
  [FinishReason.FINISH_REASON_UNSPECIFIED]: "stop",
  [FinishReason.FINISH_REASON_STOP]: "stop",
  [FinishReason.FINISH_REASON_LENGTH]: "length",
  [FinishReason.FINISH_REASON_CANCELLED]: "stop",
  [FinishReason.FINISH_REASON_ERROR]: "stop",
  [FinishReason.UNRECOGNIZED]: "stop",
};

/**
 * Anthropic `stop_reason` of an answer without tool calls (one with them reads as tool_use). A
 * matched stop string is end_turn too: the engine cuts it without saying which one matched.
 */
export const anthropicStopReasons: Readonly<Record<FinishReason, "end_turn" | "max_tokens">> = {
  [FinishReason.FINISH_REASON_UNSPECIFIED]: "end_turn",
  [FinishReason.FINISH_REASON_STOP]: "end_turn",
  [FinishReason.FINISH_REASON_LENGTH]: "max_tokens",
  [FinishReason.FINISH_REASON_CANCELLED]: "end_turn",
  [FinishReason.FINISH_REASON_ERROR]: "end_turn",
  [FinishReason.UNRECOGNIZED]: "end_turn",
};
