// EngineCore driven from plain C++ (no N-API): sequences run to their ends, cancel, shutdown.
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "check.h"
#include "core/engine-core.h"
#include "core/errors.h"

extern std::string g_model_path;

namespace {

class CollectingSink : public orch::EventSink {
 public:
  void deliver(orch::StepOutput && out) override {
    std::lock_guard<std::mutex> lock(mutex_);
    deliveries_.push_back({std::chrono::steady_clock::now(), out.tokens.size(), !out.ends.empty()});
    for (auto & t : out.tokens) tokens_.push_back(t);
    for (auto & e : out.ends) ends_.push_back(e);
    for (auto & a : out.acks) acks_.push_back(a);
    changed_.notify_all();
  }
  void closed() override {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    changed_.notify_all();
  }
  // Waits until `ready` holds (with the lock held), at most 20 s.
  template <typename Pred>
  bool wait(Pred ready) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(20), [&] { return ready(*this); });
  }

  std::vector<orch::TokenEvent> tokens_;
  std::vector<orch::EndEvent> ends_;
  std::vector<orch::CancelAck> acks_;
  struct Delivery {
    std::chrono::steady_clock::time_point at;
    size_t tokens;
    bool ends;
  };
  std::vector<Delivery> deliveries_;
  bool closed_ = false;

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
};

orch::LoadParams tiny_params() {
  orch::LoadParams p;
  p.model_path = g_model_path;
  p.ctx_per_seq = 512;
  p.n_seq = 2;
  p.n_threads = 2;
  p.n_threads_batch = 2;
  return p;
}

orch::SubmitParams request(orch::EngineCore & core, int32_t max_tokens) {
  orch::SubmitParams p;
  p.prompt = core.tokenize("Once upon a time", true, false);
  p.max_tokens = max_tokens;
  p.ignore_eos = true;
  p.sampling.seed = 7;
  p.sampling.has_seed = true;
  return p;
}

}  // namespace

TEST_CASE("three sequences on two slots all end with the tokens they asked for") {
  orch::EngineCore core(tiny_params());
  CollectingSink sink;
  core.start(&sink);
  for (int32_t n : {5, 9, 3}) core.submit(core.prepare(request(core, n)));
  CHECK(sink.wait([](const CollectingSink & s) { return s.ends_.size() == 3; }));
  size_t tokens = 0;
  for (const auto & e : sink.ends_) {
    CHECK(e.reason == orch::FinishReason::Length);
    tokens += static_cast<size_t>(e.tokens_out);
  }
  CHECK_EQ(tokens, 17u);
  CHECK_EQ(sink.tokens_.size(), 17u);
  core.shutdown();
  CHECK(sink.wait([](const CollectingSink & s) { return s.closed_; }));
}

TEST_CASE("a paced engine sends the first token alone, then at most one delivery per interval") {
  auto params = tiny_params();
  params.stream_interval_ms = 100;
  orch::EngineCore core(params);
  CollectingSink sink;
  core.start(&sink);
  core.submit(core.prepare(request(core, 60)));
  CHECK(sink.wait([](const CollectingSink & s) { return s.ends_.size() == 1; }));
  CHECK_EQ(sink.tokens_.size(), 60u);
  for (size_t i = 0; i < sink.tokens_.size(); ++i) CHECK_EQ(sink.tokens_[i].index, static_cast<int32_t>(i));
  CHECK_EQ(sink.deliveries_.front().tokens, 1u);
  CHECK(sink.deliveries_.back().ends);
  CHECK(sink.deliveries_.size() < sink.tokens_.size());
  // Between two deliveries the interval has passed, unless the later one carries the end.
  for (size_t i = 1; i < sink.deliveries_.size(); ++i) {
    const auto gap = sink.deliveries_[i].at - sink.deliveries_[i - 1].at;
    if (!sink.deliveries_[i].ends) CHECK(gap >= std::chrono::milliseconds(95));
  }
  core.shutdown();
  CHECK(sink.wait([](const CollectingSink & s) { return s.closed_; }));
}

