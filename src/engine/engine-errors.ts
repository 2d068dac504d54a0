// Turns errors thrown or reported by the addon into OrchError with the registry code.
import { isErrorCode, OrchError } from "../common/errors.js";

export function fromNative(error: unknown): OrchError {
  if (error instanceof OrchError) return error;
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    return new OrchError(isErrorCode(code) ? code : "INTERNAL", error.message);
  }
  return new OrchError("INTERNAL", String(error));
}

/** Runs a native call, rethrowing its failure as an OrchError. */
export function native<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw fromNative(error);
  }
}
