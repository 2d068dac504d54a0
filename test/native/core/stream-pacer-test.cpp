// StreamPacer: a sequence's first token and its end at once, later tokens at most once per
// interval, every token delivered once and in order; interval 0 passes every step on.
#include "check.h"
#include "core/stream-pacer.h"

using orch::StepOutput;
using orch::StreamPacer;

namespace {

constexpr int64_t kMs = 1000;

StepOutput tokens(std::initializer_list<std::pair<uint64_t, int32_t>> seq_index) {
  StepOutput out;
  for (const auto & [seq, index] : seq_index) out.tokens.push_back({seq, 100 + index, index, "t", false, {}});
  return out;
}

std::vector<int32_t> indexes(const StepOutput & out, uint64_t seq) {
  std::vector<int32_t> found;
  for (const auto & t : out.tokens) {
    if (t.seq == seq) found.push_back(t.index);
  }
  return found;
}

}  // namespace

TEST_CASE("the first token leaves at once, later ones wait for the interval and leave together") {
  StreamPacer pacer(100 * kMs);
  CHECK(indexes(pacer.pace(tokens({{1, 0}}), 0), 1) == std::vector<int32_t>{0});
  CHECK(pacer.pace(tokens({{1, 1}}), 30 * kMs).empty());
  CHECK(pacer.pace(tokens({{1, 2}}), 60 * kMs).empty());
  CHECK_EQ(pacer.held(), 2u);
  CHECK(indexes(pacer.pace(tokens({{1, 3}}), 100 * kMs), 1) == (std::vector<int32_t>{1, 2, 3}));
  CHECK_EQ(pacer.held(), 0u);
  // The interval counts from that delivery, not from the first token.
  CHECK(pacer.pace(tokens({{1, 4}}), 150 * kMs).empty());
  CHECK(indexes(pacer.pace(tokens({{1, 5}}), 200 * kMs), 1) == (std::vector<int32_t>{4, 5}));
}

TEST_CASE("an end is never held: it leaves with the tokens its sequence still held, after them") {
  StreamPacer pacer(100 * kMs);
  pacer.pace(tokens({{1, 0}}), 0);
  CHECK(pacer.pace(tokens({{1, 1}}), 10 * kMs).empty());
  StepOutput last = tokens({{1, 2}});
  orch::EndEvent end;
  end.seq = 1;
  end.reason = orch::FinishReason::Length;
  last.ends.push_back(end);
  const StepOutput out = pacer.pace(std::move(last), 20 * kMs);
  CHECK(indexes(out, 1) == (std::vector<int32_t>{1, 2}));
  CHECK_EQ(out.ends.size(), 1u);
  CHECK_EQ(pacer.held(), 0u);
}

TEST_CASE("sequences are paced apart: one's delivery does not release another's tokens") {
  StreamPacer pacer(100 * kMs);
  pacer.pace(tokens({{1, 0}}), 0);
  // Sequence 2 starts later: its first token leaves at once, sequence 1's token waits.
  const StepOutput second = pacer.pace(tokens({{1, 1}, {2, 0}}), 50 * kMs);
  CHECK(indexes(second, 1).empty());
  CHECK(indexes(second, 2) == std::vector<int32_t>{0});
  const StepOutput third = pacer.pace(tokens({{1, 2}, {2, 1}}), 100 * kMs);
  CHECK(indexes(third, 1) == (std::vector<int32_t>{1, 2}));
  CHECK(indexes(third, 2).empty());
  CHECK_EQ(pacer.held(), 1u);
}

TEST_CASE("a slow step is not held, acks pass at once, and interval 0 passes every step on") {
  StreamPacer pacer(100 * kMs);
  pacer.pace(tokens({{1, 0}}), 0);
  CHECK(indexes(pacer.pace(tokens({{1, 1}}), 250 * kMs), 1) == std::vector<int32_t>{1});
  StepOutput ack;
  ack.acks.push_back({7, true});
  CHECK_EQ(pacer.pace(std::move(ack), 260 * kMs).acks.size(), 1u);

  StreamPacer unpaced(0);
  unpaced.pace(tokens({{1, 0}}), 0);
  CHECK(indexes(unpaced.pace(tokens({{1, 1}}), 1), 1) == std::vector<int32_t>{1});
}
