// Stream pacing: which of a step's events go to JavaScript now. A sequence's tokens wait until
// `interval` has passed since its last delivery, so the tokens of fast steps leave together and
// the worker's JavaScript thread, serve and the client wake once per interval instead of once per
// step; on a CPU pool each wake-up takes a core from llama.cpp's threads. A sequence's first
// token and its end never wait, nor do cancel acknowledgements. Interval 0 passes every step on.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "core/sequence.h"

namespace orch {

class StreamPacer {
 public:
  explicit StreamPacer(int64_t interval_us) : interval_us_(interval_us) {}

  // Takes what a step produced and returns what is due at `now_us`: the due sequences' tokens in
  // order, then every end (with the tokens its sequence still held before it) and every ack.
  StepOutput pace(StepOutput && step, int64_t now_us);

  // Tokens produced but not yet delivered, over all sequences.
  size_t held() const { return held_.size(); }

 private:
  bool due(uint64_t seq, int64_t now_us) const;

  int64_t interval_us_;
  std::vector<TokenEvent> held_;
  std::unordered_map<uint64_t, int64_t> last_sent_us_;  // sequences that have had a delivery
};

}  // namespace orch
