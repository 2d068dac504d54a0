// Loads a GGUF model and creates its context, turning every failure into a typed EngineError.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/params.h"
#include "llama.h"

namespace orch {

struct ModelInfo {
  std::string architecture;
  std::string name;
  std::string description;
  uint64_t parameter_count = 0;
  uint64_t file_size_bytes = 0;
  int32_t trained_context = 0;
  int32_t vocab_size = 0;
  std::string file_type;
  std::string chat_template;  // empty when the model has none
  uint32_t ctx_per_seq = 0;
  // K and V bytes one token takes in this context's cache (all layers).
  double kv_bytes_per_token = 0;
  uint32_t n_seq = 0;
  uint32_t embedding_length = 0;  // the model's output embedding size
  std::string pooling;            // embeddings engines: mean, cls or last; empty: a generation engine
};

struct ModelDeleter {
  void operator()(llama_model * model) const { llama_model_free(model); }
};
struct ContextDeleter {
  void operator()(llama_context * ctx) const { llama_free(ctx); }
};
using ModelPtr = std::unique_ptr<llama_model, ModelDeleter>;
using ContextPtr = std::unique_ptr<llama_context, ContextDeleter>;

struct LoadedModel {
  ModelPtr model;
  ContextPtr ctx;
  ModelInfo info;
};

// Throws EngineError: MODEL_NOT_FOUND, MODEL_INVALID, MODEL_UNSUPPORTED, CONTEXT_TOO_LARGE,
// INVALID_PARAMS, MODEL_LOAD_FAILED, POOL_DEVICE_UNAVAILABLE, POOL_INSUFFICIENT_VRAM.
LoadedModel load_model(const LoadParams & params);

}  // namespace orch
