// A slot: one llama.cpp sequence id with its lifecycle, KV bookkeeping and per-request progress.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/prompt-store.h"
#include "core/sequence.h"
#include "core/slot-choice.h"
#include "core/text-stream.h"
#include "llama.h"

namespace orch {

enum class SlotPhase { Idle, Prefill, Decode };

class Slot {
 public:
  explicit Slot(llama_seq_id seq_id) : seq_id_(seq_id) {}

  llama_seq_id seq_id() const { return seq_id_; }
  SlotPhase phase() const { return phase_; }
  bool busy() const { return phase_ != SlotPhase::Idle; }
  bool strict() const { return request_ && request_->params.strict; }
  uint64_t request_id() const { return request_ ? request_->id : 0; }
  const std::string & session_key() const { return session_key_; }
  int64_t last_used_us() const { return last_used_us_; }
  size_t kv_size() const { return kv_tokens_.size(); }
  // What the slot policy (slot-choice.h) sees of this slot.
  SlotView view() const {
    return SlotView{busy(), &kv_tokens_, &tenant_, &session_key_, last_used_us_, strict(),
                    request_ ? &request_->params.prompt : nullptr};
  }

  // Takes a request; keeps the first `keep` cached tokens (the policy checked they are its prompt's,
  // of its tenant), drops the rest.
  void assign(std::unique_ptr<SequenceRequest> request, size_t keep, llama_memory_t mem, int64_t now_us);

  // Tokens this slot feeds into the next batch: the pending prompt (at most `limit`) or the last
  // sampled token.
  size_t prefill_remaining() const;
  std::vector<llama_token> take_input(size_t limit);
  // Called after a successful decode of the tokens from take_input().
  void commit_input(const std::vector<llama_token> & tokens, int64_t now_us);

  // Samples from the logits at `batch_index`, appends a token event; returns a finish reason when
  // this token ends the sequence.
  std::optional<FinishReason> sample(llama_context * ctx, int32_t batch_index, const llama_vocab * vocab,
                                     int64_t now_us, StepOutput & out);

  // Ends the request: emits its end event; its KV stays as its tenant's cache (or its session's),
  // unless the sequence failed and the KV cannot be trusted.
  void finish(FinishReason reason, llama_memory_t mem, int64_t now_us, StepOutput & out,
              const std::string & error_code = "", const std::string & error_message = "");

  // The slot's cached KV copied to host RAM, with its tokens and tenant.
  SavedPrompt save(llama_context * ctx) const;
  // Replaces the slot's cache with a saved one; false (slot left empty) when llama.cpp refuses it.
  bool restore(SavedPrompt && saved, llama_context * ctx, llama_memory_t mem);

  // Replaces the slot's cache with the first `keep` tokens of `donor`'s KV (llama.cpp copies the
  // stream at the next decode, before it computes); false (slot left empty) when it cannot.
  bool copy_from(const Slot & donor, size_t keep, llama_memory_t mem);

  // Drops the slot's cached KV (and any parked session) so that nothing can reuse it.
  void evict(llama_memory_t mem);

 private:
  llama_seq_id seq_id_;
  SlotPhase phase_ = SlotPhase::Idle;
  std::unique_ptr<SequenceRequest> request_;
  std::vector<llama_token> kv_tokens_;  // exactly the tokens whose KV this sequence holds
  std::string tenant_;       // whose tokens kv_tokens_ are: KV is never reused across tenants
  std::string session_key_;
  int64_t last_used_us_ = 0;

  size_t n_prompt_done_ = 0;
  int32_t n_generated_ = 0;
  int32_t cached_tokens_ = 0;
  llama_token next_token_ = -1;
  std::unique_ptr<TextStream> text_;
  int64_t t_prefill_start_us_ = 0;
  int64_t t_prompt_done_us_ = 0;
  int64_t t_first_token_us_ = 0;
};

}  // namespace orch
