// BatchPlanner: decode tokens first, prompt chunks within budget, strict slots always alone.
#include "check.h"
#include "core/batch-planner.h"

using orch::BatchPlanner;
using orch::SlotDemand;

namespace {

size_t total(const std::vector<orch::BatchEntry> & entries) {
  size_t n = 0;
  for (const auto & e : entries) n += e.n_tokens;
  return n;
}

}  // namespace

TEST_CASE("decoding slots come first, one token each, then prompt chunks fill the budget") {
  BatchPlanner planner;
  const std::vector<SlotDemand> demand = {
      {0, false, false, 100}, {1, false, true, 0}, {2, false, false, 30}, {3, false, true, 0}};
  const auto plan = planner.plan(demand, 64, 64);
  CHECK_EQ(plan.size(), 3u);  // slot 2 waits: slot 0 took the rest of the budget
  CHECK_EQ(plan[0].slot, 0u);
  CHECK_EQ(plan[0].n_tokens, 62u);
  CHECK_EQ(plan[1].slot, 1u);
  CHECK_EQ(plan[1].n_tokens, 1u);
  CHECK_EQ(plan[2].slot, 3u);
  CHECK_EQ(plan[2].n_tokens, 1u);
  CHECK_EQ(total(plan), 64u);
}

TEST_CASE("entries come in slot order, whatever order the requests arrived in") {
  // llama.cpp decodes a run of consecutive sequence ids per ubatch: [2, 0, 3, 1] would take
  // three passes over the weights where [0, 1, 2, 3] takes one.
  BatchPlanner planner;
  const std::vector<SlotDemand> demand = {
      {2, false, true, 0}, {0, false, true, 0}, {3, false, false, 10}, {1, false, true, 0}};
  const auto plan = planner.plan(demand, 64, 64);
  CHECK_EQ(plan.size(), 4u);
  for (size_t i = 0; i < plan.size(); ++i) CHECK_EQ(plan[i].slot, i);
  CHECK_EQ(plan[3].n_tokens, 10u);
}

TEST_CASE("idle slots plan nothing") {
  BatchPlanner planner;
  CHECK(planner.plan({{0, false, false, 0}}, 64, 64).empty());
}

TEST_CASE("a strict slot never shares a step, and takes turns with the shared group") {
  BatchPlanner planner;
  const std::vector<SlotDemand> demand = {{0, true, true, 0}, {1, false, true, 0}, {2, false, true, 0}};
  bool strict_seen = false;
  bool shared_seen = false;
  for (int step = 0; step < 6; ++step) {
    const auto plan = planner.plan(demand, 64, 64);
    bool has_strict = false;
    for (const auto & e : plan) has_strict = has_strict || e.slot == 0;
    if (has_strict) CHECK_EQ(plan.size(), 1u);
    strict_seen = strict_seen || has_strict;
    shared_seen = shared_seen || !has_strict;
  }
  CHECK(strict_seen);
  CHECK(shared_seen);
}

TEST_CASE("two strict slots each run alone") {
  BatchPlanner planner;
  const std::vector<SlotDemand> demand = {{0, true, false, 10}, {1, true, true, 0}};
  for (int step = 0; step < 4; ++step) CHECK_EQ(planner.plan(demand, 64, 64).size(), 1u);
}

TEST_CASE("under contention prompts share a per-step chunk, oldest first, partial chunks allowed") {
  BatchPlanner planner;
  // Three prompts arrived together, nothing decoding: 40 + 40 + 40 tokens, chunk 64.
  const std::vector<SlotDemand> demand = {
      {0, false, false, 40}, {1, false, false, 40}, {2, false, false, 40}};
  const auto plan = planner.plan(demand, 2048, 64);
  CHECK_EQ(plan.size(), 2u);
  CHECK_EQ(plan[0].slot, 0u);
  CHECK_EQ(plan[0].n_tokens, 40u);  // the oldest prompt completes in this step
  CHECK_EQ(plan[1].slot, 1u);
  CHECK_EQ(plan[1].n_tokens, 24u);
}

TEST_CASE("a prompt next to decoding slots gets at most the chunk; alone it takes the batch") {
  BatchPlanner planner;
  const std::vector<SlotDemand> busy = {{0, false, true, 0}, {1, false, false, 500}};
  const auto shared = planner.plan(busy, 2048, 128);
  CHECK_EQ(shared.size(), 2u);
  CHECK_EQ(shared[1].n_tokens, 128u);
  CHECK_EQ(total(shared), 129u);
  const auto alone = planner.plan({{1, false, false, 500}}, 2048, 128);
  CHECK_EQ(alone.size(), 1u);
  CHECK_EQ(alone[0].n_tokens, 500u);
}
