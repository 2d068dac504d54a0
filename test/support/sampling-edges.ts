// Values just inside and just outside a sampling knob's bounds, coarse enough to survive proto floats.
import type { SamplingKnob } from "../../src/common/sampling-bounds.js";

function step(knob: SamplingKnob): number {
  return knob.type === "integer" ? 1 : 1e-3;
}

/** One value below the minimum and one above the maximum (exclusive ends: the end itself). */
export function justOutside(knob: SamplingKnob): [number, number] {
  const below = knob.minExclusive ? knob.min : knob.min - step(knob);
  const above = knob.maxExclusive ? knob.max : knob.max + step(knob);
  return [below, above];
}

/** The smallest and the largest value the knob admits (just inside an exclusive end). */
export function justInside(knob: SamplingKnob): [number, number] {
  const low = knob.minExclusive ? knob.min + step(knob) : knob.min;
  const high = knob.maxExclusive ? knob.max - step(knob) : knob.max;
  return [low, high];
}
