// Step planning: see batch-planner.h.
#include "core/batch-planner.h"

#include <algorithm>

namespace orch {
namespace {

bool has_work(const SlotDemand & d) { return d.decoding || d.prefill_remaining > 0; }

std::vector<BatchEntry> fill(const std::vector<const SlotDemand *> & group, size_t n_batch,
                             size_t prefill_chunk) {
  std::vector<BatchEntry> entries;
  size_t used = 0;
  // Decoding slots first: one token each keeps inter-token latency flat while prompts stream in.
  for (const auto * d : group) {
    if (d->decoding && used < n_batch) {
      entries.push_back({d->slot, 1});
      ++used;
    }
  }
  const size_t prompts = static_cast<size_t>(std::count_if(
      group.begin(), group.end(), [](const SlotDemand * d) { return d->prefill_remaining > 0; }));
  const bool contended = used > 0 || prompts > 1;
  size_t budget = n_batch - used;
  if (contended) budget = std::min(budget, prefill_chunk);
  for (const auto * d : group) {
    if (d->prefill_remaining == 0) continue;
    if (budget == 0) break;
    const size_t n = std::min(d->prefill_remaining, budget);
    entries.push_back({d->slot, n});
    budget -= n;
  }
  return entries;
}

}  // namespace

std::vector<BatchEntry> BatchPlanner::plan(const std::vector<SlotDemand> & demand, size_t n_batch,
                                           size_t prefill_chunk) {
  std::vector<const SlotDemand *> shared;
  std::vector<std::vector<const SlotDemand *>> groups;
  for (const auto & d : demand) {
    if (!has_work(d)) continue;
    if (d.strict) {
      groups.push_back({&d});
    } else {
      shared.push_back(&d);
    }
  }
  if (!shared.empty()) groups.insert(groups.begin(), shared);
  if (groups.empty()) return {};
  const auto & group = groups[turn_ % groups.size()];
  ++turn_;
  auto entries = fill(group, n_batch, prefill_chunk);
  // llama.cpp splits a batch over per-slot KV streams into ubatches of consecutive sequence ids
  // (split_equal, sequential): in any other order one step's decodes run as several passes over
  // the weights, each with fewer sequences.
  std::sort(entries.begin(), entries.end(),
            [](const BatchEntry & a, const BatchEntry & b) { return a.slot < b.slot; });
  return entries;
}

}  // namespace orch
