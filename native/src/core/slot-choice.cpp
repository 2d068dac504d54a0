// The prefix cache's slot policy; see slot-choice.h.
#include "core/slot-choice.h"

#include <algorithm>

namespace orch {
namespace {

bool parked_session(const SlotView & slot) { return !slot.session_key->empty(); }

// Least recently used first; equal times keep the lower index (deterministic).
bool older(const SlotView & a, const SlotView & b) { return a.last_used_us < b.last_used_us; }

SlotChoice pick(size_t index, size_t keep, const SlotView & slot) {
  return SlotChoice{index, keep, keep * 2 < slot.tokens->size()};
}

// Busy neighbours of free slot `i`. Each slot has its own KV stream, and llama.cpp decodes one run
// of consecutive sequence ids per ubatch: taking a slot with two busy neighbours joins two runs,
// with one extends a run, with none starts another pass over the weights in each step.
int busy_neighbours(const std::vector<SlotView> & slots, size_t i) {
  return (i > 0 && slots[i - 1].busy ? 1 : 0) + (i + 1 < slots.size() && slots[i + 1].busy ? 1 : 0);
}

}  // namespace

size_t reusable_prefix(const SlotView & slot, const SlotQuery & query) {
  if (query.strict || *slot.tenant != *query.tenant) return 0;
  return usable_prefix(*slot.tokens, *query.prompt);
}

size_t usable_prefix(const std::vector<llama_token> & cached, const std::vector<llama_token> & prompt) {
  if (prompt.empty()) return 0;
  const auto mismatch = std::mismatch(cached.begin(), cached.end(), prompt.begin(), prompt.end());
  return std::min(static_cast<size_t>(mismatch.first - cached.begin()), prompt.size() - 1);
}

namespace {

// The slot choice before copies: reuse in place, or the cheapest slot to overwrite.
SlotChoice choose_in_place(const std::vector<SlotView> & slots, const SlotQuery & query) {
  size_t best = SlotChoice::kNone, best_keep = 0, empty = SlotChoice::kNone;
  size_t lru_cache = SlotChoice::kNone, lru_session = SlotChoice::kNone;
  for (size_t i = 0; i < slots.size(); ++i) {
    const SlotView & s = slots[i];
    if (s.busy) continue;
    if (!query.session_key->empty() && *s.session_key == *query.session_key && *s.tenant == *query.tenant) {
      return SlotChoice{i, reusable_prefix(s, query), false};
    }
    if (parked_session(s)) {
      if (lru_session == SlotChoice::kNone || older(s, slots[lru_session])) lru_session = i;
      continue;
    }
    // A miss keeps the busy slots together first, then the lower empty slot or the older cache.
    const int joins = busy_neighbours(slots, i);
    if (s.tokens->empty()) {
      if (empty == SlotChoice::kNone || joins > busy_neighbours(slots, empty)) empty = i;
      continue;
    }
    const int lru_joins = lru_cache == SlotChoice::kNone ? -1 : busy_neighbours(slots, lru_cache);
    if (joins > lru_joins || (joins == lru_joins && older(s, slots[lru_cache]))) lru_cache = i;
    const size_t keep = reusable_prefix(s, query);
    if (keep > best_keep || (keep == best_keep && keep > 0 && older(s, slots[best]))) {
      best = i;
      best_keep = keep;
    }
  }
  if (best != SlotChoice::kNone && best_keep * 2 >= slots[best].tokens->size()) return pick(best, best_keep, slots[best]);
  if (empty != SlotChoice::kNone) return SlotChoice{empty, 0, false};
  if (best != SlotChoice::kNone && best_keep >= kMinPartialHit) return pick(best, best_keep, slots[best]);
  // A miss keeps nothing: the few tokens it might share (a BOS) are not worth reporting as cached.
  if (lru_cache != SlotChoice::kNone) return pick(lru_cache, 0, slots[lru_cache]);
  if (lru_session == SlotChoice::kNone) return SlotChoice{};
  // The parked session taken last keeps what its history shares with the prompt (same tenant).
  const size_t keep = reusable_prefix(slots[lru_session], query);
  return pick(lru_session, keep >= kMinPartialHit ? keep : 0, slots[lru_session]);
}

}  // namespace

SlotChoice choose_slot(const std::vector<SlotView> & slots, const SlotQuery & query) {
  SlotChoice choice = choose_in_place(slots, query);
  if (choice.slot == SlotChoice::kNone) return choice;
  size_t donor = SlotChoice::kNone, donor_keep = 0;
  for (size_t i = 0; i < slots.size(); ++i) {
    if (i == choice.slot || slots[i].strict) continue;
    const size_t keep = reusable_prefix(slots[i], query);
    if (keep > donor_keep) {
      donor = i;
      donor_keep = keep;
    }
  }
  if (donor == SlotChoice::kNone || donor_keep < choice.keep + kMinCopyGain) return choice;
  return SlotChoice{choice.slot, donor_keep, !slots[choice.slot].tokens->empty(), donor};
}

bool wait_for_shared_prefix(const std::vector<SlotView> & slots, const SlotQuery & query) {
  if (query.strict) return false;
  const size_t in_place = choose_in_place(slots, query).keep;
  for (const SlotView & s : slots) {
    if (!s.busy || s.strict || s.prompt == nullptr || *s.tenant != *query.tenant) continue;
    const size_t shared = usable_prefix(*s.prompt, *query.prompt);
    if (shared >= in_place + kMinCopyGain && shared >= s.tokens->size() + kMinPartialHit) return true;
  }
  return false;
}

}  // namespace orch
