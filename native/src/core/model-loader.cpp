// Model and context creation with typed errors; see model-loader.h.
#include "core/model-loader.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

#include "core/device-select.h"
#include "core/embed.h"
#include "core/errors.h"
#include "core/llama-log.h"

namespace orch {
namespace {

uint64_t file_size_or_throw(const std::string & path) {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    throw EngineError(ErrorCode::ModelNotFound,
                      "model file not found: " + path + " (check the path; `npm run models` generates test models)");
  }
  return static_cast<uint64_t>(st.st_size);
}

void check_gguf_magic(const std::string & path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  if (!in.read(magic, 4) || std::memcmp(magic, "GGUF", 4) != 0) {
    throw EngineError(ErrorCode::ModelInvalid, "not a GGUF file: " + path + " (it does not start with the GGUF magic)");
  }
}

void check_params(const LoadParams & p) {
  auto invalid = [](const std::string & message) { throw EngineError(ErrorCode::InvalidParams, message); };
  if (p.n_seq < 1 || p.n_seq > 256) invalid("slots must be between 1 and 256");
  if (p.n_batch < 1) invalid("batchSize must be at least 1");
  if (p.n_ubatch < 1 || p.n_ubatch > p.n_batch) invalid("ubatchSize must be between 1 and batchSize");
  if (p.prefill_chunk > p.n_batch) invalid("prefillChunk must be at most batchSize");
  if (p.n_threads < 0 || p.n_threads_batch < 0) invalid("threads must be positive");
  if (p.max_pending < 1) invalid("maxPending must be at least 1");
}

std::string meta_string(const llama_model * model, const char * key) {
  char buf[512];
  const int32_t n = llama_model_meta_val_str(model, key, buf, sizeof(buf));
  return n < 0 ? std::string() : std::string(buf, std::min<size_t>(static_cast<size_t>(n), sizeof(buf) - 1));
}

// ggml and llama.cpp report a failed buffer allocation (cudaMalloc, host malloc) only in their log.
bool out_of_memory(const LogCapture & capture) {
  return capture.contains("unable to allocate") || capture.contains("failed to allocate") ||
         capture.contains("out of memory");
}

[[noreturn]] void throw_out_of_memory(const std::string & what, const LogCapture & capture) {
  const bool gpu = capture.gpu_allocation_failed();
  throw EngineError(gpu ? ErrorCode::PoolInsufficientVram : ErrorCode::PoolInsufficientMemory,
                    std::string("out of ") + (gpu ? "GPU" : "host") + " memory " + what + ": " + capture.summary() +
                        "; lower gpu_layers, context_size or slots, use kv_type q8_0, or free the device");
}

ModelPtr load_weights(const LoadParams & p) {
  llama_model_params mp = llama_model_default_params();
  mp.n_gpu_layers = p.n_gpu_layers;
  mp.main_gpu = p.main_gpu;
  mp.split_mode = p.split_mode;
  std::vector<ggml_backend_dev_t> devices;
  if (p.has_devices) {
    devices = select_devices(p.devices);
    mp.devices = devices.data();
  }
  std::vector<float> split(llama_max_devices(), 0.0f);
  if (!p.tensor_split.empty()) {
    std::copy_n(p.tensor_split.begin(), std::min(split.size(), p.tensor_split.size()), split.begin());
    mp.tensor_split = split.data();
  }
  LogCapture capture;
  ModelPtr model(llama_model_load_from_file(p.model_path.c_str(), mp));
  if (!model) {
    if (out_of_memory(capture)) throw_out_of_memory("loading the weights of " + p.model_path, capture);
    if (capture.contains("unknown model architecture")) {
      throw EngineError(ErrorCode::ModelUnsupported, "unsupported model architecture in " + p.model_path + ": " + capture.summary());
    }
    throw EngineError(ErrorCode::ModelInvalid, "cannot load " + p.model_path + " (truncated or corrupted GGUF?): " + capture.summary());
  }
  return model;
}

ModelInfo describe(const llama_model * model, const LoadParams & p, uint64_t file_size) {
  ModelInfo info;
  info.architecture = meta_string(model, "general.architecture");
  info.name = meta_string(model, "general.name");
  char desc[256];
  llama_model_desc(model, desc, sizeof(desc));
  info.description = desc;
  info.parameter_count = llama_model_n_params(model);
  info.file_size_bytes = file_size;
  info.trained_context = llama_model_n_ctx_train(model);
  info.vocab_size = llama_vocab_n_tokens(llama_model_get_vocab(model));
  info.file_type = llama_ftype_name(llama_model_ftype(model));
  const char * tmpl = llama_model_chat_template(model, nullptr);
  info.chat_template = tmpl != nullptr ? tmpl : "";
  info.n_seq = p.n_seq;
  info.embedding_length = static_cast<uint32_t>(std::max(llama_model_n_embd_out(model), 0));
  return info;
}

double kv_bytes_per_token(const llama_model * model, ggml_type type_kv) {
  const int32_t n_head = std::max(llama_model_n_head(model), 1);
  const double head_dim = static_cast<double>(llama_model_n_embd(model)) / n_head;
  const double per_value = static_cast<double>(ggml_type_size(type_kv)) / ggml_blck_size(type_kv);
  return 2.0 * llama_model_n_layer(model) * llama_model_n_head_kv(model) * head_dim * per_value;
}

// `auto` takes the pooling the model's metadata names. Decoder models carry none (nor do our
// generated test models); they are embedded by their last token, as decoder embedding models
// (Qwen3-Embedding, e5-mistral) are.
enum llama_pooling_type resolve_pooling(const llama_model * model, enum llama_pooling_type asked) {
  if (asked != LLAMA_POOLING_TYPE_UNSPECIFIED) return asked;
  const std::string value = meta_string(model, (meta_string(model, "general.architecture") + ".pooling_type").c_str());
  const int type = value.empty() ? -1 : std::atoi(value.c_str());
  if (type == LLAMA_POOLING_TYPE_MEAN || type == LLAMA_POOLING_TYPE_CLS || type == LLAMA_POOLING_TYPE_LAST) {
    return static_cast<enum llama_pooling_type>(type);
  }
  return LLAMA_POOLING_TYPE_LAST;
}

// Pooling reads a whole sequence from one ubatch, so an embeddings context has n_ubatch = n_batch,
// and one KV stream so that sequences of different lengths share a ubatch (split_simple).
void set_embeddings(llama_context_params & cp, const llama_model * model, const LoadParams & p, ModelInfo & info) {
  if (!p.embeddings) return;
  const enum llama_pooling_type pooling = resolve_pooling(model, p.pooling);
  cp.embeddings = true;
  cp.pooling_type = pooling;
  cp.kv_unified = true;
  cp.n_ubatch = cp.n_batch;
  info.pooling = pooling_name(pooling);
}

}  // namespace

