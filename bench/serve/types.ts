// The shapes the serving benchmark passes between its servers, load generator, summary and report.
import type { Noise } from "../engine/cpu-meter.js";
import type { TreeMemory } from "../process-tree.js";

export type ServerName = "llama-server" | "llama-orch";

/**
 * One HTTP surface a request goes through: OpenAI's /v1/completions on either server, or
 * llama-orch's native POST /v1/tasks + GET /v1/tasks/{id}/stream.
 */
export type SurfaceName = "llama-server" | "orch-openai" | "orch-native";

export interface MultiTurnSettings {
  clients: number;
  turns: number;
  /** Words of the preamble every client's history starts with (~1.3 tokens a word). */
  preambleWords: number;
  /** Words of each new user turn. */
  userWords: number;
}

export interface ServeSettings {
  threads: number;
  /** Layers on GPU 0 for both servers (-1: all); 0 keeps both on the CPU. */
  gpuLayers: number;
  /** Sequences decoded together: our pool's `slots`, llama-server's `--parallel`. */
  slots: number;
  /** KV tokens per sequence: our `context_size`; llama-server gets `-c slots x this`. */
  contextPerSequence: number;
  maxTokens: number;
  promptWords: number;
  concurrency: number[];
  /** Requests per level: max(minRequests, requestsPerClient x concurrency). */
  minRequests: number;
  requestsPerClient: number;
  rounds: number;
  multiTurn: MultiTurnSettings;
  /** Shared system prompt: `users` one-turn clients, one long preamble, distinct questions. */
  sharedSystem: { users: number; preambleWords: number; userWords: number };
  seed: number;
  quick: boolean;
  cpuProfileDir: string | undefined;
}

/** One streamed generation as the client saw it, in ms from the start of the request. */
export interface RequestSample {
  ttftMs: number;
  /** Between consecutive token chunks (several tokens in one read give gaps near 0). */
  gapsMs: number[];
  totalMs: number;
  /** From the last token chunk to the end of the stream (finish, usage, [DONE] or `end`). */
  tailMs: number;
  /** Generated tokens as the server counted them (usage / end event), checked = max_tokens. */
  tokensOut: number;
  /** Prompt tokens as the server counted them. */
  tokensIn: number;
  /** Prompt tokens the server took from its cache, where it says (llama-server's usage). */
  cachedTokens?: number;
  /** The generated text, for the next turn of a conversation. */
  text: string;
}

export interface Percentiles {
  p50: number;
  p95: number;
}

/** One concurrency level on one surface in one round. */
export interface LevelSample extends Noise {
  surface: SurfaceName;
  concurrency: number;
  clean: boolean;
  requests: number;
  errors: number;
  /** The first few error messages, for the reader. */
  errorMessages: string[];
  wallMs: number;
  tokens: number;
  tokensPerSecond: number;
  requestsPerSecond: number;
  ttftMs: Percentiles;
  itlMs: Percentiles;
  /** The longest gap between two token chunks of any request: a stall the percentiles hide. */
  itlMaxMs: number;
  /** The longest time any request waited from its last token to the end of its stream. */
  tailMaxMs: number;
  /** Every successful request's TTFT, in the order they ended. */
  ttftsMs: number[];
}

/** The multi-turn scenario on one server in one round. */
export interface MultiTurnSample extends Noise {
  surface: SurfaceName;
  clean: boolean;
  errors: number;
  errorMessages: string[];
  wallMs: number;
  /** ttftsMs[turn][client], turn 0 first. */
  ttftsMs: number[][];
  /** tokensIn[turn][client]: how long the history had grown. */
  tokensIn: number[][];
  /** cachedTokens[turn][client]: the prompt tokens the server reused, where it reports them. */
  cachedTokens: number[][];
}

/** One server started, measured and stopped within one round. */
export interface ServerRun {
  server: ServerName;
  round: number;
  startedAt: string;
  /** 1-minute load average just before the run (/proc/loadavg). */
  loadAvg1: number;
  /** Spawn to ready (llama-server: /health answers 200; serve: its pool reports ready). */
  startupMs: number;
  memory: TreeMemory;
  levels: LevelSample[];
  /** The session scenario: llama-orch keeps each client's KV under its X-Session-Id. */
  multiTurn: MultiTurnSample;
  /** The same conversations with no session id: only the prefix cache helps. */
  agents: MultiTurnSample;
  sharedSystem: MultiTurnSample;
}

/** A server started for one run; the load generator reaches it at `origin` only. */
export interface RunningServer {
  readonly name: ServerName;
  /** e.g. http://127.0.0.1:PORT */
  readonly origin: string;
  readonly rootPid: number;
  readonly startupMs: number;
  /** Stops it and every process it started; resolves once they have exited. */
  stop(): Promise<void>;
}

/** One surface at one level: medians over rounds of each round's number. */
export interface SurfaceSummary {
  tokensPerSecond: number;
  requestsPerSecond: number;
  ttftMs: Percentiles;
  itlMs: Percentiles;
  errors: number;
  rounds: { clean: number; total: number };
}

export interface LevelSummary {
  concurrency: number;
  surfaces: Partial<Record<SurfaceName, SurfaceSummary>>;
  /** llama-orch / llama-server, per llama-orch surface: >1 is better for tok/s, <1 for TTFT. */
  tokensPerSecondRatio: Partial<Record<SurfaceName, number>>;
  ttftP50Ratio: Partial<Record<SurfaceName, number>>;
}

export interface MultiTurnSummary {
  surface: SurfaceName;
  /** perTurn[k]: TTFT of turn k+1 over every client, medians over rounds. */
  perTurn: Percentiles[];
  overall: Percentiles;
  /** Mean prompt tokens per turn, as the server counted them. */
  tokensInPerTurn: number[];
  /** Mean prompt tokens reused from the server's cache per turn; empty where it says nothing. */
  cachedTokensPerTurn: number[];
  errors: number;
  rounds: { clean: number; total: number };
}

export interface MemorySummary {
  /** Median over rounds of the peak resident memory of the whole process tree, bytes. */
  peakBytes: number;
  peakByRole: Record<string, number>;
  startupMs: number;
}

export interface TargetCheck {
  met: boolean;
  detail: string;
}

export interface ServeSummary {
  levels: LevelSummary[];
  multiTurn: Partial<Record<ServerName, MultiTurnSummary>>;
  /** llama-orch's multi-turn TTFT p50 over llama-server's: < 0.5 meets the target. */
  multiTurnTtftP50Ratio: number;
  agents: Partial<Record<ServerName, MultiTurnSummary>>;
  /** llama-orch's agents TTFT p50 over llama-server's, warm turns (2..T) only: <= 0.5 meets it. */
  agentsWarmTtftP50Ratio: number;
  sharedSystem: Partial<Record<ServerName, MultiTurnSummary>>;
  /** <= 0.7 meets the target. */
  sharedSystemTtftP50Ratio: number;
  memory: Partial<Record<ServerName, MemorySummary>>;
  targets: {
    tokensPerSecond: Partial<Record<SurfaceName, TargetCheck>>;
    ttftC1: Partial<Record<SurfaceName, TargetCheck>>;
    multiTurn: TargetCheck;
    agents?: TargetCheck;
    sharedSystem?: TargetCheck;
  };
}
