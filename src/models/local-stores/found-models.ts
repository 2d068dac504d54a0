// What a scan of a local model store found: models to register, and files it had to pass over.
import { OrchError } from "../../common/errors.js";
import type { FetchedModel } from "../fetched-model.js";

export interface Skipped {
  path: string;
  reason: string;
}

export interface FoundModels {
  found: FetchedModel[];
  skipped: Skipped[];
}

/** Why a file was passed over, in words a user can act on. */
export function reasonOf(error: unknown): string {
  if (error instanceof OrchError) return error.message;
  return (error as NodeJS.ErrnoException).code === "ENOENT"
    ? "a file of the model is missing (a dangling link, or a blob deleted)"
    : String(error);
}
