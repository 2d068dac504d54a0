// Generated from src/common/sampling-bounds.ts by scripts/sampling-header.ts; do not edit.
// The sampling knobs' bounds and defaults (run `npm run codegen:sampling` after changing them).
#pragma once

namespace orch::sampling_bounds {

struct Bound {
  const char * message;  // names the field and its range, for INVALID_PARAMS
  double min;
  double max;
  bool min_exclusive;
  bool max_exclusive;
  double fallback;  // the value of an absent field

  constexpr bool admits(double v) const {
    return (min_exclusive ? v > min : v >= min) && (max_exclusive ? v < max : v <= max);
  }
};

inline constexpr Bound temperature{"temperature must be a number in [0, 100]", 0, 100, false, false, 0.8};
inline constexpr Bound top_k{"topK must be an integer in [0, 1000000]", 0, 1000000, false, false, 40};
inline constexpr Bound top_p{"topP must be a number in (0, 1]", 0, 1, true, false, 0.95};
inline constexpr Bound min_p{"minP must be a number in [0, 1]", 0, 1, false, false, 0.05};
inline constexpr Bound repeat_penalty{"repeatPenalty must be a number in (0, 100]", 0, 100, true, false, 1};
inline constexpr Bound repeat_last_n{"repeatLastN must be an integer in [-1, 1000000]", -1, 1000000, false, false, 64};
inline constexpr Bound presence_penalty{"presencePenalty must be a number in [-2, 2]", -2, 2, false, false, 0};
inline constexpr Bound frequency_penalty{"frequencyPenalty must be a number in [-2, 2]", -2, 2, false, false, 0};
inline constexpr Bound logprobs{"logprobs must be an integer in [0, 20]", 0, 20, false, false, -1};
inline constexpr Bound logit_bias{"logitBias must be a number in [-100, 100]", -100, 100, false, false, 0};

}  // namespace orch::sampling_bounds
