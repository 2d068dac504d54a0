// Plain parameter structs: what JS values are converted into before they reach the engine core.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/sampling-bounds.h"
#include "ggml.h"
#include "llama.h"

namespace orch {

// The most a sequence's tokens may be held back (LoadParams::stream_interval_ms), as in the config.
constexpr uint32_t kMaxStreamIntervalMs = 1000;

struct LoadParams {
  std::string model_path;
  uint32_t ctx_per_seq = 0;  // 0: min(4096, trained context)
  uint32_t n_seq = 4;
  uint32_t n_batch = 2048;
  uint32_t n_ubatch = 512;
  // Prompt tokens per step while others decode or wait (see batch-planner.h); 0: 64 on CPU
  // (engine-core.cpp says why), n_ubatch when layers are offloaded to a GPU.
  uint32_t prefill_chunk = 0;
  // A sequence's tokens reach JS at most once per this many ms (stream-pacer.h); 0: every step.
  uint32_t stream_interval_ms = 0;
  int32_t n_threads = 0;
  int32_t n_threads_batch = 0;
  int32_t n_gpu_layers = 0;
  int32_t main_gpu = 0;  // position in `devices` (llama.cpp's main_gpu), not a GPU ordinal
  std::vector<float> tensor_split;  // one share per entry of `devices`
  // GPU ordinals (device-select.h) the model may use; unset: llama.cpp's choice (every GPU).
  bool has_devices = false;
  std::vector<int32_t> devices;
  enum llama_split_mode split_mode = LLAMA_SPLIT_MODE_LAYER;
  enum llama_flash_attn_type flash_attn = LLAMA_FLASH_ATTN_TYPE_AUTO;
  ggml_type type_kv = GGML_TYPE_F16;
  uint32_t max_pending = 256;
  std::string chat_template;  // Jinja text replacing the model's own; empty: the model's
  // Bound of the host-RAM prompt cache (prompt-store.h); 0 turns that tier off.
  uint32_t prompt_cache_mb = 0;
  // An embeddings engine: its context pools each sequence's output and it generates nothing.
  bool embeddings = false;
  // UNSPECIFIED (`auto`): the model's `<arch>.pooling_type`, else LAST (see model-loader.cpp).
  enum llama_pooling_type pooling = LLAMA_POOLING_TYPE_UNSPECIFIED;
};

// Defaults from the one table (src/common/sampling-bounds.ts) through the generated header.
struct SamplingParams {
  float temperature = static_cast<float>(sampling_bounds::temperature.fallback);
  int32_t top_k = static_cast<int32_t>(sampling_bounds::top_k.fallback);
  float top_p = static_cast<float>(sampling_bounds::top_p.fallback);
  float min_p = static_cast<float>(sampling_bounds::min_p.fallback);
  float repeat_penalty = static_cast<float>(sampling_bounds::repeat_penalty.fallback);
  int32_t repeat_last_n = static_cast<int32_t>(sampling_bounds::repeat_last_n.fallback);
  uint32_t seed = 0;
  bool has_seed = false;
  float presence_penalty = static_cast<float>(sampling_bounds::presence_penalty.fallback);
  float frequency_penalty = static_cast<float>(sampling_bounds::frequency_penalty.fallback);
  std::vector<std::pair<llama_token, float>> logit_bias;
  // -1: no log-probabilities; else each token's and this many top alternatives' (at most 20).
  int32_t n_probs = static_cast<int32_t>(sampling_bounds::logprobs.fallback);
};

struct SubmitParams {
  std::vector<llama_token> prompt;
  int32_t max_tokens = 0;
  SamplingParams sampling;
  std::vector<std::string> stop;
  std::string grammar;
  // JSON Schema text the output must follow; turned into `grammar` (which must then be empty).
  std::string json_schema;
  bool grammar_lazy = false;
  std::vector<std::string> grammar_triggers;  // regexes; the lazy grammar starts at a match
  // Text the chat template already put in the prompt that a format's grammar begins with.
  std::string grammar_prefill;
  bool strict = false;
  std::string session_key;
  // The prefix cache's tenant (caller identity or cache_salt): cached KV is reused only within one.
  std::string cache_tenant;
  bool ignore_eos = false;
};

}  // namespace orch
