// The engine loop: commands in, one llama_decode over all active slots per step, events out.
#include "core/engine-core.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/errors.h"
#include "core/llama-log.h"

namespace orch {
namespace {

// The prompt tokens a CPU step takes while others decode or prompts wait. Prompts that arrive
// together then start one after another instead of all at the end of one long step. bench:serve
// on 2026-12-02, two runs at 64 against one at 128: TTFT p50 at c = 8 0.38-0.43 of
// llama-server's against 0.67-0.71, agents' warm turns 0.29-0.33 against 0.65, tokens/s within
// the runs' spread; ITL p95 at c >= 8 about doubles (190-220 ms against 90-120), ITL p50
// unchanged. The pool key `prefill_chunk` chooses the other side of that trade.
constexpr uint32_t kCpuPrefillChunk = 64;

// Fewer dropped tokens are not worth a host copy; a restore must save more than this much prefill.
constexpr size_t kMinSavedTokens = 32;
constexpr size_t kMinRestoreGain = 16;

int64_t now_us() { return llama_time_us(); }

// Exponential moving average of a rate; the first sample seeds it.
double blend(double average, double sample) { return average == 0 ? sample : 0.8 * average + 0.2 * sample; }

}  // namespace

EngineCore::EngineCore(const LoadParams & params)
    : loaded_(load_model(params)),
      chat_(std::make_unique<ChatFormatter>(loaded_.model.get(), params.chat_template)),
      vocab_(llama_model_get_vocab(loaded_.model.get())),
      mem_(llama_get_memory(loaded_.ctx.get())),
      n_batch_(llama_n_batch(loaded_.ctx.get())),
      prefill_chunk_(params.prefill_chunk != 0   ? params.prefill_chunk
                     : params.n_gpu_layers != 0 ? llama_n_ubatch(loaded_.ctx.get())
                                                 : kCpuPrefillChunk),
      commands_(params.max_pending),
      pacer_(static_cast<int64_t>(params.stream_interval_ms) * 1000),
      batch_(llama_batch_init(static_cast<int32_t>(n_batch_), 0, 1)),
      store_(static_cast<size_t>(params.prompt_cache_mb) * 1024 * 1024) {
  for (llama_token t = 0; t < llama_vocab_n_tokens(vocab_); ++t) {
    if (llama_vocab_is_eog(vocab_, t)) eog_tokens_.push_back(t);
  }
  slots_.reserve(params.n_seq);
  for (uint32_t i = 0; i < params.n_seq; ++i) slots_.emplace_back(static_cast<llama_seq_id>(i));
  publish_stats();
}

EngineCore::~EngineCore() {
  if (thread_.joinable()) {
    shutdown();
    thread_.join();
  }
  llama_batch_free(batch_);
}

void EngineCore::start(EventSink * sink) {
  sink_ = sink;
  thread_ = std::thread([this] { run(); });
}

void EngineCore::shutdown() {
  if (stopping_.exchange(true)) return;
  commands_.push(Command{Command::Kind::Shutdown, nullptr, 0, 0});
}

uint64_t EngineCore::submit(std::unique_ptr<SequenceRequest> request) {
  if (stopping_) throw EngineError(ErrorCode::EngineDisposed, "the engine was disposed; load a new one");
  const uint64_t id = request->id;
  if (!commands_.push(Command{Command::Kind::Add, std::move(request), 0, 0})) {
    throw EngineError(ErrorCode::EngineBusy, "the engine's queue of waiting sequences is full; retry when some finish");
  }
  return id;
}

void EngineCore::cancel(uint64_t sequence_id, uint64_t ack) {
  commands_.push(Command{Command::Kind::Cancel, nullptr, sequence_id, ack});
}

EngineStats EngineCore::stats() const {
  std::lock_guard<std::mutex> lock(stats_mutex_);
  return stats_;
}

void EngineCore::run() {
  bool stop = false;
  while (!stop) {
    const bool idle = pending_.empty() &&
                      std::none_of(slots_.begin(), slots_.end(), [](const Slot & s) { return s.busy(); });
    auto commands = commands_.drain(idle, std::chrono::milliseconds(200));
    StepOutput out;
    apply(commands, out, stop);
    if (!stop) {
      admit_pending();
      step(out);
    }
    publish_stats();
    StepOutput due = pacer_.pace(std::move(out), now_us());
    if (!due.empty()) sink_->deliver(std::move(due));
  }
  sink_->closed();
}

void EngineCore::apply(std::deque<Command> & commands, StepOutput & out, bool & stop) {
  for (auto & command : commands) {
    switch (command.kind) {
      case Command::Kind::Add:
        pending_.push_back(std::move(command.request));
        break;
      case Command::Kind::Cancel:
        out.acks.push_back(CancelAck{command.ack, cancel_one(command.target, out)});
        break;
      case Command::Kind::Shutdown:
        stop = true;
        break;
      case Command::Kind::Embed:
        // Between steps, like every command: an embeddings engine runs no generation steps.
        sink_->embedded(run_embed(*command.embed));
        commands_.release_add();
        break;
    }
  }
  if (!stop) return;
  while (!pending_.empty()) {
    end_pending(std::move(pending_.front()), FinishReason::Cancelled, out);
    pending_.pop_front();
  }
  for (auto & slot : slots_) {
    if (slot.busy()) slot.finish(FinishReason::Cancelled, mem_, now_us(), out);
  }
}

bool EngineCore::cancel_one(uint64_t id, StepOutput & out) {
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if ((*it)->id == id) {
      end_pending(std::move(*it), FinishReason::Cancelled, out);
      pending_.erase(it);
      return true;
    }
  }
  for (auto & slot : slots_) {
    if (slot.busy() && slot.request_id() == id) {
      slot.finish(FinishReason::Cancelled, mem_, now_us(), out);
      return true;
    }
  }
  return false;
}

