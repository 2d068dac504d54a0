// Stream pacing: see stream-pacer.h.
#include "core/stream-pacer.h"

#include <unordered_set>

namespace orch {

bool StreamPacer::due(uint64_t seq, int64_t now_us) const {
  const auto sent = last_sent_us_.find(seq);
  return sent == last_sent_us_.end() || now_us - sent->second >= interval_us_;
}

StepOutput StreamPacer::pace(StepOutput && step, int64_t now_us) {
  if (interval_us_ <= 0) return std::move(step);
  for (auto & token : step.tokens) held_.push_back(std::move(token));
  std::unordered_set<uint64_t> ending;
  for (const auto & end : step.ends) ending.insert(end.seq);

  StepOutput out;
  std::vector<TokenEvent> kept;
  std::unordered_set<uint64_t> sent;
  for (auto & token : held_) {
    if (ending.count(token.seq) > 0 || due(token.seq, now_us)) {
      sent.insert(token.seq);
      out.tokens.push_back(std::move(token));
    } else {
      kept.push_back(std::move(token));
    }
  }
  held_ = std::move(kept);
  for (const auto seq : sent) last_sent_us_[seq] = now_us;
  for (const auto seq : ending) last_sent_us_.erase(seq);
  out.ends = std::move(step.ends);
  out.acks = std::move(step.acks);
  return out;
}

}  // namespace orch
