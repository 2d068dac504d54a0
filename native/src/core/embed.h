// Embedding requests as the engine loop sees them, and the pooled vectors it hands back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "llama.h"

namespace orch {

// Built and validated on the JS thread (EngineCore::prepare_embed), then owned by the loop.
struct EmbedRequest {
  uint64_t id = 0;
  std::vector<std::vector<llama_token>> inputs;
};

// One vector per input, in input order, L2-normalised as llama-server's /v1/embeddings returns them.
struct EmbedResult {
  uint64_t id = 0;
  uint32_t dimensions = 0;
  std::vector<float> values;  // inputs.size() * dimensions
  int32_t tokens = 0;         // all inputs' tokens, for usage
  double ms = 0;
  std::string error_code;     // empty on success
  std::string error_message;
};

// The pooling names a pool config uses; UNSPECIFIED is `auto`.
const char * pooling_name(enum llama_pooling_type type);

}  // namespace orch