void EngineCore::end_pending(std::unique_ptr<SequenceRequest> request, FinishReason reason, StepOutput & out) {
  EndEvent end;
  end.seq = request->id;
  end.reason = reason;
  end.tokens_in = static_cast<int32_t>(request->params.prompt.size());
  out.ends.push_back(std::move(end));
  commands_.release_add();
}

void EngineCore::admit_pending() {
  // Slots whose KV a copy queued in this round reads at the next decode: nothing may overwrite
  // their buffers before then (a host-RAM restore writes at once).
  std::vector<bool> copy_sources(slots_.size(), false);
  while (!pending_.empty()) {
    const SubmitParams & params = pending_.front()->params;
    std::vector<SlotView> views;
    views.reserve(slots_.size());
    for (const auto & slot : slots_) views.push_back(slot.view());
    const SlotQuery query{&params.prompt, &params.cache_tenant, &params.session_key, params.strict};
    const SlotChoice choice = choose_slot(views, query);
    if (choice.slot == SlotChoice::kNone || wait_for_shared_prefix(views, query)) return;
    Slot & slot = slots_[choice.slot];
    const size_t keep = fill_cache(slot, choice, params, !copy_sources[choice.slot]);
    if (choice.donor != SlotChoice::kNone) copy_sources[choice.donor] = true;
    slot.assign(std::move(pending_.front()), keep, mem_, now_us());
    pending_.pop_front();
    commands_.release_add();
  }
}

// Before a slot drops cache for a new prompt: restores a saved prompt of the request's tenant that
// matches better than the slot and any donor (never for strict requests), else copies the donor's
// KV, and saves what the slot drops to host RAM. Returns the cached tokens the request keeps.
size_t EngineCore::fill_cache(Slot & slot, const SlotChoice & choice, const SubmitParams & params,
                              bool may_restore) {
  std::optional<SavedPrompt> saved;
  if (store_.enabled() && !params.strict && may_restore) {
    saved = store_.take_best(params.cache_tenant, params.prompt, choice.keep + kMinRestoreGain);
  }
  const bool copies = !saved && choice.donor != SlotChoice::kNone;
  const size_t dropped = saved || copies ? slot.kv_size() : slot.kv_size() - choice.keep;
  if (store_.enabled() && dropped >= kMinSavedTokens) {
    store_.put(slot.save(loaded_.ctx.get()));
  } else if (choice.evicts) {
    ++cache_evictions_;
  }
  if (copies) return slot.copy_from(slots_[choice.donor], choice.keep, mem_) ? choice.keep : 0;
  if (!saved) return choice.keep;
  const size_t keep = usable_prefix(saved->tokens, params.prompt);
  return slot.restore(std::move(*saved), loaded_.ctx.get(), mem_) ? keep : 0;
}

