// What the load generator calls on each server: its surfaces, and one turn of a conversation.
import { randomUUID } from "node:crypto";
import type { Generate } from "./load.js";
import type { TurnGenerate } from "./multi-turn.js";
import { streamTask } from "./native-client.js";
import { streamCompletion } from "./openai-client.js";
import { BENCH_MODEL_REF } from "./orch-side.js";
import type { RunningServer, ServeSettings, SurfaceName } from "./types.js";

export interface Surface {
  name: SurfaceName;
  generate: Generate;
}

/** The most surfaces one server offers (llama-orch: OpenAI and native); prompts are planned per surface. */
export const MAX_SURFACES = 2;

/** llama-server offers OpenAI's completions; llama-orch that and its native task surface. */
export function surfacesOf(server: RunningServer, settings: ServeSettings): Surface[] {
  const { origin } = server;
  const { maxTokens, seed } = settings;
  const openAi: Generate = (prompt) =>
    streamCompletion(origin, { prompt, maxTokens, seed, model: BENCH_MODEL_REF });
  if (server.name === "llama-server") return [{ name: "llama-server", generate: openAi }];
  const native: Generate = (prompt) =>
    streamTask(origin, { prompt, maxTokens, seed, modelRef: BENCH_MODEL_REF });
  return [
    { name: "orch-openai", generate: openAi },
    { name: "orch-native", generate: native },
  ];
}

/**
 * Each server's own way to keep a conversation's KV: llama-orch a session per client (a fresh
 * UUID each run, sent as X-Session-Id), llama-server `cache_prompt` (its default, said outright),
 * which reuses the longest common prefix with what the chosen slot holds.
 */
export function conversationOf(
  server: RunningServer,
  settings: ServeSettings,
): { surface: SurfaceName; generate: TurnGenerate } {
  const { origin } = server;
  const { maxTokens, seed } = settings;
  const call = { maxTokens, seed, model: BENCH_MODEL_REF };
  if (server.name === "llama-server") {
    const extraBody = { cache_prompt: true };
    const generate: TurnGenerate = (_client, prompt) =>
      streamCompletion(origin, { ...call, prompt, extraBody });
    return { surface: "llama-server", generate };
  }
  const sessions = Array.from({ length: settings.multiTurn.clients }, () => randomUUID());
  const generate: TurnGenerate = (client, prompt) =>
    streamCompletion(origin, {
      ...call,
      prompt,
      headers: { "X-Session-Id": sessions[client] ?? randomUUID() },
    });
  return { surface: "orch-openai", generate };
}

/**
 * Coding agents: the whole history resent on every call through /v1/completions with no session
 * id, so llama-orch has only its prefix cache; llama-server gets its defaults (prompt cache on).
 */
export function anonymousOf(
  server: RunningServer,
  settings: ServeSettings,
): { surface: SurfaceName; generate: TurnGenerate } {
  const { maxTokens, seed } = settings;
  const call = { maxTokens, seed, model: BENCH_MODEL_REF };
  const generate: TurnGenerate = (_client, prompt) =>
    streamCompletion(server.origin, { ...call, prompt });
  return { surface: server.name === "llama-server" ? "llama-server" : "orch-openai", generate };
}

/** Which model file llama-orch's worker loaded, from a native task's `started` event. */
export async function orchModelDigest(server: RunningServer, settings: ServeSettings) {
  let digest = "";
  await streamTask(server.origin, {
    prompt: "digest check",
    maxTokens: settings.maxTokens,
    seed: settings.seed,
    modelRef: BENCH_MODEL_REF,
    onModelDigest: (value) => {
      digest = value;
    },
  });
  return digest;
}
