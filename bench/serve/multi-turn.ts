// The multi-turn scenario: clients whose prompts grow turn by turn over a shared preamble.
import { performance } from "node:perf_hooks";
import { promptTexts } from "../control/prompts.js";
import { errorText } from "./load.js";
import type {
  MultiTurnSample,
  MultiTurnSettings,
  RequestSample,
  ServeSettings,
  SurfaceName,
} from "./types.js";

/** The texts of one scenario: the same on both servers, in every round. */
export interface Script {
  /** Every history starts with it: a system prompt of a few hundred tokens. */
  preamble: string;
  /** userTurns[client][turn]: the new user text of each turn. */
  userTurns: string[][];
}

export function writeScript(settings: MultiTurnSettings, seed: number): Script {
  const [preamble = ""] = promptTexts(1, settings.preambleWords, seed + 1);
  const users = promptTexts(settings.clients * settings.turns, settings.userWords, seed + 2);
  const userTurns = Array.from({ length: settings.clients }, (_, client) =>
    users.slice(client * settings.turns, (client + 1) * settings.turns),
  );
  return { preamble: `System: ${preamble}`, userTurns };
}

/**
 * The agents scenario's conversations: texts of their own (seeds +5 and +6, past the sessions'
 * +1, +2 and the shared system prompt's +3, +4), so nothing the sessions scenario left in a
 * server's cache is theirs, and their warm turns reuse only what their own earlier turns left.
 */
export function writeAgentsScript(settings: MultiTurnSettings, seed: number): Script {
  return writeScript(settings, seed + 4);
}

/** The shared system prompt scenario: one turn per user, all over the same long preamble. */
export function writeSharedScript(settings: ServeSettings["sharedSystem"], seed: number): Script {
  const [preamble = ""] = promptTexts(1, settings.preambleWords, seed + 3);
  const questions = promptTexts(settings.users, settings.userWords, seed + 4);
  return { preamble: `System: ${preamble}`, userTurns: questions.map((q) => [q]) };
}

/** One turn of one client's conversation; `client` picks its session, where the server has one. */
export type TurnGenerate = (client: number, prompt: string) => Promise<RequestSample>;

export type MultiTurnResult = Omit<MultiTurnSample, "otherCores" | "stealCores" | "clean">;

/**
 * Every client runs its turns one after another, all clients at once. Turn k's prompt is turn
 * k-1's prompt, its completion and the new user text, so only the tail is new to the server. A
 * client whose turn fails stops there (its history has a hole); the error is counted.
 */
export async function runConversations(
  surface: SurfaceName,
  generate: TurnGenerate,
  script: Script,
): Promise<MultiTurnResult> {
  const turns = script.userTurns[0]?.length ?? 0;
  const ttftsMs: number[][] = Array.from({ length: turns }, () => []);
  const tokensIn: number[][] = Array.from({ length: turns }, () => []);
  const cachedTokens: number[][] = Array.from({ length: turns }, () => []);
  const errors: string[] = [];
  const converse = async (client: number) => {
    let history = script.preamble;
    for (const [turn, user] of (script.userTurns[client] ?? []).entries()) {
      const prompt = `${history}\nUser: ${user}\nAssistant:`;
      try {
        const sample = await generate(client, prompt);
        ttftsMs[turn]?.push(sample.ttftMs);
        tokensIn[turn]?.push(sample.tokensIn);
        if (sample.cachedTokens !== undefined) cachedTokens[turn]?.push(sample.cachedTokens);
        history = prompt + sample.text;
      } catch (error) {
        errors.push(`client ${client} turn ${turn + 1}: ${errorText(error)}`);
        return;
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(script.userTurns.map((_, client) => converse(client)));
  const wallMs = performance.now() - t0;
  return {
    surface,
    errors: errors.length,
    errorMessages: errors.slice(0, 3),
    wallMs,
    ttftsMs,
    tokensIn,
    cachedTokens,
  };
}
