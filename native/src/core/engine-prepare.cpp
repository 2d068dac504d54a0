// The engine's caller-thread side: tokenizer, and validating requests into samplers.
#include <cctype>
#include <cmath>

#include "core/engine-core.h"
#include "core/errors.h"
#include "core/llama-log.h"
#include "core/sampling-bounds.h"
#include "json-schema-to-grammar.h"

namespace orch {
namespace {

[[noreturn]] void invalid(const std::string & message) { throw EngineError(ErrorCode::InvalidParams, message); }

void check(const sampling_bounds::Bound & bound, double value) {
  if (!std::isfinite(value) || !bound.admits(value)) invalid(std::string(bound.message) + "; got " + std::to_string(value));
}

// The bounds come from the one table (src/common/sampling-bounds.ts) through a generated header.
void check_sampling(const SamplingParams & s) {
  namespace b = sampling_bounds;
  check(b::temperature, s.temperature);
  check(b::top_k, s.top_k);
  check(b::top_p, s.top_p);
  check(b::min_p, s.min_p);
  check(b::repeat_penalty, s.repeat_penalty);
  check(b::repeat_last_n, s.repeat_last_n);
  check(b::presence_penalty, s.presence_penalty);
  check(b::frequency_penalty, s.frequency_penalty);
  if (s.n_probs != -1) check(b::logprobs, s.n_probs);  // -1: absent, no log-probabilities
  for (const auto & entry : s.logit_bias) check(b::logit_bias, entry.second);
}

// response_format's schema as GBNF, by llama.cpp common (the converter the chat formats use).
std::string schema_grammar(const std::string & schema) {
  try {
    return json_schema_to_grammar(common_json::parse(schema));
  } catch (const std::exception & e) {
    throw EngineError(ErrorCode::GrammarInvalid, std::string("the JSON schema cannot be turned into a grammar: ") + e.what());
  }
}

}  // namespace

std::vector<llama_token> EngineCore::tokenize(const std::string & text, bool add_special, bool parse_special) const {
  std::vector<llama_token> tokens(text.size() + 2);
  int32_t n = llama_tokenize(vocab_, text.data(), static_cast<int32_t>(text.size()), tokens.data(),
                             static_cast<int32_t>(tokens.size()), add_special, parse_special);
  if (n < 0) {
    tokens.resize(static_cast<size_t>(-n));
    n = llama_tokenize(vocab_, text.data(), static_cast<int32_t>(text.size()), tokens.data(),
                       static_cast<int32_t>(tokens.size()), add_special, parse_special);
  }
  if (n < 0) invalid("text is too long to tokenize");
  tokens.resize(static_cast<size_t>(n));
  return tokens;
}

std::string EngineCore::detokenize(const std::vector<llama_token> & tokens) const {
  const int32_t n_vocab = llama_vocab_n_tokens(vocab_);
  for (const auto t : tokens) {
    if (t < 0 || t >= n_vocab) invalid("token id " + std::to_string(t) + " is outside the vocabulary [0, " + std::to_string(n_vocab) + ")");
  }
  std::string text(tokens.size() * 8 + 16, '\0');
  int32_t n = llama_detokenize(vocab_, tokens.data(), static_cast<int32_t>(tokens.size()), text.data(),
                               static_cast<int32_t>(text.size()), false, false);
  if (n < 0) {
    text.resize(static_cast<size_t>(-n));
    n = llama_detokenize(vocab_, tokens.data(), static_cast<int32_t>(tokens.size()), text.data(),
                         static_cast<int32_t>(text.size()), false, false);
  }
  text.resize(static_cast<size_t>(std::max(n, 0)));
  return text;
}

std::unique_ptr<SequenceRequest> EngineCore::prepare(SubmitParams params) const {
  if (!info().pooling.empty()) invalid("this engine was loaded for embeddings and does not generate; send inputs to embed");
  if (params.prompt.empty()) invalid("prompt is empty: give text or at least one token");
  if (params.max_tokens < 1) invalid("maxTokens must be at least 1");
  const int32_t n_vocab = llama_vocab_n_tokens(vocab_);
  for (const auto t : params.prompt) {
    if (t < 0 || t >= n_vocab) invalid("prompt token " + std::to_string(t) + " is outside the vocabulary [0, " + std::to_string(n_vocab) + ")");
  }
  check_sampling(params.sampling);
  for (const auto & entry : params.sampling.logit_bias) {
    const llama_token token = entry.first;
    if (token < 0 || token >= n_vocab) invalid("logit bias token " + std::to_string(token) + " is outside the vocabulary [0, " + std::to_string(n_vocab) + ")");
  }
  if (!params.json_schema.empty()) {
    if (!params.grammar.empty()) invalid("give a grammar or a JSON schema, not both");
    params.grammar = schema_grammar(params.json_schema);
  }
  if (params.grammar_lazy && params.grammar_triggers.empty()) invalid("a lazy grammar needs at least one trigger");
  const uint64_t needed = params.prompt.size() + static_cast<uint64_t>(params.max_tokens);
  if (needed > info().ctx_per_seq) {
    throw EngineError(ErrorCode::PromptTooLong,
                      "prompt (" + std::to_string(params.prompt.size()) + " tokens) plus maxTokens (" +
                          std::to_string(params.max_tokens) + ") exceeds the context of " +
                          std::to_string(info().ctx_per_seq) + " tokens per sequence; shorten the prompt or lower maxTokens");
  }
  auto request = std::make_unique<SequenceRequest>();
  request->sampler = make_sampler(params);
  request->id = next_id_++;
  request->params = std::move(params);
  request->submitted_us = llama_time_us();
  return request;
}

namespace {

std::string piece_of(const llama_vocab * vocab, llama_token token) {
  char buf[256];
  const int32_t n = llama_token_to_piece(vocab, token, buf, sizeof(buf), 0, true);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// The token whose piece is exactly `piece`, or LLAMA_TOKEN_NULL.
llama_token token_of(const llama_vocab * vocab, const std::string & piece) {
  for (llama_token t = 0; t < llama_vocab_n_tokens(vocab); ++t) {
    if (piece_of(vocab, t) == piece) return t;
  }
  return LLAMA_TOKEN_NULL;
}

}  // namespace

// What common's sampler does for format grammars: advance past the prompt's own tail. A
// SentencePiece vocab tokenizes a leading "<" as " <"; the grammar gets the token without the space.
void EngineCore::prefill_grammar(llama_sampler * grammar, const std::string & prefill) const {
  auto tokens = tokenize(prefill, false, true);
  if (!tokens.empty()) {
    const std::string first = piece_of(vocab_, tokens[0]);
    if (!first.empty() && first[0] == ' ' && prefill[0] != ' ') {
      const llama_token bare = first.size() > 1 ? token_of(vocab_, first.substr(1)) : LLAMA_TOKEN_NULL;
      if (bare != LLAMA_TOKEN_NULL) tokens[0] = bare;
      else tokens.erase(tokens.begin());
    }
  }
  try {
    for (const auto t : tokens) llama_sampler_accept(grammar, t);
  } catch (const std::exception & e) {
    llama_sampler_free(grammar);
    throw EngineError(ErrorCode::GrammarInvalid, std::string("the grammar does not start with the chat template's generation prompt: ") + e.what());
  }
}

SamplerPtr EngineCore::make_grammar(const SubmitParams & params) const {
  if (params.grammar.empty()) return nullptr;
  LogCapture capture;
  std::vector<const char *> triggers;
  for (const auto & t : params.grammar_triggers) triggers.push_back(t.c_str());
  llama_sampler * grammar =
      params.grammar_lazy ? llama_sampler_init_grammar_lazy_patterns(vocab_, params.grammar.c_str(), "root", triggers.data(),
                                                                     triggers.size(), nullptr, 0)
                          : llama_sampler_init_grammar(vocab_, params.grammar.c_str(), "root");
  if (grammar == nullptr) {
    throw EngineError(ErrorCode::GrammarInvalid, "the GBNF grammar does not parse (it needs a `root` rule): " + capture.summary());
  }
  prefill_grammar(grammar, params.grammar_prefill);
  return SamplerPtr(grammar);
}

std::unique_ptr<TokenSampler> EngineCore::make_sampler(const SubmitParams & params) const {
  SamplerPtr grammar = make_grammar(params);
  return std::make_unique<TokenSampler>(make_chain(params), std::move(grammar));
}

// Bias and penalties, then greedy or the filters and a seeded draw; the grammar stays apart.
SamplerPtr EngineCore::make_chain(const SubmitParams & params) const {
  auto chain_params = llama_sampler_chain_default_params();
  chain_params.no_perf = true;
  SamplerPtr chain(llama_sampler_chain_init(chain_params));
  const auto & s = params.sampling;
  std::vector<llama_logit_bias> bias;
  for (const auto & [token, value] : s.logit_bias) bias.push_back({token, value <= -100 ? -INFINITY : value});
  if (params.ignore_eos) {
    for (const auto t : eog_tokens_) bias.push_back({t, -INFINITY});
  }
  if (!bias.empty()) {
    llama_sampler_chain_add(chain.get(), llama_sampler_init_logit_bias(llama_vocab_n_tokens(vocab_),
                                                                       static_cast<int32_t>(bias.size()), bias.data()));
  }
  if (s.repeat_penalty != 1.0f || s.frequency_penalty != 0.0f || s.presence_penalty != 0.0f) {
    llama_sampler_chain_add(chain.get(), llama_sampler_init_penalties(llama_vocab_n_tokens(vocab_), s.repeat_last_n, s.repeat_penalty, s.frequency_penalty, s.presence_penalty));
  }
  if (s.temperature <= 0) {
    llama_sampler_chain_add(chain.get(), llama_sampler_init_greedy());
    return chain;
  }
  if (s.top_k > 0) llama_sampler_chain_add(chain.get(), llama_sampler_init_top_k(s.top_k));
  llama_sampler_chain_add(chain.get(), llama_sampler_init_top_p(s.top_p, 1));
  llama_sampler_chain_add(chain.get(), llama_sampler_init_min_p(s.min_p, 1));
  llama_sampler_chain_add(chain.get(), llama_sampler_init_temp(s.temperature));
  llama_sampler_chain_add(chain.get(), llama_sampler_init_dist(s.has_seed ? s.seed : LLAMA_DEFAULT_SEED));
  return chain;
}

}  // namespace orch
