// Where other tools keep models on this machine: the Hugging Face hub cache and Ollama's store,
// found through the variables those tools themselves read.
import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** The stores by name, as requests, catalog metadata and provenance lines call them. */
export const storeKinds = ["hf-cache", "ollama-store"] as const;
export type StoreKind = (typeof storeKinds)[number];

export interface LocalStores {
  /** The Hugging Face hub cache (`models--org--repo/{blobs,snapshots,refs}`). */
  hfCache: string;
  /** Ollama's models folder (`manifests/` + `blobs/`). */
  ollama: string;
}

/** `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub` (huggingface_hub's order). */
export function hfCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return resolve(env.HF_HUB_CACHE);
  if (env.HF_HOME) return join(resolve(env.HF_HOME), "hub");
  const xdg = env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(homedir(), ".cache");
  return join(xdg, "huggingface", "hub");
}

/** `$OLLAMA_MODELS`, else `~/.ollama/models` (what `ollama serve` uses on Linux and macOS). */
export function ollamaRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.OLLAMA_MODELS ? resolve(env.OLLAMA_MODELS) : join(homedir(), ".ollama", "models");
}

export function localStores(env: NodeJS.ProcessEnv = process.env): LocalStores {
  return { hfCache: hfCacheRoot(env), ollama: ollamaRoot(env) };
}