LoadedModel load_model(const LoadParams & p) {
  check_params(p);
  const uint64_t file_size = file_size_or_throw(p.model_path);
  check_gguf_magic(p.model_path);

  LoadedModel loaded;
  loaded.model = load_weights(p);
  loaded.info = describe(loaded.model.get(), p, file_size);

  const auto trained = static_cast<uint32_t>(std::max(loaded.info.trained_context, 1));
  const uint32_t ctx_per_seq = p.ctx_per_seq == 0 ? std::min<uint32_t>(4096, trained) : p.ctx_per_seq;
  if (ctx_per_seq > trained) {
    throw EngineError(ErrorCode::ContextTooLarge,
                      "contextSize " + std::to_string(ctx_per_seq) + " exceeds the model's trained context of " +
                          std::to_string(trained) + " tokens; use at most " + std::to_string(trained));
  }
  loaded.info.ctx_per_seq = ctx_per_seq;
  loaded.info.kv_bytes_per_token = kv_bytes_per_token(loaded.model.get(), p.type_kv);

  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = ctx_per_seq * p.n_seq;
  cp.n_batch = p.n_batch;
  cp.n_ubatch = p.n_ubatch;
  cp.n_seq_max = p.n_seq;
  cp.n_threads = p.n_threads;
  cp.n_threads_batch = p.n_threads_batch;
  cp.type_k = p.type_kv;
  cp.type_v = p.type_kv;
  cp.flash_attn_type = p.flash_attn;
  cp.kv_unified = false;  // one KV stream per slot, as llama-batched-bench runs by default
  cp.no_perf = true;
  set_embeddings(cp, loaded.model.get(), p, loaded.info);

  LogCapture capture;
  loaded.ctx.reset(llama_init_from_model(loaded.model.get(), cp));
  if (!loaded.ctx) {
    if (out_of_memory(capture)) throw_out_of_memory("creating the context of " + p.model_path, capture);
    throw EngineError(ErrorCode::ModelLoadFailed, "cannot create a context for " + p.model_path + ": " + capture.summary());
  }
  return loaded;
}

}  // namespace orch
