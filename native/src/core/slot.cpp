// Slot lifecycle: assign, feed the batch, sample, finish; see slot.h.
#include "core/slot.h"

#include <algorithm>

namespace orch {
namespace {

double ms_between(int64_t from_us, int64_t to_us) {
  return from_us > 0 && to_us >= from_us ? static_cast<double>(to_us - from_us) / 1000.0 : 0.0;
}

}  // namespace

void Slot::assign(std::unique_ptr<SequenceRequest> request, size_t keep, llama_memory_t mem, int64_t now_us) {
  request_ = std::move(request);
  keep = std::min(keep, kv_tokens_.size());
  // A partial removal can fail (e.g. recurrent memory); then nothing cached is kept.
  if (keep < kv_tokens_.size() && !llama_memory_seq_rm(mem, seq_id_, static_cast<llama_pos>(keep), -1)) {
    llama_memory_seq_rm(mem, seq_id_, -1, -1);
    keep = 0;
  }
  kv_tokens_.resize(keep);
  tenant_ = request_->params.cache_tenant;
  session_key_ = request_->params.session_key;
  phase_ = SlotPhase::Prefill;
  n_prompt_done_ = keep;
  cached_tokens_ = static_cast<int32_t>(keep);
  n_generated_ = 0;
  next_token_ = -1;
  text_ = std::make_unique<TextStream>(request_->params.stop);
  t_prefill_start_us_ = t_prompt_done_us_ = t_first_token_us_ = 0;
  last_used_us_ = now_us;
}

size_t Slot::prefill_remaining() const {
  return phase_ == SlotPhase::Prefill ? request_->params.prompt.size() - n_prompt_done_ : 0;
}

std::vector<llama_token> Slot::take_input(size_t limit) {
  if (phase_ == SlotPhase::Decode) return {next_token_};
  if (t_prefill_start_us_ == 0) t_prefill_start_us_ = llama_time_us();
  const auto & prompt = request_->params.prompt;
  const size_t n = std::min(limit, prompt.size() - n_prompt_done_);
  const auto first = prompt.begin() + static_cast<std::ptrdiff_t>(n_prompt_done_);
  return std::vector<llama_token>(first, first + static_cast<std::ptrdiff_t>(n));
}

void Slot::commit_input(const std::vector<llama_token> & tokens, int64_t now_us) {
  kv_tokens_.insert(kv_tokens_.end(), tokens.begin(), tokens.end());
  if (phase_ != SlotPhase::Prefill) return;
  n_prompt_done_ += tokens.size();
  if (n_prompt_done_ == request_->params.prompt.size()) t_prompt_done_us_ = now_us;
}

std::optional<FinishReason> Slot::sample(llama_context * ctx, int32_t batch_index, const llama_vocab * vocab,
                                         int64_t now_us, StepOutput & out) {
  const float * logits = llama_get_logits_ith(ctx, batch_index);
  const llama_token token = request_->sampler->sample(logits, llama_vocab_n_tokens(vocab));
  if (n_generated_ == 0) t_first_token_us_ = now_us;
  ++n_generated_;
  phase_ = SlotPhase::Decode;
  next_token_ = token;

  std::string text = text_->push(token_piece(vocab, token));
  std::optional<FinishReason> finish;
  if (text_->stopped() || (!request_->params.ignore_eos && llama_vocab_is_eog(vocab, token))) {
    finish = FinishReason::Stop;
  } else if (n_generated_ >= request_->params.max_tokens) {
    finish = FinishReason::Length;
  }
  if (finish) text += text_->flush();
  TokenEvent event;
  event.seq = request_->id;
  event.token = token;
  event.index = n_generated_ - 1;
  event.text = std::move(text);
  // Only when asked: a softmax over the vocabulary per token is not free.
  const int32_t n_probs = request_->params.sampling.n_probs;
  if (n_probs >= 0) {
    event.has_logprobs = true;
    event.logprobs = token_logprobs(logits, vocab, token, n_probs);
  }
  out.tokens.push_back(std::move(event));
  return finish;
}

void Slot::finish(FinishReason reason, llama_memory_t mem, int64_t now_us, StepOutput & out,
                  const std::string & error_code, const std::string & error_message) {
  EndEvent end;
  end.seq = request_->id;
  end.reason = reason;
  end.tokens_in = static_cast<int32_t>(request_->params.prompt.size());
  end.tokens_out = n_generated_;
  end.cached_tokens = cached_tokens_;
  end.prompt_ms = ms_between(t_prefill_start_us_, t_prompt_done_us_);
  end.ttft_ms = ms_between(request_->submitted_us, t_first_token_us_);
  end.decode_ms = ms_between(t_first_token_us_, now_us);
  end.grammar_resamples = request_->sampler->resamples();
  end.error_code = error_code;
  end.error_message = error_message;
  out.ends.push_back(std::move(end));

  // The KV stays as cache (for the session's next turn, or any prompt of this tenant sharing a
  // prefix); after a failed decode its cells are not trusted.
  if (reason == FinishReason::Error) evict(mem);
  last_used_us_ = now_us;
  request_.reset();
  text_.reset();
  phase_ = SlotPhase::Idle;
}

SavedPrompt Slot::save(llama_context * ctx) const {
  SavedPrompt saved{tenant_, kv_tokens_, std::vector<uint8_t>(llama_state_seq_get_size(ctx, seq_id_))};
  const size_t n = llama_state_seq_get_data(ctx, saved.state.data(), saved.state.size(), seq_id_);
  saved.state.resize(n);
  return saved;
}

bool Slot::restore(SavedPrompt && saved, llama_context * ctx, llama_memory_t mem) {
  evict(mem);
  if (llama_state_seq_set_data(ctx, saved.state.data(), saved.state.size(), seq_id_) == 0) {
    evict(mem);
    return false;
  }
  kv_tokens_ = std::move(saved.tokens);
  tenant_ = std::move(saved.tenant);
  return true;
}

bool Slot::copy_from(const Slot & donor, size_t keep, llama_memory_t mem) {
  evict(mem);
  llama_memory_seq_cp(mem, donor.seq_id_, seq_id_, -1, -1);
  if (!llama_memory_seq_rm(mem, seq_id_, static_cast<llama_pos>(keep), -1)) {
    evict(mem);
    return false;
  }
  kv_tokens_.assign(donor.kv_tokens_.begin(), donor.kv_tokens_.begin() + static_cast<std::ptrdiff_t>(keep));
  tenant_ = donor.tenant_;
  return true;
}

void Slot::evict(llama_memory_t mem) {
  llama_memory_seq_rm(mem, seq_id_, -1, -1);
  kv_tokens_.clear();
  tenant_.clear();
  session_key_.clear();
}

}  // namespace orch
