// A model file brought onto this disk (pulled, found in a local store, or local): what the catalog registers.
import type { StoreKind } from "./local-stores/store-roots.js";

export interface FetchedModel {
  /** The file to load (the first part of a split model). */
  path: string;
  sha256: string;
  size: number;
  /** The bytes matched a digest their source gave. */
  verified: boolean;
  /** `ref` is the catalog id the model gets. */
  source: { ref: string; url: string; commit?: string; store?: StoreKind };
  /** Plain names the source suggests (e.g. `llama3.2:latest`), given where still free. */
  aliases?: string[];
}