void EngineCore::step(StepOutput & out) {
  std::vector<SlotDemand> demand;
  for (size_t i = 0; i < slots_.size(); ++i) {
    const Slot & s = slots_[i];
    if (!s.busy()) continue;
    demand.push_back({i, s.strict(), s.phase() == SlotPhase::Decode, s.prefill_remaining()});
  }
  // Older requests first, so their prompts are served before newer ones.
  std::sort(demand.begin(), demand.end(), [this](const SlotDemand & a, const SlotDemand & b) {
    return slots_[a.slot].request_id() < slots_[b.slot].request_id();
  });
  const auto entries = planner_.plan(demand, n_batch_, prefill_chunk_);
  if (entries.empty()) return;

  batch_.n_tokens = 0;
  std::vector<std::vector<llama_token>> inputs;
  std::vector<int32_t> logits_at;
  size_t n_prefill = 0;
  for (const auto & entry : entries) {
    Slot & slot = slots_[entry.slot];
    inputs.push_back(slot.take_input(entry.n_tokens));
    const auto & tokens = inputs.back();
    const bool decoding = slot.phase() == SlotPhase::Decode;
    const bool wants_logits = decoding || tokens.size() == slot.prefill_remaining();
    if (!decoding) n_prefill += tokens.size();
    for (size_t j = 0; j < tokens.size(); ++j) {
      const int32_t i = batch_.n_tokens++;
      batch_.token[i] = tokens[j];
      batch_.pos[i] = static_cast<llama_pos>(slot.kv_size() + j);
      batch_.n_seq_id[i] = 1;
      batch_.seq_id[i][0] = slot.seq_id();
      batch_.logits[i] = wants_logits && j + 1 == tokens.size();
    }
    logits_at.push_back(wants_logits ? batch_.n_tokens - 1 : -1);
  }

  const int64_t t0 = now_us();
  LogCapture capture;  // an allocation failure names its device and size only in the log
  const int rc = llama_decode(loaded_.ctx.get(), batch_);
  const int64_t t1 = now_us();
  if (rc != 0) {
    fail_batch(entries, rc, capture, out);
    return;
  }
  const double seconds = std::max(1e-6, static_cast<double>(t1 - t0) / 1e6);
  const size_t n_decode = static_cast<size_t>(batch_.n_tokens) - n_prefill;
  if (n_prefill > 0) prefill_tps_ = blend(prefill_tps_, static_cast<double>(batch_.n_tokens) / seconds);
  else decode_tps_ = blend(decode_tps_, static_cast<double>(n_decode) / seconds);

  for (size_t k = 0; k < entries.size(); ++k) {
    Slot & slot = slots_[entries[k].slot];
    slot.commit_input(inputs[k], t1);
    if (logits_at[k] < 0) continue;
    const auto finish = slot.sample(loaded_.ctx.get(), logits_at[k], vocab_, now_us(), out);
    if (finish) slot.finish(*finish, mem_, now_us(), out);
  }
}

// llama_decode returns -2 when a compute buffer could not be allocated: out of (V)RAM, not a bug.
void EngineCore::fail_batch(const std::vector<BatchEntry> & entries, int rc, const LogCapture & log,
                            StepOutput & out) {
  const bool oom = rc == -2;
  const std::string message =
      oom ? "out of memory in a decode step (" + log.summary() + "); the sequence was ended: retry with a shorter prompt, or "
                                                   "lower the pool's ubatch_size, context_size or slots"
          : "llama_decode failed with status " + std::to_string(rc) + (rc == 1 ? " (no room in the KV cache)" : "") +
                "; the sequence was ended";
  const ErrorCode oom_code = log.gpu_allocation_failed() ? ErrorCode::PoolInsufficientVram : ErrorCode::PoolInsufficientMemory;
  const char * code = error_code_name(oom ? oom_code : ErrorCode::Internal);
  for (const auto & entry : entries) {
    Slot & slot = slots_[entry.slot];
    if (slot.busy()) slot.finish(FinishReason::Error, mem_, now_us(), out, code, message);
  }
}

void EngineCore::publish_stats() {
  EngineStats s;
  s.slots_total = static_cast<uint32_t>(slots_.size());
  for (const auto & slot : slots_) {
    s.slots_busy += slot.busy() ? 1 : 0;
    s.kv_cells_used += slot.kv_size();
    if (!slot.busy()) s.kv_cells_cached += slot.kv_size();
  }
  s.cache_evictions = cache_evictions_ + store_.evictions();
  s.cache_ram_bytes = store_.bytes();
  s.pending = static_cast<uint32_t>(pending_.size());
  s.kv_cells_total = llama_n_ctx(loaded_.ctx.get());
  s.prefill_tokens_per_second = prefill_tps_;
  s.decode_tokens_per_second = decode_tps_;
  std::lock_guard<std::mutex> lock(stats_mutex_);
  stats_ = s;
}

}  // namespace orch
