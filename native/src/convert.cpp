// JS <-> engine struct translation; see convert.h.
#include "convert.h"

#include <algorithm>
#include <cmath>

namespace orch {
namespace {

[[noreturn]] void invalid(const std::string & message) { throw EngineError(ErrorCode::InvalidParams, message); }

double number_or(const Napi::Object & o, const char * key, double fallback) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsNumber()) invalid(std::string(key) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

// An integer knob: checked before the cast, which would drop a fraction or wrap a huge value.
double whole_knob(const Napi::Object & o, const char * key, const sampling_bounds::Bound & bound) {
  const double v = number_or(o, key, bound.fallback);
  if (std::trunc(v) != v || !bound.admits(v)) invalid(std::string(bound.message) + "; got " + std::to_string(v));
  return v;
}

bool bool_or(const Napi::Object & o, const char * key, bool fallback) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsBoolean()) invalid(std::string(key) + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string string_or(const Napi::Object & o, const char * key, const std::string & fallback) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsString()) invalid(std::string(key) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

ggml_type kv_type(const std::string & name) {
  if (name == "f16") return GGML_TYPE_F16;
  if (name == "f32") return GGML_TYPE_F32;
  if (name == "q8_0") return GGML_TYPE_Q8_0;
  invalid("kvType must be one of f16, f32, q8_0");
}

enum llama_pooling_type pooling_type(const std::string & name) {
  if (name == "auto") return LLAMA_POOLING_TYPE_UNSPECIFIED;
  if (name == "mean") return LLAMA_POOLING_TYPE_MEAN;
  if (name == "cls") return LLAMA_POOLING_TYPE_CLS;
  if (name == "last") return LLAMA_POOLING_TYPE_LAST;
  invalid("pooling must be one of auto, mean, cls, last");
}

enum llama_split_mode split_mode(const std::string & name) {
  if (name == "none") return LLAMA_SPLIT_MODE_NONE;
  if (name == "layer") return LLAMA_SPLIT_MODE_LAYER;
  if (name == "row") return LLAMA_SPLIT_MODE_ROW;
  if (name == "tensor") return LLAMA_SPLIT_MODE_TENSOR;
  invalid("splitMode must be one of none, layer, row, tensor");
}

enum llama_flash_attn_type flash_attn(const std::string & name) {
  if (name == "auto") return LLAMA_FLASH_ATTN_TYPE_AUTO;
  if (name == "on") return LLAMA_FLASH_ATTN_TYPE_ENABLED;
  if (name == "off") return LLAMA_FLASH_ATTN_TYPE_DISABLED;
  invalid("flashAttn must be one of auto, on, off");
}

// `devices` absent: llama.cpp picks every GPU; an array (even empty) is the exact list.
void read_devices(const Napi::Object & o, LoadParams & p) {
  const Napi::Value value = o.Get("devices");
  if (value.IsUndefined() || value.IsNull()) return;
  if (!value.IsArray()) invalid("devices must be an array of GPU indexes");
  const auto arr = value.As<Napi::Array>();
  p.has_devices = true;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    const Napi::Value d = arr.Get(i);
    if (!d.IsNumber() || d.As<Napi::Number>().DoubleValue() < 0) invalid("devices entries must be GPU indexes >= 0");
    p.devices.push_back(d.As<Napi::Number>().Int32Value());
  }
}

SamplingParams to_sampling(const Napi::Value & value) {
  SamplingParams s;
  if (value.IsUndefined() || value.IsNull()) return s;
  if (!value.IsObject()) invalid("sampling must be an object");
  const auto o = value.As<Napi::Object>();
  s.temperature = static_cast<float>(number_or(o, "temperature", s.temperature));
  s.top_k = static_cast<int32_t>(whole_knob(o, "topK", sampling_bounds::top_k));
  s.top_p = static_cast<float>(number_or(o, "topP", s.top_p));
  s.min_p = static_cast<float>(number_or(o, "minP", s.min_p));
  s.repeat_penalty = static_cast<float>(number_or(o, "repeatPenalty", s.repeat_penalty));
  s.repeat_last_n = static_cast<int32_t>(whole_knob(o, "repeatLastN", sampling_bounds::repeat_last_n));
  const Napi::Value seed = o.Get("seed");
  if (!seed.IsUndefined() && !seed.IsNull()) {
    s.seed = static_cast<uint32_t>(number_or(o, "seed", 0));
    s.has_seed = true;
  }
  s.presence_penalty = static_cast<float>(number_or(o, "presencePenalty", s.presence_penalty));
  s.frequency_penalty = static_cast<float>(number_or(o, "frequencyPenalty", s.frequency_penalty));
  // Only here is a given logprobs told apart from an absent one (-1): a given one must be in range.
  const Napi::Value logprobs = o.Get("logprobs");
  if (!logprobs.IsUndefined() && !logprobs.IsNull()) s.n_probs = static_cast<int32_t>(whole_knob(o, "logprobs", sampling_bounds::logprobs));
  const Napi::Value bias = o.Get("logitBias");
  if (bias.IsArray()) {
    const auto arr = bias.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      if (!arr.Get(i).IsObject()) invalid("logitBias entries must be {token, bias} objects");
      const auto entry = arr.Get(i).As<Napi::Object>();
      s.logit_bias.emplace_back(static_cast<llama_token>(number_or(entry, "token", -1)),
                                static_cast<float>(number_or(entry, "bias", 0)));
    }
  }
  return s;
}

}  // namespace

