// TokenSampler on hand-made logits over the tiny model's vocabulary: the grammar is consulted for
// the chain's token alone and the step resampled only when it rejects it; log-probabilities.
#include <cmath>

#include "check.h"
#include "core/token-sampler.h"
#include "json-schema-to-grammar.h"

extern std::string g_model_path;

namespace {

struct Vocab {
  llama_model * model;
  const llama_vocab * vocab;
  int32_t n;
};

Vocab load_vocab() {
  auto params = llama_model_default_params();
  params.vocab_only = true;
  llama_model * model = llama_model_load_from_file(g_model_path.c_str(), params);
  const llama_vocab * vocab = llama_model_get_vocab(model);
  return {model, vocab, llama_vocab_n_tokens(vocab)};
}

llama_token first_token(const llama_vocab * vocab, const std::string & text) {
  llama_token out[16];
  const int32_t n = llama_tokenize(vocab, text.data(), static_cast<int32_t>(text.size()), out, 16, false, false);
  return n > 0 ? out[0] : LLAMA_TOKEN_NULL;
}

orch::SamplerPtr greedy() {
  orch::SamplerPtr chain(llama_sampler_chain_init(llama_sampler_chain_default_params()));
  llama_sampler_chain_add(chain.get(), llama_sampler_init_greedy());
  return chain;
}

// A grammar that takes exactly the text of `token`, so any token starting elsewhere is rejected.
orch::SamplerPtr only(const Vocab & v, llama_token token) {
  const std::string grammar = "root ::= " + gbnf_format_literal(orch::token_piece(v.vocab, token));
  return orch::SamplerPtr(llama_sampler_init_grammar(v.vocab, grammar.c_str(), "root"));
}

}  // namespace

TEST_CASE("the grammar rejects the chain's token: the step is resampled with the grammar") {
  const Vocab v = load_vocab();
  const llama_token wanted = first_token(v.vocab, "yes");
  const llama_token other = first_token(v.vocab, "no");
  CHECK(wanted != other);
  std::vector<float> logits(static_cast<size_t>(v.n), 0.0f);
  logits[static_cast<size_t>(other)] = 10.0f;  // the chain alone would pick this
  logits[static_cast<size_t>(wanted)] = 5.0f;
  orch::TokenSampler sampler(greedy(), only(v, wanted));
  CHECK_EQ(sampler.sample(logits.data(), v.n), wanted);
  CHECK_EQ(sampler.resamples(), 1u);
  llama_model_free(v.model);
}

TEST_CASE("the grammar takes the chain's token: no resampling, the same token") {
  const Vocab v = load_vocab();
  const llama_token wanted = first_token(v.vocab, "yes");
  std::vector<float> logits(static_cast<size_t>(v.n), 0.0f);
  logits[static_cast<size_t>(wanted)] = 10.0f;
  orch::TokenSampler sampler(greedy(), only(v, wanted));
  CHECK_EQ(sampler.sample(logits.data(), v.n), wanted);
  CHECK_EQ(sampler.resamples(), 0u);
  llama_model_free(v.model);
}

TEST_CASE("log-probabilities are the softmax of the raw logits, top alternatives first") {
  const Vocab v = load_vocab();
  const llama_token high = first_token(v.vocab, "yes");
  std::vector<float> logits(static_cast<size_t>(v.n), 0.0f);
  logits[static_cast<size_t>(high)] = 2.0f;
  const auto lp = orch::token_logprobs(logits.data(), v.vocab, high, 3);
  const double expected = 2.0 - std::log(std::exp(2.0) + (v.n - 1));
  CHECK(std::fabs(lp.logprob - expected) < 1e-4);
  CHECK_EQ(lp.top.size(), 3u);
  CHECK_EQ(lp.top[0].token, high);
  CHECK(lp.top[0].logprob == lp.logprob);
  CHECK(lp.top[0].piece == lp.piece);
  // Equal logits rank by lower token id.
  CHECK(lp.top[1].token < lp.top[2].token);
  CHECK(lp.top[1].logprob <= lp.top[0].logprob);
  llama_model_free(v.model);
}
