// The one translation between JS values and the engine's plain C++ structs (both directions).
#pragma once

#include <napi.h>

#include "core/engine-core.h"
#include "core/errors.h"
#include "core/params.h"
#include "core/sequence.h"

namespace orch {

LoadParams to_load_params(const Napi::Object & options);
// Text prompts are tokenized here, on the caller's thread, with the model's BOS.
SubmitParams to_submit_params(const Napi::Object & request, const EngineCore & core);
std::vector<llama_token> to_tokens(const Napi::Value & value);
// embed()'s argument: an array of token arrays, one per input.
std::vector<std::vector<llama_token>> to_embed_inputs(const Napi::Value & value);

Napi::Object to_js(Napi::Env env, const ModelInfo & info);
Napi::Object to_js(Napi::Env env, const ChatRender & render);
Napi::Object to_js(Napi::Env env, const ChatParse & parse);
Napi::Object to_js(Napi::Env env, const EngineStats & stats);
Napi::Object to_js(Napi::Env env, const TokenLogprobs & logprobs);
Napi::Array to_js(Napi::Env env, const std::vector<ChatDelta> & deltas);
Napi::Array to_js(Napi::Env env, const StepOutput & out);
Napi::Array to_js(Napi::Env env, const std::vector<llama_token> & tokens);
// An `embedding` event: the vectors as one Float32Array, `dimensions` floats per input.
Napi::Object to_js(Napi::Env env, const EmbedResult & result);

// A JS Error carrying the registry code in `.code`.
Napi::Error to_js_error(Napi::Env env, ErrorCode code, const std::string & message);

}  // namespace orch
