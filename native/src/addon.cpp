// The addon's entry point: initialises llama.cpp once and exports the engine loader, NVML probe,
// the GPU devices the linked backends see, and the engine's error codes.
#include <napi.h>

#include "core/device-select.h"
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

// Synchronous: ggml enumerated its devices at load; a CUDA build asks the driver for free memory.
Napi::Value GpuDevices(const Napi::CallbackInfo & info) {
  const auto devices = orch::gpu_devices();
  auto out = Napi::Array::New(info.Env(), devices.size());
  for (uint32_t i = 0; i < devices.size(); ++i) {
    auto device = Napi::Object::New(info.Env());
    device.Set("index", devices[i].index);
    device.Set("name", devices[i].name);
    device.Set("description", devices[i].description);
    device.Set("memoryFreeBytes", static_cast<double>(devices[i].memory_free_bytes));
    device.Set("memoryTotalBytes", static_cast<double>(devices[i].memory_total_bytes));
    out.Set(i, device);
  }
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  orch::install_llama_log();
  llama_backend_init();
  orch::EngineWrap::Define(env);
  exports.Set("loadEngine", Napi::Function::New(env, orch::LoadEngine, "loadEngine"));
  auto codes = Napi::Array::New(env);
  uint32_t i = 0;
  for (const auto code : orch::kAllErrorCodes) codes.Set(i++, orch::error_code_name(code));
  exports.Set("errorCodes", codes);
  exports.Set("gpuDevices", Napi::Function::New(env, GpuDevices, "gpuDevices"));
  exports.Set("llamaCppCommit", LLAMA_ORCH_LLAMA_COMMIT);
  // A build-time fact: asking CUDA for devices here would initialise it in every process.
  exports.Set("cudaBuild", Napi::Boolean::New(env, LLAMA_ORCH_CUDA_BUILD != 0));
  orch::RegisterNvml(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(llama_orch, Init)