LoadParams to_load_params(const Napi::Object & o) {
  LoadParams p;
  p.model_path = string_or(o, "modelPath", "");
  if (p.model_path.empty()) invalid("modelPath is required");
  p.ctx_per_seq = static_cast<uint32_t>(number_or(o, "contextSize", 0));
  p.n_seq = static_cast<uint32_t>(number_or(o, "slots", p.n_seq));
  p.n_batch = static_cast<uint32_t>(number_or(o, "batchSize", p.n_batch));
  p.n_ubatch = static_cast<uint32_t>(number_or(o, "ubatchSize", p.n_ubatch));
  p.prefill_chunk = static_cast<uint32_t>(number_or(o, "prefillChunk", 0));
  // Checked before the cast, which would drop a fraction or wrap a negative value.
  const double interval = number_or(o, "streamIntervalMs", 0);
  if (std::trunc(interval) != interval || interval < 0 || interval > kMaxStreamIntervalMs) {
    invalid("streamIntervalMs must be a whole number from 0 to " + std::to_string(kMaxStreamIntervalMs));
  }
  p.stream_interval_ms = static_cast<uint32_t>(interval);
  p.n_threads = static_cast<int32_t>(number_or(o, "threads", 0));
  p.n_threads_batch = static_cast<int32_t>(number_or(o, "threadsBatch", p.n_threads));
  p.n_gpu_layers = static_cast<int32_t>(number_or(o, "gpuLayers", 0));
  p.main_gpu = static_cast<int32_t>(number_or(o, "mainGpu", 0));
  p.type_kv = kv_type(string_or(o, "kvType", "f16"));
  p.max_pending = static_cast<uint32_t>(number_or(o, "maxPending", p.max_pending));
  p.chat_template = string_or(o, "chatTemplate", "");
  p.prompt_cache_mb = static_cast<uint32_t>(number_or(o, "promptCacheMb", 0));
  p.embeddings = bool_or(o, "embeddings", false);
  p.pooling = pooling_type(string_or(o, "pooling", "auto"));
  p.split_mode = split_mode(string_or(o, "splitMode", "layer"));
  p.flash_attn = flash_attn(string_or(o, "flashAttn", "auto"));
  read_devices(o, p);
  const Napi::Value split = o.Get("tensorSplit");
  if (split.IsArray()) {
    const auto arr = split.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); ++i) p.tensor_split.push_back(arr.Get(i).ToNumber().FloatValue());
  }
  return p;
}

std::vector<llama_token> to_tokens(const Napi::Value & value) {
  if (!value.IsArray()) invalid("tokens must be an array of token ids");
  const auto arr = value.As<Napi::Array>();
  std::vector<llama_token> tokens(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    const Napi::Value t = arr.Get(i);
    if (!t.IsNumber()) invalid("token ids must be integers");
    tokens[i] = t.As<Napi::Number>().Int32Value();
  }
  return tokens;
}

