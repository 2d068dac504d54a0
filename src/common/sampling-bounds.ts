// The one bounds table of the sampling knobs: admission, the OpenAPI contracts and the engine check these.
// The engine's copy is generated from it (scripts/sampling-header.ts); tests check the contracts and
// the built addon against it, so a bound changes here and nowhere else.

/** A numeric range; each end is inclusive unless marked exclusive. */
export interface KnobRange {
  min: number;
  max: number;
  minExclusive?: boolean;
  maxExclusive?: boolean;
}

/** The compatible surfaces that keep their own API's narrower bounds. */
export type NarrowerSurface = "openai" | "openai-completions" | "anthropic";

export interface SamplingKnob extends KnobRange {
  /** The field's name on the wire: HTTP JSON and proto. */
  wire: string;
  type: "integer" | "number";
  /** The engine's value when the field is absent; null: absent turns the feature off. */
  fallback: number | null;
  meaning: string;
  /**
   * Foreign surfaces whose own API documents a narrower range (OpenAI's temperature is 0-2,
   * Anthropic's 0-1); their contracts say so, and admission still checks the engine's range.
   */
  narrower?: Partial<Record<NarrowerSurface, Partial<KnobRange>>>;
}

export const samplingKnobs = {
  temperature: {
    wire: "temperature",
    type: "number",
    min: 0,
    max: 100,
    fallback: 0.8,
    meaning: "Divides the logits before sampling; 0 is greedy (always the most likely token).",
    narrower: { openai: { max: 2 }, anthropic: { max: 1 } },
  },
  topK: {
    wire: "top_k",
    type: "integer",
    min: 0,
    max: 1_000_000,
    fallback: 40,
    meaning: "Samples among the k most likely tokens; 0 disables it.",
  },
  topP: {
    wire: "top_p",
    type: "number",
    min: 0,
    minExclusive: true,
    max: 1,
    fallback: 0.95,
    meaning: "Samples among the most likely tokens whose probabilities add up to p; 1 disables it.",
  },
  minP: {
    wire: "min_p",
    type: "number",
    min: 0,
    max: 1,
    fallback: 0.05,
    meaning: "Drops tokens less likely than p times the most likely one; 0 disables it.",
  },
  repeatPenalty: {
    wire: "repeat_penalty",
    type: "number",
    min: 0,
    minExclusive: true,
    max: 100,
    fallback: 1,
    meaning: "Divides the logits of tokens seen in the last repeat_last_n; 1 disables it.",
  },
  repeatLastN: {
    wire: "repeat_last_n",
    type: "integer",
    min: -1,
    max: 1_000_000,
    fallback: 64,
    meaning: "Recent tokens the penalties look at; 0 disables them, -1 is the whole context.",
  },
  presencePenalty: {
    wire: "presence_penalty",
    type: "number",
    min: -2,
    max: 2,
    fallback: 0,
    meaning: "OpenAI's flat penalty per token seen in the window; 0 disables it.",
  },
  frequencyPenalty: {
    wire: "frequency_penalty",
    type: "number",
    min: -2,
    max: 2,
    fallback: 0,
    meaning: "OpenAI's penalty per occurrence of a token in the window; 0 disables it.",
  },
  logprobs: {
    wire: "logprobs",
    type: "integer",
    min: 0,
    max: 20,
    fallback: null,
    meaning: "Each token's log-probability with this many most likely alternatives; absent: none.",
    // OpenAI's legacy completions API caps its integer `logprobs` at 5 (chat's top_logprobs: 20).
    narrower: { "openai-completions": { max: 5 } },
  },
} as const satisfies Record<string, SamplingKnob>;

export type SamplingKnobName = keyof typeof samplingKnobs;

/** Every scalar knob, absent when the caller leaves it to the engine. */
export type SamplingKnobValues = { [K in SamplingKnobName]?: number };

export const samplingKnobNames = Object.keys(samplingKnobs) as SamplingKnobName[];

/** The bias a logit_bias entry adds to one token's logit; -100 in practice bans the token. */
export const logitBiasRange: KnobRange = { min: -100, max: 100 };

/** The range a surface's contract documents: the engine's, narrowed where its API says so. */
export function surfaceRange(knob: SamplingKnob, surface?: NarrowerSurface): KnobRange {
  const { min, max, minExclusive, maxExclusive } = knob;
  return { min, max, minExclusive, maxExclusive, ...(surface && knob.narrower?.[surface]) };
}

/** A range as a reader writes it: "(0, 1]". */
export function rangeText(range: KnobRange): string {
  const open = range.minExclusive ? "(" : "[";
  const close = range.maxExclusive ? ")" : "]";
  return `${open}${range.min}, ${range.max}${close}`;
}

export function inRange(value: number, range: KnobRange): boolean {
  if (!Number.isFinite(value)) return false;
  const aboveMin = range.minExclusive ? value > range.min : value >= range.min;
  const belowMax = range.maxExclusive ? value < range.max : value <= range.max;
  return aboveMin && belowMax;
}

/** The reason a value breaks a knob's bounds, naming the field and its range; undefined: it fits. */
export function knobViolation(
  field: string,
  knob: SamplingKnob,
  value: number,
): string | undefined {
  const integer = knob.type === "integer";
  if (inRange(value, knob) && (!integer || Number.isInteger(value))) return undefined;
  const kind = integer ? "an integer" : "a number";
  return `${field} must be ${kind} in ${rangeText(knob)}; got ${value}`;
}

/** The knobs a message sets, and only those: an absent knob stays absent, so its default applies. */
export function knobValues(source: SamplingKnobValues): SamplingKnobValues {
  const out: SamplingKnobValues = {};
  for (const name of samplingKnobNames) {
    const value = source[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
