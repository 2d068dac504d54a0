// Picks each token of a sequence (the sampling chain first, the grammar only when it rejects that
// token) and, when asked, the token's log-probabilities.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "llama.h"

namespace orch {

struct SamplerDeleter {
  void operator()(llama_sampler * sampler) const { llama_sampler_free(sampler); }
};
using SamplerPtr = std::unique_ptr<llama_sampler, SamplerDeleter>;

// What llama.cpp common's sampler does: checking the grammar over the whole vocabulary costs a
// full pass over every token's text each step, checking the one token the chain chose costs
// almost nothing. Only when the grammar rejects that token is the step sampled again, grammar
// first. The chain's randomness is drawn once more on that path, so a seed still reproduces.
class TokenSampler {
 public:
  TokenSampler(SamplerPtr chain, SamplerPtr grammar) : chain_(std::move(chain)), grammar_(std::move(grammar)) {}

  // Picks the token for one position's logits (n_vocab of them) and accepts it into the chain
  // (penalty history) and the grammar.
  llama_token sample(const float * logits, int32_t n_vocab);

  // Steps on which the grammar rejected the chain's choice and the step was sampled again.
  uint32_t resamples() const { return resamples_; }

 private:
  llama_token_data_array fill(const float * logits, int32_t n_vocab);
  bool grammar_allows(llama_token token);

  SamplerPtr chain_;
  SamplerPtr grammar_;  // null: free output
  std::vector<llama_token_data> cur_;
  uint32_t resamples_ = 0;
};

struct TokenAlternative {
  llama_token token = 0;
  float logprob = 0;
  std::string piece;  // the token's bytes (may be part of a UTF-8 character)
};

struct TokenLogprobs {
  float logprob = 0;
  std::string piece;
  std::vector<TokenAlternative> top;  // most likely first; ties by lower token id
};

// The log-probability of `token` and of the `n_top` most likely tokens under the softmax of the raw
// logits, before any sampling filter (penalties, bias, grammar, temperature, top-k/p): the model's
// own distribution, which is what OpenAI's logprobs describe and what llama-server reports unless
// asked for post_sampling_probs. Greedy sampling therefore always picks the top alternative.
TokenLogprobs token_logprobs(const float * logits, const llama_vocab * vocab, llama_token token, int32_t n_top);

// The token's text as its bytes, control tokens rendered as nothing.
std::string token_piece(const llama_vocab * vocab, llama_token token);

}  // namespace orch
