// The engine's embedding path: inputs validated on the caller's thread, evaluated on the loop thread
// as one sequence each (as many per llama_decode as fit), pooled by llama.cpp and L2-normalised.
#include <algorithm>

#include "common.h"
#include "core/engine-core.h"
#include "core/errors.h"
#include "core/llama-log.h"

namespace orch {

const char * pooling_name(enum llama_pooling_type type) {
  switch (type) {
    case LLAMA_POOLING_TYPE_MEAN: return "mean";
    case LLAMA_POOLING_TYPE_CLS: return "cls";
    case LLAMA_POOLING_TYPE_LAST: return "last";
    case LLAMA_POOLING_TYPE_RANK: return "rank";
    case LLAMA_POOLING_TYPE_NONE: return "none";
    case LLAMA_POOLING_TYPE_UNSPECIFIED: return "auto";
  }
  return "auto";
}

namespace {

[[noreturn]] void invalid(const std::string & message) { throw EngineError(ErrorCode::InvalidParams, message); }

// Inputs share one decode call up to this many tokens: a pooled sequence must sit in one ubatch
// (llama.cpp pools per ubatch), and load_model sets n_ubatch = n_batch for embeddings contexts.
uint32_t per_input_limit(const llama_context * ctx, const ModelInfo & info) {
  return std::min<uint32_t>(info.ctx_per_seq, llama_n_ubatch(ctx));
}

}  // namespace

std::unique_ptr<EmbedRequest> EngineCore::prepare_embed(std::vector<std::vector<llama_token>> inputs) const {
  if (info().pooling.empty()) {
    invalid("this engine was loaded for generation; load it with embeddings: true to embed");
  }
  if (inputs.empty()) invalid("embed needs at least one input");
  const int32_t n_vocab = llama_vocab_n_tokens(vocab_);
  const uint32_t limit = per_input_limit(loaded_.ctx.get(), info());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto & tokens = inputs[i];
    const std::string at = "input " + std::to_string(i);
    if (tokens.empty()) invalid(at + " is empty: give text or at least one token");
    for (const auto t : tokens) {
      if (t < 0 || t >= n_vocab) invalid(at + ": token " + std::to_string(t) + " is outside the vocabulary [0, " + std::to_string(n_vocab) + ")");
    }
    if (tokens.size() > limit) {
      throw EngineError(ErrorCode::ContextTooLarge,
                        at + " has " + std::to_string(tokens.size()) + " tokens, more than the " + std::to_string(limit) +
                            " tokens this pool takes per input (the smaller of its context_size and batch_size); shorten or split it");
    }
  }
  auto request = std::make_unique<EmbedRequest>();
  request->id = next_id_++;
  request->inputs = std::move(inputs);
  return request;
}

uint64_t EngineCore::embed(std::unique_ptr<EmbedRequest> request) {
  if (stopping_) throw EngineError(ErrorCode::EngineDisposed, "the engine was disposed; load a new one");
  const uint64_t id = request->id;
  Command command{Command::Kind::Embed, nullptr, 0, 0};
  command.embed = std::move(request);
  if (!commands_.push(std::move(command))) {
    throw EngineError(ErrorCode::EngineBusy, "the engine's queue of waiting requests is full; retry when some finish");
  }
  return id;
}

// Decodes inputs [first, last) as sequences 0.. of one batch and appends their pooled vectors.
bool EngineCore::embed_batch(const EmbedRequest & request, size_t first, size_t last, EmbedResult & result) {
  llama_context * ctx = loaded_.ctx.get();
  llama_memory_clear(mem_, true);  // an embeddings engine keeps no KV between calls
  batch_.n_tokens = 0;
  for (size_t k = first; k < last; ++k) {
    const auto & tokens = request.inputs[k];
    for (size_t j = 0; j < tokens.size(); ++j) {
      const int32_t i = batch_.n_tokens++;
      batch_.token[i] = tokens[j];
      batch_.pos[i] = static_cast<llama_pos>(j);
      batch_.n_seq_id[i] = 1;
      batch_.seq_id[i][0] = static_cast<llama_seq_id>(k - first);
      batch_.logits[i] = true;  // pooling reads every token's output
    }
  }
  LogCapture capture;  // an allocation failure names its device only in the log
  const int rc = llama_decode(ctx, batch_);
  if (rc != 0) {
    const bool oom = rc == -2;  // a compute buffer could not be allocated
    const ErrorCode oom_code =
        capture.gpu_allocation_failed() ? ErrorCode::PoolInsufficientVram : ErrorCode::PoolInsufficientMemory;
    result.error_code = error_code_name(oom ? oom_code : ErrorCode::Internal);
    result.error_message = oom ? "out of memory while embedding: send fewer or shorter inputs, or lower the pool's batch_size"
                               : "llama_decode failed with status " + std::to_string(rc) + " while embedding; retry";
    return false;
  }
  for (size_t k = first; k < last; ++k) {
    const float * pooled = llama_get_embeddings_seq(ctx, static_cast<llama_seq_id>(k - first));
    if (pooled == nullptr) {
      result.error_code = "INTERNAL";
      result.error_message = "llama.cpp returned no pooled embedding; check the pool's pooling";
      return false;
    }
    const size_t at = result.values.size();
    result.values.resize(at + result.dimensions);
    common_embd_normalize(pooled, result.values.data() + at, static_cast<int>(result.dimensions), 2);
  }
  return true;
}

EmbedResult EngineCore::run_embed(const EmbedRequest & request) {
  const int64_t t0 = llama_time_us();
  EmbedResult result;
  result.id = request.id;
  result.dimensions = info().embedding_length;
  const uint32_t budget = llama_n_ubatch(loaded_.ctx.get());
  const size_t max_seqs = slots_.size();
  size_t first = 0;
  while (first < request.inputs.size()) {
    size_t last = first;
    uint32_t tokens = 0;
    while (last < request.inputs.size() && last - first < max_seqs &&
           tokens + request.inputs[last].size() <= budget) {
      tokens += static_cast<uint32_t>(request.inputs[last++].size());
    }
    result.tokens += static_cast<int32_t>(tokens);
    if (!embed_batch(request, first, last, result)) {
      result.values.clear();
      break;
    }
    first = last;
  }
  llama_memory_clear(mem_, true);
  result.ms = static_cast<double>(llama_time_us() - t0) / 1000.0;
  return result;
}

}  // namespace orch
