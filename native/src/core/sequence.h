// One generation request as the engine loop sees it, and the events the loop hands to JS.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/params.h"
#include "core/token-sampler.h"
#include "llama.h"

namespace orch {

// Built and validated on the JS thread, then owned by the loop.
struct SequenceRequest {
  uint64_t id = 0;
  SubmitParams params;
  std::unique_ptr<TokenSampler> sampler;
  int64_t submitted_us = 0;
};

enum class FinishReason { Stop, Length, Cancelled, Error };

inline const char * finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::Stop: return "stop";
    case FinishReason::Length: return "length";
    case FinishReason::Cancelled: return "cancelled";
    case FinishReason::Error: return "error";
  }
  return "error";
}

struct TokenEvent {
  uint64_t seq = 0;
  llama_token token = 0;
  int32_t index = 0;
  std::string text;
  // Set when the request asked for logprobs (SamplingParams::n_probs >= 0).
  bool has_logprobs = false;
  TokenLogprobs logprobs;
};

struct EndEvent {
  uint64_t seq = 0;
  FinishReason reason = FinishReason::Stop;
  int32_t tokens_in = 0;
  int32_t tokens_out = 0;
  int32_t cached_tokens = 0;
  double prompt_ms = 0;
  double decode_ms = 0;
  double ttft_ms = 0;
  uint32_t grammar_resamples = 0;  // steps the grammar rejected the chain's token (token-sampler.h)
  std::string error_code;
  std::string error_message;
};

struct CancelAck {
  uint64_t ack = 0;
  bool found = false;
};

// Everything one loop step produced, handed to JS in one call: tokens, then ends, then acks.
struct StepOutput {
  std::vector<TokenEvent> tokens;
  std::vector<EndEvent> ends;
  std::vector<CancelAck> acks;
  bool empty() const { return tokens.empty() && ends.empty() && acks.empty(); }
};

}  // namespace orch
