// The addon's entry point: initialises llama.cpp once and exports the engine loader, NVML probe and
// the engine's error codes.
#include <napi.h>

#include "core/errors.h"
#include "core/llama-log.h"
#include "engine-wrap.h"
#include "load-worker.h"
#include "nvml/nvml-binding.h"

#ifndef LLAMA_ORCH_LLAMA_COMMIT
#define LLAMA_ORCH_LLAMA_COMMIT "unknown"
#endif
#ifndef LLAMA_ORCH_CUDA_BUILD
#define LLAMA_ORCH_CUDA_BUILD 0
#endif

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  orch::install_llama_log();
  llama_backend_init();
  orch::EngineWrap::Define(env);
  exports.Set("loadEngine", Napi::Function::New(env, orch::LoadEngine, "loadEngine"));
  auto codes = Napi::Array::New(env);
  uint32_t i = 0;
  for (const auto code : orch::kAllErrorCodes) codes.Set(i++, orch::error_code_name(code));
  exports.Set("errorCodes", codes);
  exports.Set("llamaCppCommit", LLAMA_ORCH_LLAMA_COMMIT);
  // A build-time fact: asking CUDA for devices here would initialise it in every process.
  exports.Set("cudaBuild", Napi::Boolean::New(env, LLAMA_ORCH_CUDA_BUILD != 0));
  orch::RegisterNvml(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(llama_orch, Init)
