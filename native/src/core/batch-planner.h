// Chooses what each decode step carries: every decoding slot's next token, then prompt chunks, with
// strict slots always alone in their step. Under contention (a slot decoding, or more than one prompt
// waiting) prompts get at most `prefill_chunk` tokens per step, oldest first: a long prompt never
// stalls running streams for long, and prompts that arrive together get their first tokens one
// after another instead of all at the end of one big step. Alone, a prompt takes the whole batch.
#pragma once

#include <cstddef>
#include <vector>

namespace orch {

struct SlotDemand {
  size_t slot = 0;
  bool strict = false;
  bool decoding = false;         // needs one token decoded
  size_t prefill_remaining = 0;  // prompt tokens still to decode
};

struct BatchEntry {
  size_t slot = 0;
  size_t n_tokens = 0;
};

class BatchPlanner {
 public:
  // `demand` lists busy slots in the order their prompts should be served. Strict slots take turns
  // with the group of shared slots, one step each, so no strict slot ever shares a decode call.
  // Entries come in slot order, which is the order of their sequence ids.
  std::vector<BatchEntry> plan(const std::vector<SlotDemand> & demand, size_t n_batch,
                               size_t prefill_chunk);

 private:
  size_t turn_ = 0;
};

}  // namespace orch