TEST_CASE("a cancel ends the sequence, acknowledges it, and leaves its KV as cache, not busy") {
  orch::EngineCore core(tiny_params());
  CollectingSink sink;
  core.start(&sink);
  const uint64_t id = core.submit(core.prepare(request(core, 400)));
  CHECK(sink.wait([](const CollectingSink & s) { return s.tokens_.size() >= 3; }));
  core.cancel(id, 42);
  CHECK(sink.wait([](const CollectingSink & s) { return !s.acks_.empty(); }));
  CHECK_EQ(sink.acks_[0].ack, 42u);
  CHECK(sink.acks_[0].found);
  CHECK_EQ(sink.ends_.size(), 1u);
  CHECK(sink.ends_[0].reason == orch::FinishReason::Cancelled);
  const auto stats = core.stats();
  CHECK_EQ(stats.slots_busy, 0u);
  CHECK(stats.kv_cells_used >= 3u);
  CHECK_EQ(stats.kv_cells_cached, stats.kv_cells_used);
  core.shutdown();
  CHECK(sink.wait([](const CollectingSink & s) { return s.closed_; }));
}

TEST_CASE("shutdown ends running and queued sequences as cancelled") {
  orch::EngineCore core(tiny_params());
  CollectingSink sink;
  core.start(&sink);
  for (int i = 0; i < 4; ++i) core.submit(core.prepare(request(core, 400)));
  core.shutdown();
  CHECK(sink.wait([](const CollectingSink & s) { return s.closed_; }));
  CHECK_EQ(sink.ends_.size(), 4u);
  for (const auto & e : sink.ends_) CHECK(e.reason == orch::FinishReason::Cancelled);
  bool refused = false;
  try {
    core.submit(core.prepare(request(core, 1)));
  } catch (const orch::EngineError & e) {
    refused = e.code() == orch::ErrorCode::EngineDisposed;
  }
  CHECK(refused);
}

TEST_CASE("a finished prompt's KV is reused by the same tenant's next prompt, never by another tenant's") {
  orch::EngineCore core(tiny_params());
  CollectingSink sink;
  core.start(&sink);
  auto submit = [&](const std::string & tenant, size_t n_ends) {
    auto p = request(core, 4);
    p.cache_tenant = tenant;
    core.submit(core.prepare(std::move(p)));
    CHECK(sink.wait([n_ends](const CollectingSink & s) { return s.ends_.size() == n_ends; }));
    return sink.ends_.back();
  };
  const size_t n_prompt = core.tokenize("Once upon a time", true, false).size();
  CHECK_EQ(submit("a", 1).cached_tokens, 0);
  CHECK_EQ(submit("a", 2).cached_tokens, static_cast<int32_t>(n_prompt - 1));
  CHECK_EQ(submit("b", 3).cached_tokens, 0);
  core.shutdown();
  CHECK(sink.wait([](const CollectingSink & s) { return s.closed_; }));
}

namespace {

// Runs `texts` one after another on a one-slot engine; returns each end's cached token count.
std::vector<int32_t> run_in_turn(uint32_t prompt_cache_mb, const std::vector<std::string> & texts,
                                 orch::EngineStats & stats) {
  auto params = tiny_params();
  params.n_seq = 1;
  params.prompt_cache_mb = prompt_cache_mb;
  orch::EngineCore core(params);
  CollectingSink sink;
  core.start(&sink);
  std::vector<int32_t> cached;
  for (const auto & text : texts) {
    auto p = request(core, 3);
    p.prompt = core.tokenize(text, true, false);
    core.submit(core.prepare(std::move(p)));
    const size_t n = cached.size() + 1;
    CHECK(sink.wait([n](const CollectingSink & s) { return s.ends_.size() == n; }));
    cached.push_back(sink.ends_.back().cached_tokens);
  }
  stats = core.stats();
  core.shutdown();
  CHECK(sink.wait([](const CollectingSink & s) { return s.closed_; }));
  return cached;
}

const std::string kStoryA(200, 'a');
const std::string kStoryB = std::string(100, 'b') + " the other story, told at length by someone else";

}  // namespace

TEST_CASE("under slot pressure the least recently used prompt is evicted, and counted") {
  orch::EngineStats stats;
  const auto cached = run_in_turn(0, {kStoryA, kStoryB, kStoryA}, stats);
  CHECK(cached[2] <= 1);  // the shared BOS token at most
  CHECK_EQ(stats.cache_evictions, 2u);
  CHECK_EQ(stats.cache_ram_bytes, 0u);
}

TEST_CASE("the host-RAM tier saves a dropped prompt and restores it for the next match") {
  orch::EngineStats stats;
  const auto cached = run_in_turn(64, {kStoryA, kStoryB, kStoryA}, stats);
  CHECK_EQ(cached[0], 0);
  CHECK(cached[1] <= 1);
  CHECK(cached[2] > 20);
  CHECK(stats.cache_ram_bytes > 0);
  CHECK(stats.cache_ram_bytes <= 64u * 1024 * 1024);
  CHECK_EQ(stats.cache_evictions, 0u);
}
