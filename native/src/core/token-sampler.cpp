// TokenSampler and token log-probabilities; see token-sampler.h.
#include "core/token-sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace orch {

llama_token_data_array TokenSampler::fill(const float * logits, int32_t n_vocab) {
  cur_.resize(static_cast<size_t>(n_vocab));
  for (llama_token t = 0; t < n_vocab; ++t) cur_[static_cast<size_t>(t)] = llama_token_data{t, logits[t], 0.0f};
  return llama_token_data_array{cur_.data(), cur_.size(), -1, false};
}

bool TokenSampler::grammar_allows(llama_token token) {
  llama_token_data single{token, 1.0f, 0.0f};
  llama_token_data_array one{&single, 1, -1, false};
  llama_sampler_apply(grammar_.get(), &one);
  return single.logit != -INFINITY;
}

llama_token TokenSampler::sample(const float * logits, int32_t n_vocab) {
  auto cur_p = fill(logits, n_vocab);
  llama_sampler_apply(chain_.get(), &cur_p);
  llama_token token = cur_p.data[cur_p.selected].id;
  if (grammar_ && !grammar_allows(token)) {
    ++resamples_;
    cur_p = fill(logits, n_vocab);
    llama_sampler_apply(grammar_.get(), &cur_p);
    llama_sampler_apply(chain_.get(), &cur_p);
    token = cur_p.data[cur_p.selected].id;
  }
  if (grammar_) llama_sampler_accept(grammar_.get(), token);
  llama_sampler_accept(chain_.get(), token);
  return token;
}

std::string token_piece(const llama_vocab * vocab, llama_token token) {
  char buf[128];
  int32_t n = llama_token_to_piece(vocab, token, buf, sizeof(buf), 0, false);
  if (n >= 0) return std::string(buf, static_cast<size_t>(n));
  std::string big(static_cast<size_t>(-n), '\0');
  n = llama_token_to_piece(vocab, token, big.data(), static_cast<int32_t>(big.size()), 0, false);
  big.resize(static_cast<size_t>(std::max(n, 0)));
  return big;
}

TokenLogprobs token_logprobs(const float * logits, const llama_vocab * vocab, llama_token token, int32_t n_top) {
  const int32_t n_vocab = llama_vocab_n_tokens(vocab);
  const float max = *std::max_element(logits, logits + n_vocab);
  double sum = 0;
  for (int32_t t = 0; t < n_vocab; ++t) sum += std::exp(static_cast<double>(logits[t] - max));
  const double log_z = static_cast<double>(max) + std::log(sum);
  auto logprob = [&](llama_token t) { return static_cast<float>(static_cast<double>(logits[t]) - log_z); };

  TokenLogprobs out{logprob(token), token_piece(vocab, token), {}};
  const auto n = static_cast<size_t>(std::clamp(n_top, 0, n_vocab));
  std::vector<llama_token> ids(static_cast<size_t>(n_vocab));
  std::iota(ids.begin(), ids.end(), 0);
  std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(n), ids.end(),
                    [logits](llama_token a, llama_token b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
  for (size_t i = 0; i < n; ++i) out.top.push_back({ids[i], logprob(ids[i]), token_piece(vocab, ids[i])});
  return out;
}

}  // namespace orch
