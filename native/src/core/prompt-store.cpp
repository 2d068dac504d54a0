// The host-RAM prompt store; see prompt-store.h.
#include "core/prompt-store.h"

#include <algorithm>

#include "core/slot-choice.h"

namespace orch {
namespace {

bool extends(const std::vector<llama_token> & longer, const std::vector<llama_token> & shorter) {
  return shorter.size() <= longer.size() && std::equal(shorter.begin(), shorter.end(), longer.begin());
}

}  // namespace

void PromptStore::put(SavedPrompt entry) {
  if (entry.state.size() > max_bytes_) return;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->tenant == entry.tenant && extends(entry.tokens, it->tokens)) {
      bytes_ -= it->state.size();
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  bytes_ += entry.state.size();
  entries_.push_front(std::move(entry));
  while (bytes_ > max_bytes_) {
    bytes_ -= entries_.back().state.size();
    entries_.pop_back();
    ++evictions_;
  }
}

std::optional<SavedPrompt> PromptStore::take_best(const std::string & tenant, const std::vector<llama_token> & prompt,
                                                  size_t better_than) {
  auto best = entries_.end();
  size_t best_len = better_than;
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->tenant != tenant) continue;
    const size_t len = usable_prefix(it->tokens, prompt);
    if (len > best_len) {
      best = it;
      best_len = len;
    }
  }
  if (best == entries_.end()) return std::nullopt;
  SavedPrompt out = std::move(*best);
  bytes_ -= out.state.size();
  entries_.erase(best);
  return out;
}

void PromptStore::clear() {
  entries_.clear();
  bytes_ = 0;
}

}  // namespace orch
