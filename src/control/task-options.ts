// Admission of a task's options: placement, sampling, budgets, stop strings, enums, cache salt.
import { poolEngines } from "../common/config-schema-pool.js";
import {
  knobViolation,
  logitBiasRange,
  samplingKnobNames,
  samplingKnobs,
} from "../common/sampling-bounds.js";
import { intIn, invalid, numIn, oneOf } from "./field-checks.js";
import {
  type BudgetLimits,
  type Determinism,
  determinisms,
  type PlacementInput,
  type PlacementMode,
  type PlacementOverrides,
  type Priority,
  placementModes,
  priorities,
  type SamplingParams,
  type TaskInput,
  type Workload,
  workloads,
} from "./types.js";

// Longer than the gateway's 256-character cache_salt: it prefixes the salt with `salt:` or `id:`.
const CACHE_SALT_MAX = 512;

export function validPlacement(input: PlacementInput | undefined): PlacementOverrides {
  const pin = input?.pinPoolId;
  // A bare pin_pool_id (OC-CORE-1018) means pinning even without mode.
  let mode: PlacementMode = pin ? "pin" : "auto";
  if (input?.mode !== undefined) mode = oneOf("placement.mode", input.mode, placementModes);
  if (mode === "pin" && !pin) throw invalid('placement.mode "pin" needs placement.pin_pool_id');
  if (mode !== "pin" && pin) {
    throw invalid(`placement.pin_pool_id is only used with mode "pin"; mode is "${mode}"`);
  }
  const placement: PlacementOverrides = {
    mode,
    preferPools: [...(input?.preferPools ?? [])],
    avoidPools: [...(input?.avoidPools ?? [])],
    allowFallback: input?.allowFallback ?? true,
  };
  if (pin) placement.pinPoolId = pin;
  if (input?.requireDeviceMask) placement.requireDeviceMask = input.requireDeviceMask;
  return placement;
}

export function validSampling(s: SamplingParams | undefined): SamplingParams {
  if (!s) return {};
  for (const name of samplingKnobNames) {
    const value = s[name];
    if (value === undefined) continue;
    const wrong = knobViolation(`sampling.${samplingKnobs[name].wire}`, samplingKnobs[name], value);
    if (wrong) throw invalid(wrong);
  }
  for (const { token, bias } of s.logitBias ?? []) {
    intIn("sampling.logit_bias token", token, 0, 0x7fffffff);
    numIn(`sampling.logit_bias[${token}]`, bias, logitBiasRange.min, logitBiasRange.max);
  }
  return { ...s, logitBias: s.logitBias && [...s.logitBias] };
}

export function validBudgets(b: BudgetLimits | undefined): BudgetLimits | undefined {
  if (!b) return undefined;
  if (b.tokens !== undefined) intIn("budgets.tokens", b.tokens, 0, Number.MAX_SAFE_INTEGER);
  if (b.timeMs !== undefined) intIn("budgets.time_ms", b.timeMs, 0, Number.MAX_SAFE_INTEGER);
  numIn("budgets.cost", b.cost, 0, Number.MAX_VALUE);
  return { ...b };
}

export function validStop(stop: readonly string[] | undefined): string[] {
  // An empty stop string would end every generation before its first token.
  if (stop?.some((s) => s.length === 0)) throw invalid("stop strings must not be empty");
  return [...(stop ?? [])];
}

/** The enum-like fields: unknown values are INVALID_PARAMS, absent ones take their defaults. */
export function enums(input: TaskInput) {
  const engine =
    input.engine === undefined ? undefined : oneOf("engine", input.engine, poolEngines);
  const workload: Workload =
    input.workload === undefined ? "completion" : oneOf("workload", input.workload, workloads);
  const priority: Priority =
    input.priority === undefined ? "interactive" : oneOf("priority", input.priority, priorities);
  // best_effort by default: strict serialises decode steps and costs throughput (DESIGN 9).
  const determinism: Determinism =
    input.determinism === undefined
      ? "best_effort"
      : oneOf("determinism", input.determinism, determinisms);
  return { engine, priority, determinism, workload };
}

/** A salt names a cache tenant; it is a key, not text, so it stays short. */
export function validCacheSalt(salt: string | undefined): string {
  if (salt === undefined) return "";
  if (salt.length > CACHE_SALT_MAX) {
    throw invalid(`cache_salt is ${salt.length} characters; use at most ${CACHE_SALT_MAX}`);
  }
  return salt;
}
