// The events of one model pull, in order: resolving, downloading..., verifying, then done or error.
import type { ErrorCode } from "../../common/errors.js";

export type PullEvent =
  | { type: "resolving" }
  | { type: "downloading"; bytes: number; total?: number; bytesPerS: number }
  | { type: "verifying" }
  | { type: "done"; id: string; digest: string }
  | { type: "error"; code: ErrorCode; message: string; retriable: boolean };

export function isTerminal(event: PullEvent): boolean {
  return event.type === "done" || event.type === "error";
}