SubmitParams to_submit_params(const Napi::Object & o, const EngineCore & core) {
  SubmitParams p;
  const Napi::Value prompt = o.Get("prompt");
  if (prompt.IsString()) {
    const std::string text = prompt.As<Napi::String>().Utf8Value();
    if (!text.empty()) p.prompt = core.tokenize(text, true, true);
  } else {
    p.prompt = to_tokens(prompt);
  }
  p.max_tokens = static_cast<int32_t>(number_or(o, "maxTokens", 0));
  p.sampling = to_sampling(o.Get("sampling"));
  const Napi::Value stop = o.Get("stop");
  if (stop.IsArray()) {
    const auto arr = stop.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); ++i) p.stop.push_back(arr.Get(i).ToString().Utf8Value());
  }
  p.grammar = string_or(o, "grammar", "");
  p.json_schema = string_or(o, "jsonSchema", "");
  p.grammar_lazy = bool_or(o, "grammarLazy", false);
  p.grammar_prefill = string_or(o, "grammarPrefill", "");
  const Napi::Value triggers = o.Get("grammarTriggers");
  if (triggers.IsArray()) {
    const auto arr = triggers.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); ++i) p.grammar_triggers.push_back(arr.Get(i).ToString().Utf8Value());
  }
  p.strict = bool_or(o, "strict", false);
  p.session_key = string_or(o, "sessionKey", "");
  p.cache_tenant = string_or(o, "cacheTenant", "");
  p.ignore_eos = bool_or(o, "ignoreEos", false);
  return p;
}

Napi::Object to_js(Napi::Env env, const ChatRender & render) {
  auto o = Napi::Object::New(env);
  o.Set("prompt", render.prompt);
  o.Set("grammar", render.grammar);
  o.Set("grammarLazy", render.grammar_lazy);
  auto strings = [env](const std::vector<std::string> & values) {
    auto arr = Napi::Array::New(env, values.size());
    for (uint32_t i = 0; i < values.size(); ++i) arr.Set(i, values[i]);
    return arr;
  };
  o.Set("grammarTriggers", strings(render.grammar_triggers));
  o.Set("stops", strings(render.stops));
  o.Set("parser", render.parser);
  o.Set("grammarPrefill", render.grammar_prefill);
  return o;
}

Napi::Object to_js(Napi::Env env, const ChatParse & parse) {
  auto o = Napi::Object::New(env);
  o.Set("content", parse.content);
  o.Set("reasoningContent", parse.reasoning_content);
  auto calls = Napi::Array::New(env, parse.tool_calls.size());
  for (uint32_t i = 0; i < parse.tool_calls.size(); ++i) {
    auto call = Napi::Object::New(env);
    call.Set("id", parse.tool_calls[i].id);
    call.Set("name", parse.tool_calls[i].name);
    call.Set("arguments", parse.tool_calls[i].arguments);
    calls.Set(i, call);
  }
  o.Set("toolCalls", calls);
  return o;
}

Napi::Array to_js(Napi::Env env, const std::vector<ChatDelta> & deltas) {
  auto arr = Napi::Array::New(env, deltas.size());
  for (uint32_t i = 0; i < deltas.size(); ++i) {
    const auto & d = deltas[i];
    auto o = Napi::Object::New(env);
    o.Set("content", d.content);
    o.Set("reasoningContent", d.reasoning_content);
    o.Set("toolCallIndex", d.tool_call_index);
    o.Set("id", d.id);
    o.Set("name", d.name);
    o.Set("arguments", d.arguments);
    arr.Set(i, o);
  }
  return arr;
}

Napi::Object to_js(Napi::Env env, const ModelInfo & info) {
  auto o = Napi::Object::New(env);
  o.Set("architecture", info.architecture);
  o.Set("name", info.name);
  o.Set("description", info.description);
  o.Set("parameterCount", static_cast<double>(info.parameter_count));
  o.Set("fileSizeBytes", static_cast<double>(info.file_size_bytes));
  o.Set("trainedContext", info.trained_context);
  o.Set("vocabSize", info.vocab_size);
  o.Set("fileType", info.file_type);
  o.Set("hasChatTemplate", !info.chat_template.empty());
  o.Set("contextSize", info.ctx_per_seq);
  o.Set("slots", info.n_seq);
  o.Set("kvBytesPerToken", info.kv_bytes_per_token);
  o.Set("embeddingLength", info.embedding_length);
  o.Set("pooling", info.pooling);
  return o;
}

Napi::Object to_js(Napi::Env env, const EngineStats & s) {
  auto o = Napi::Object::New(env);
  o.Set("slotsTotal", s.slots_total);
  o.Set("slotsBusy", s.slots_busy);
  o.Set("pending", s.pending);
  o.Set("kvCellsUsed", static_cast<double>(s.kv_cells_used));
  o.Set("kvCellsTotal", static_cast<double>(s.kv_cells_total));
  o.Set("kvCellsCached", static_cast<double>(s.kv_cells_cached));
  o.Set("cacheEvictions", static_cast<double>(s.cache_evictions));
  o.Set("cacheRamBytes", static_cast<double>(s.cache_ram_bytes));
  o.Set("prefillTokensPerSecond", s.prefill_tokens_per_second);
  o.Set("decodeTokensPerSecond", s.decode_tokens_per_second);
  return o;
}

