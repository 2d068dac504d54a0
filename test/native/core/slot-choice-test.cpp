// The prefix cache's slot policy, table-tested: longest common prefix, tenant, session, strict, LRU.
#include "check.h"
#include "core/slot-choice.h"

namespace {

struct FakeSlot {
  bool busy = false;
  std::vector<llama_token> tokens;
  std::string tenant = "t1";
  std::string session;
  int64_t used = 0;
  bool strict = false;
  std::vector<llama_token> prompt;  // the running request's prompt; empty: none
};

struct Query {
  explicit Query(std::vector<llama_token> p) : prompt(std::move(p)) {}
  std::vector<llama_token> prompt;
  std::string tenant = "t1";
  std::string session;
  bool strict = false;
};

std::vector<orch::SlotView> views_of(const std::vector<FakeSlot> & slots) {
  std::vector<orch::SlotView> views;
  for (const auto & s : slots) {
    views.push_back({s.busy, &s.tokens, &s.tenant, &s.session, s.used, s.strict,
                     s.prompt.empty() ? nullptr : &s.prompt});
  }
  return views;
}

orch::SlotChoice choose(const std::vector<FakeSlot> & slots, const Query & q) {
  return orch::choose_slot(views_of(slots), {&q.prompt, &q.tenant, &q.session, q.strict});
}

bool waits(const std::vector<FakeSlot> & slots, const Query & q) {
  const orch::SlotQuery query{&q.prompt, &q.tenant, &q.session, q.strict};
  return orch::wait_for_shared_prefix(views_of(slots), query);
}

std::vector<llama_token> range(llama_token from, llama_token to) {
  std::vector<llama_token> out;
  for (llama_token t = from; t < to; ++t) out.push_back(t);
  return out;
}

std::vector<llama_token> concat(std::vector<llama_token> a, const std::vector<llama_token> & b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

TEST_CASE("slot choice: the longest common prefix wins, the rest of that slot is dropped") {
  const auto sys = range(1, 40);
  std::vector<FakeSlot> slots(3);
  slots[0].tokens = concat(sys, range(100, 110));
  slots[1].tokens = concat(sys, range(200, 230));
  slots[2].tokens = range(1, 5);
  const auto c = choose(slots, Query(concat(concat(sys, range(200, 220)), {7, 8})));
  CHECK_EQ(c.slot, 1u);
  CHECK_EQ(c.keep, sys.size() + 20);
  CHECK(!c.evicts);
}

TEST_CASE("slot choice: a prompt that is a strict prefix of the cache keeps all but its last token") {
  std::vector<FakeSlot> slots(1);
  slots[0].tokens = range(1, 50);
  const auto c = choose(slots, Query(range(1, 30)));
  CHECK_EQ(c.slot, 0u);
  CHECK_EQ(c.keep, 28u);
}

TEST_CASE("slot choice: another tenant's equal prefix is never reused") {
  std::vector<FakeSlot> slots(2);
  slots[0].tokens = range(1, 50);
  slots[0].tenant = "t2";
  slots[1].busy = true;
  const auto c = choose(slots, Query(range(1, 50)));
  CHECK_EQ(c.slot, 0u);
  CHECK_EQ(c.keep, 0u);
  CHECK(c.evicts);
}

TEST_CASE("slot choice: strict requests never reuse cache") {
  std::vector<FakeSlot> slots(1);
  slots[0].tokens = range(1, 50);
  Query q(range(1, 60));
  q.strict = true;
  const auto c = choose(slots, q);
  CHECK_EQ(c.slot, 0u);
  CHECK_EQ(c.keep, 0u);
}

TEST_CASE("slot choice: a miss takes an empty slot before it destroys any cache") {
  std::vector<FakeSlot> slots(3);
  slots[0].tokens = range(1, 50);
  slots[2].tokens = range(60, 90);
  const auto c = choose(slots, Query(range(300, 320)));
  CHECK_EQ(c.slot, 1u);
  CHECK(!c.evicts);
}

TEST_CASE("slot choice: with no empty slot, a partial hit beats the least recently used cache") {
  std::vector<FakeSlot> slots(2);
  slots[0].tokens = range(1, 30);
  slots[0].used = 1;
  slots[1].tokens = concat(range(500, 520), range(600, 700));
  slots[1].used = 2;
  const auto c = choose(slots, Query(concat(range(500, 520), {9, 9})));
  CHECK_EQ(c.slot, 1u);
  CHECK_EQ(c.keep, 20u);
  CHECK(c.evicts);
}

TEST_CASE("slot choice: misses evict the least recently used cache, parked sessions last") {
  std::vector<FakeSlot> slots(3);
  slots[0].tokens = range(1, 30);
  slots[0].session = "s";
  slots[0].used = 1;
  slots[1].tokens = range(40, 60);
  slots[1].used = 5;
  slots[2].tokens = range(70, 90);
  slots[2].used = 3;
  CHECK_EQ(choose(slots, Query(range(300, 320))).slot, 2u);
  slots[1].busy = slots[2].busy = true;
  CHECK_EQ(choose(slots, Query(range(300, 320))).slot, 0u);
  slots[0].busy = true;
  CHECK_EQ(choose(slots, Query(range(300, 320))).slot, orch::SlotChoice::kNone);
}

TEST_CASE("slot choice: a miss takes the empty slot that keeps the busy slots together") {
  // Busy 2 and 4: slot 3 joins them into one run of sequence ids, one pass over the weights.
  std::vector<FakeSlot> slots(6);
  slots[2].busy = slots[4].busy = true;
  slots[2].tokens = range(1, 20);
  slots[4].tokens = range(30, 50);
  CHECK_EQ(choose(slots, Query(range(300, 320))).slot, 3u);
  // Busy 2 alone: 1 and 3 both extend its run; the lower one is taken.
  slots[4].busy = false;
  CHECK_EQ(choose(slots, Query(range(300, 320))).slot, 1u);
}

TEST_CASE("slot choice: a miss evicts a cache next to the busy slots before an older one elsewhere") {
  std::vector<FakeSlot> slots(4);
  for (llama_token i = 0; i < 4; ++i) slots[static_cast<size_t>(i)].tokens = range(100 * i, 100 * i + 30);
  slots[1].busy = true;
  slots[0].used = 3;
  slots[2].used = 5;
  slots[3].used = 1;  // the oldest, but taking it splits the step into two runs
  const auto c = choose(slots, Query(range(900, 920)));
  CHECK_EQ(c.slot, 0u);  // 0 and 2 both join slot 1's run; 0 is the older
  CHECK(c.evicts);
  slots[1].busy = false;  // nothing busy: plain LRU
  slots[1].used = 4;
  CHECK_EQ(choose(slots, Query(range(900, 920))).slot, 3u);
}

TEST_CASE("slot choice: a session's own slot wins over a longer anonymous prefix") {
  std::vector<FakeSlot> slots(2);
  slots[0].tokens = range(1, 60);
  slots[1].tokens = range(1, 10);
  slots[1].session = "s";
  Query q(range(1, 60));
  q.session = "s";
  const auto c = choose(slots, q);
  CHECK_EQ(c.slot, 1u);
  CHECK_EQ(c.keep, 9u);
}

TEST_CASE("slot choice: anonymous requests never take a parked session's slot while cache slots are free") {
  std::vector<FakeSlot> slots(2);
  slots[0].tokens = range(1, 60);
  slots[0].session = "s";
  slots[1].tokens = range(100, 120);
  const auto c = choose(slots, Query(range(1, 60)));
  CHECK_EQ(c.slot, 1u);
}

TEST_CASE("slot choice: a parked session's history is copied for the same history sent without a session") {
  std::vector<FakeSlot> slots(2);
  slots[0].tokens = range(1, 300);
  slots[0].session = "s";
  const auto c = choose(slots, Query(concat(range(1, 200), {7})));
  CHECK_EQ(c.slot, 1u);
  CHECK_EQ(c.donor, 0u);
  CHECK_EQ(c.keep, 199u);
  CHECK(!c.evicts);
}

TEST_CASE("slot choice: a busy slot's computed system prompt is copied, never past what it computed") {
  const auto sys = range(1, 101);
  std::vector<FakeSlot> slots(2);
  slots[0].busy = true;
  slots[0].prompt = concat(sys, range(500, 520));
  slots[0].tokens = concat(sys, range(500, 510));
  const auto c = choose(slots, Query(concat(sys, range(600, 610))));
  CHECK_EQ(c.slot, 1u);
  CHECK_EQ(c.donor, 0u);
  CHECK_EQ(c.keep, sys.size());
}

TEST_CASE("slot choice: no copy from another tenant, from strict work, for a strict request, or for a small gain") {
  std::vector<FakeSlot> slots(2);
  slots[0].busy = true;
  slots[0].tokens = range(1, 300);
  slots[0].tenant = "t2";
  CHECK_EQ(choose(slots, Query(range(1, 200))).donor, orch::SlotChoice::kNone);
  slots[0].tenant = "t1";
  slots[0].strict = true;
  CHECK_EQ(choose(slots, Query(range(1, 200))).donor, orch::SlotChoice::kNone);
  slots[0].strict = false;
  Query strict(range(1, 200));
  strict.strict = true;
  CHECK_EQ(choose(slots, strict).donor, orch::SlotChoice::kNone);
  slots[1].tokens = range(1, 150);
  const auto c = choose(slots, Query(range(1, 200)));
  CHECK_EQ(c.slot, 1u);
  CHECK_EQ(c.keep, 149u);
  CHECK_EQ(c.donor, orch::SlotChoice::kNone);
}

TEST_CASE("slot choice: a request waits while a busy slot of its tenant computes the prefix they share") {
  const auto sys = range(1, 201);
  std::vector<FakeSlot> slots(2);
  slots[0].busy = true;
  slots[0].prompt = concat(sys, range(500, 520));
  slots[0].tokens = range(1, 40);
  const Query q(concat(sys, range(600, 610)));
  CHECK(waits(slots, q));
  Query other = q;
  other.tenant = "t2";
  CHECK(!waits(slots, other));
  Query strict = q;
  strict.strict = true;
  CHECK(!waits(slots, strict));
  slots[0].tokens = sys;
  CHECK(!waits(slots, q));
  CHECK_EQ(choose(slots, q).donor, 0u);
}

TEST_CASE("slot choice: the parked session taken last keeps the history it shares with the prompt") {
  std::vector<FakeSlot> slots(2);
  slots[0].tokens = range(1, 100);
  slots[0].session = "a";
  slots[0].used = 1;
  slots[1].tokens = range(200, 300);
  slots[1].session = "b";
  slots[1].used = 2;
  const auto c = choose(slots, Query(concat(range(1, 50), {7})));
  CHECK_EQ(c.slot, 0u);
  CHECK_EQ(c.keep, 49u);
  CHECK_EQ(c.donor, orch::SlotChoice::kNone);
}
