// The engine: owns one model context, its slots and the loop thread that batches all sequences.
// No N-API here: JS reaches it through engine-wrap, a plain C++ program could drive it directly.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/batch-planner.h"
#include "core/chat-format.h"
#include "core/command-queue.h"
#include "core/embed.h"
#include "core/llama-log.h"
#include "core/model-loader.h"
#include "core/prompt-store.h"
#include "core/sequence.h"
#include "core/slot.h"
#include "core/stream-pacer.h"

namespace orch {

// Receives each step's events on the loop thread; may block (that is the loop's backpressure).
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void deliver(StepOutput && out) = 0;
  // The loop has stopped; no call follows.
  virtual void closed() = 0;
  // One embed request's vectors (or its error), on the loop thread; sinks of generation-only
  // engines (the core tests) need not take them.
  virtual void embedded(EmbedResult && result) { (void) result; }
};

struct EngineStats {
  uint32_t slots_total = 0;
  uint32_t slots_busy = 0;
  uint32_t pending = 0;
  uint64_t kv_cells_used = 0;
  uint64_t kv_cells_total = 0;
  uint64_t kv_cells_cached = 0;   // of kv_cells_used: held by idle slots as prefix cache
  uint64_t cache_evictions = 0;   // cached prompts dropped to make room for another prompt
  uint64_t cache_ram_bytes = 0;   // held by the host-RAM prompt cache
  double prefill_tokens_per_second = 0;
  double decode_tokens_per_second = 0;
};

class EngineCore {
 public:
  explicit EngineCore(const LoadParams & params);  // throws EngineError
  ~EngineCore();
  EngineCore(const EngineCore &) = delete;
  EngineCore & operator=(const EngineCore &) = delete;

  const ModelInfo & info() const { return loaded_.info; }
  std::vector<llama_token> tokenize(const std::string & text, bool add_special, bool parse_special) const;
  std::string detokenize(const std::vector<llama_token> & tokens) const;
  // The model's chat template through llama.cpp common (see chat-format.h). Caller's thread.
  ChatRender render_chat(const std::string & request_json) const { return chat_->render(request_json); }
  ChatParse parse_chat(const std::string & text, const std::string & parser) const { return chat_->parse(text, parser); }
  bool diff_chat(const std::string & previous, const std::string & text, const std::string & parser, bool final,
                 std::vector<ChatDelta> & out) const {
    return chat_->diff(previous, text, parser, final, out);
  }

  // Any thread. prepare() validates and builds the sampler; submit() queues it. Both throw EngineError.
  std::unique_ptr<SequenceRequest> prepare(SubmitParams params) const;
  uint64_t submit(std::unique_ptr<SequenceRequest> request);
  void cancel(uint64_t sequence_id, uint64_t ack);
  EngineStats stats() const;
  // Embeddings engines only (engine-embed.cpp). Any thread; both throw EngineError. The result
  // reaches the sink's embedded().
  std::unique_ptr<EmbedRequest> prepare_embed(std::vector<std::vector<llama_token>> inputs) const;
  uint64_t embed(std::unique_ptr<EmbedRequest> request);

  void start(EventSink * sink);
  // Ends every sequence as cancelled and stops the loop; the sink's closed() follows.
  void shutdown();

 private:
  void run();
  void apply(std::deque<Command> & commands, StepOutput & out, bool & stop);
  bool cancel_one(uint64_t id, StepOutput & out);
  void end_pending(std::unique_ptr<SequenceRequest> request, FinishReason reason, StepOutput & out);
  void admit_pending();
  size_t fill_cache(Slot & slot, const SlotChoice & choice, const SubmitParams & params, bool may_restore);
  void step(StepOutput & out);
  void fail_batch(const std::vector<BatchEntry> & entries, int rc, const LogCapture & log, StepOutput & out);
  void publish_stats();
  std::unique_ptr<TokenSampler> make_sampler(const SubmitParams & params) const;
  SamplerPtr make_chain(const SubmitParams & params) const;
  SamplerPtr make_grammar(const SubmitParams & params) const;
  void prefill_grammar(llama_sampler * grammar, const std::string & prefill) const;
  EmbedResult run_embed(const EmbedRequest & request);
  bool embed_batch(const EmbedRequest & request, size_t first, size_t last, EmbedResult & result);

  LoadedModel loaded_;
  std::unique_ptr<ChatFormatter> chat_;
  const llama_vocab * vocab_;
  llama_memory_t mem_;
  uint32_t n_batch_;
  uint32_t prefill_chunk_;
  std::vector<llama_token> eog_tokens_;
  std::vector<Slot> slots_;
  std::deque<std::unique_ptr<SequenceRequest>> pending_;
  CommandQueue commands_;
  BatchPlanner planner_;
  StreamPacer pacer_;
  llama_batch batch_;
  mutable std::atomic<uint64_t> next_id_{1};
  std::atomic<bool> stopping_{false};
  EventSink * sink_ = nullptr;
  std::thread thread_;

  PromptStore store_;
  uint64_t cache_evictions_ = 0;
  double prefill_tps_ = 0;
  double decode_tps_ = 0;
  mutable std::mutex stats_mutex_;
  EngineStats stats_;
};

}  // namespace orch