namespace {

Napi::Buffer<char> bytes_of(Napi::Env env, const std::string & piece) {
  return Napi::Buffer<char>::Copy(env, piece.data(), piece.size());
}

}  // namespace

// Pieces travel as bytes: a token may hold part of a UTF-8 character.
Napi::Object to_js(Napi::Env env, const TokenLogprobs & logprobs) {
  auto o = Napi::Object::New(env);
  o.Set("logprob", logprobs.logprob);
  o.Set("bytes", bytes_of(env, logprobs.piece));
  auto top = Napi::Array::New(env, logprobs.top.size());
  for (uint32_t i = 0; i < logprobs.top.size(); ++i) {
    auto alt = Napi::Object::New(env);
    alt.Set("id", logprobs.top[i].token);
    alt.Set("logprob", logprobs.top[i].logprob);
    alt.Set("bytes", bytes_of(env, logprobs.top[i].piece));
    top.Set(i, alt);
  }
  o.Set("top", top);
  return o;
}

Napi::Array to_js(Napi::Env env, const StepOutput & out) {
  auto arr = Napi::Array::New(env, out.tokens.size() + out.ends.size() + out.acks.size());
  uint32_t i = 0;
  for (const auto & t : out.tokens) {
    auto o = Napi::Object::New(env);
    o.Set("type", "token");
    o.Set("seq", static_cast<double>(t.seq));
    o.Set("id", t.token);
    o.Set("text", t.text);
    o.Set("index", t.index);
    if (t.has_logprobs) o.Set("logprobs", to_js(env, t.logprobs));
    arr.Set(i++, o);
  }
  for (const auto & e : out.ends) {
    auto o = Napi::Object::New(env);
    o.Set("type", "end");
    o.Set("seq", static_cast<double>(e.seq));
    o.Set("finishReason", finish_reason_name(e.reason));
    o.Set("tokensIn", e.tokens_in);
    o.Set("tokensOut", e.tokens_out);
    o.Set("cachedTokens", e.cached_tokens);
    o.Set("promptMs", e.prompt_ms);
    o.Set("decodeMs", e.decode_ms);
    o.Set("ttftMs", e.ttft_ms);
    o.Set("grammarResamples", e.grammar_resamples);
    if (!e.error_code.empty()) {
      o.Set("errorCode", e.error_code);
      o.Set("errorMessage", e.error_message);
    }
    arr.Set(i++, o);
  }
  for (const auto & a : out.acks) {
    auto o = Napi::Object::New(env);
    o.Set("type", "ack");
    o.Set("ack", static_cast<double>(a.ack));
    o.Set("found", a.found);
    arr.Set(i++, o);
  }
  return arr;
}

Napi::Array to_js(Napi::Env env, const std::vector<llama_token> & tokens) {
  auto arr = Napi::Array::New(env, tokens.size());
  for (uint32_t i = 0; i < tokens.size(); ++i) arr.Set(i, tokens[i]);
  return arr;
}

std::vector<std::vector<llama_token>> to_embed_inputs(const Napi::Value & value) {
  if (!value.IsArray()) invalid("embed takes an array of inputs, each an array of token ids");
  const auto arr = value.As<Napi::Array>();
  std::vector<std::vector<llama_token>> inputs;
  inputs.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); ++i) inputs.push_back(to_tokens(arr.Get(i)));
  return inputs;
}

Napi::Object to_js(Napi::Env env, const EmbedResult & r) {
  auto o = Napi::Object::New(env);
  o.Set("type", "embedding");
  o.Set("id", static_cast<double>(r.id));
  o.Set("dimensions", r.dimensions);
  auto values = Napi::Float32Array::New(env, r.values.size());
  std::copy(r.values.begin(), r.values.end(), values.Data());
  o.Set("values", values);
  o.Set("tokens", r.tokens);
  o.Set("ms", r.ms);
  if (!r.error_code.empty()) {
    o.Set("errorCode", r.error_code);
    o.Set("errorMessage", r.error_message);
  }
  return o;
}

Napi::Error to_js_error(Napi::Env env, ErrorCode code, const std::string & message) {
  auto error = Napi::Error::New(env, message);
  error.Set("code", error_code_name(code));
  return error;
}

}  // namespace orch
