// The engine's caller-thread side: tokenizer, chat template, and validating requests into samplers.
#include <cmath>

#include "core/engine-core.h"
#include "core/errors.h"
#include "core/llama-log.h"

namespace orch {
namespace {

[[noreturn]] void invalid(const std::string & message) { throw EngineError(ErrorCode::InvalidParams, message); }

void check_sampling(const SamplingParams & s) {
  if (!std::isfinite(s.temperature) || s.temperature < 0) invalid("temperature must be a number >= 0 (0 is greedy)");
  if (s.top_k < 0) invalid("topK must be >= 0 (0 disables it)");
  if (!(s.top_p > 0 && s.top_p <= 1)) invalid("topP must be in (0, 1]");
  if (!(s.min_p >= 0 && s.min_p <= 1)) invalid("minP must be in [0, 1]");
  if (!(s.repeat_penalty > 0) || !std::isfinite(s.repeat_penalty)) invalid("repeatPenalty must be > 0 (1 disables it)");
  if (s.repeat_last_n < -1) invalid("repeatLastN must be >= -1 (-1: whole context)");
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

std::string EngineCore::apply_chat_template(const ChatMessages & messages, bool add_assistant) const {
  const std::string & tmpl = info().chat_template;
  if (tmpl.empty()) invalid("this model has no chat template; send a plain prompt instead");
  std::vector<llama_chat_message> chat;
  size_t chars = 0;
  for (const auto & [role, content] : messages) {
    chat.push_back({role.c_str(), content.c_str()});
    chars += role.size() + content.size();
  }
  std::string out(chars * 2 + 256, '\0');
  int32_t n = llama_chat_apply_template(tmpl.c_str(), chat.data(), chat.size(), add_assistant, out.data(),
                                        static_cast<int32_t>(out.size()));
  if (n > static_cast<int32_t>(out.size())) {
    out.resize(static_cast<size_t>(n));
    n = llama_chat_apply_template(tmpl.c_str(), chat.data(), chat.size(), add_assistant, out.data(),
                                  static_cast<int32_t>(out.size()));
  }
  if (n < 0) invalid("the model's chat template is not one llama.cpp supports; send a plain prompt instead");
  out.resize(static_cast<size_t>(n));
  return out;
}

std::unique_ptr<SequenceRequest> EngineCore::prepare(SubmitParams params) const {
  if (params.prompt.empty()) invalid("prompt is empty: give text or at least one token");
  if (params.max_tokens < 1) invalid("maxTokens must be at least 1");
  const int32_t n_vocab = llama_vocab_n_tokens(vocab_);
  for (const auto t : params.prompt) {
    if (t < 0 || t >= n_vocab) invalid("prompt token " + std::to_string(t) + " is outside the vocabulary [0, " + std::to_string(n_vocab) + ")");
  }
  check_sampling(params.sampling);
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

SamplerPtr EngineCore::make_sampler(const SubmitParams & params) const {
  auto chain_params = llama_sampler_chain_default_params();
  chain_params.no_perf = true;
  SamplerPtr chain(llama_sampler_chain_init(chain_params));
  if (params.ignore_eos && !eog_tokens_.empty()) {
    std::vector<llama_logit_bias> bias;
    for (const auto t : eog_tokens_) bias.push_back({t, -INFINITY});
    llama_sampler_chain_add(chain.get(), llama_sampler_init_logit_bias(llama_vocab_n_tokens(vocab_),
                                                                       static_cast<int32_t>(bias.size()), bias.data()));
  }
  const auto & s = params.sampling;
  if (s.repeat_penalty != 1.0f) {
    llama_sampler_chain_add(chain.get(), llama_sampler_init_penalties(llama_vocab_n_tokens(vocab_), s.repeat_last_n, s.repeat_penalty, 0.0f, 0.0f));
  }
  if (!params.grammar.empty()) {
    LogCapture capture;
    llama_sampler * grammar = llama_sampler_init_grammar(vocab_, params.grammar.c_str(), "root");
    if (grammar == nullptr) {
      throw EngineError(ErrorCode::GrammarInvalid, "the GBNF grammar does not parse (it needs a `root` rule): " + capture.summary());
    }
    llama_sampler_chain_add(chain.get(), grammar);
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
