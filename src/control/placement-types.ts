// The shapes of a placement decision: the task's needs, why pools were filtered, the decision log.
import type { ErrorCode } from "../common/errors.js";
import type { PoolLoad } from "./pool-load.js";
import type { Determinism, PlacementOverrides, Workload } from "./types.js";

/** What placement needs to know about a task. */
export interface PlacementJob {
  taskId: string;
  modelRef: string;
  /** Only pools of this engine; absent: any. */
  engine?: string;
  /** `strict` needs a pool whose engine isolates a sequence from its batch. */
  determinism?: Determinism;
  /** `embedding` only on embeddings pools, anything else only on the others. Absent: completion. */
  workload?: Workload;
  ctx: number;
  sessionId: string;
  /** KV bytes the task's context will take; see estimateKvBytes. */
  estKvBytes?: number;
  /** Per pool id, prompt tokens the prefix index expects that pool to hold cached. */
  expectedCachedTokens?: Readonly<Record<string, number>>;
  placement: PlacementOverrides;
}

/** Why a pool was not a candidate; checked in this order, the first that applies is logged. */
export type FilterReason =
  | "not_pinned"
  | "avoided"
  | "model_mismatch"
  | "engine_mismatch"
  | "workload_mismatch"
  | "strict_unsupported"
  | "ctx_too_small"
  | "device_mask_mismatch"
  | "not_ready"
  | "draining"
  | "not_preferred";

/** Ordering keys, most significant first. */
export type TieBreaker =
  | "session_affinity"
  | "prefix_cache"
  | "least_loaded"
  | "most_free_vram"
  | "fastest_decode"
  | "pool_id";

export interface FilteredPool {
  poolId: string;
  reason: FilterReason;
  detail: string;
}

/** Everything needed to log a decision with its reasons (SPEC 6.4 DecisionLog). */
export interface DecisionLog {
  /** Every pool considered, by id. */
  candidates: string[];
  filtered: FilteredPool[];
  /** Feasible pools, best first. */
  ranking: string[];
  /** Keys compared between the best and the runner-up; the last one decided. */
  tieBreakers: TieBreaker[];
  pinned: boolean;
  fallbackUsed: boolean;
  selected?: string;
  /** The load figures `least_loaded` compared, per feasible pool. */
  loads: Record<string, PoolLoad>;
}

export type NoCapacityReason =
  | "pinned_pool_unknown"
  | "pinned_pool_infeasible"
  | "no_preferred_feasible"
  | "no_feasible_pool";

/** A refusal; `message` is actionable text for the client's error. */
export interface NoCapacity {
  kind: "no_capacity";
  code: ErrorCode;
  reason: NoCapacityReason;
  message: string;
  log: DecisionLog;
}

export type PlacementDecision = { kind: "assigned"; poolId: string; log: DecisionLog } | NoCapacity;
