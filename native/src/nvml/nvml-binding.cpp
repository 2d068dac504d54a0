// Runs probe_gpus on a libuv worker and translates its result to JS (the one place that does).
#include "nvml/nvml-binding.h"

#include <exception>
#include <optional>
#include <string>
#include <utility>

#include "core/errors.h"
#include "nvml/nvml-probe.h"

namespace orch {
namespace {

// Same shape as convert.h's to_js_error (registry code in `.code`), without pulling the engine's
// llama.cpp headers into the probe's translation unit.
Napi::Error coded_error(Napi::Env env, ErrorCode code, const std::string & message) {
  auto error = Napi::Error::New(env, message);
  error.Set("code", error_code_name(code));
  return error;
}

// Absent stays absent: JS sees no key rather than null or 0, which would read as a real value.
template <typename T>
void set_if(Napi::Object & object, const char * key, const std::optional<T> & value) {
  if (value) object.Set(key, *value);
}

// Byte counts go out as JS numbers: GPU memory stays far below 2^53, where doubles stop being exact.
void set_bytes_if(Napi::Object & object, const char * key, const std::optional<uint64_t> & value) {
  if (value) object.Set(key, static_cast<double>(*value));
}

Napi::Object to_js(Napi::Env env, const GpuDevice & device) {
  auto object = Napi::Object::New(env);
  object.Set("index", device.index);
  set_if(object, "uuid", device.uuid);
  set_if(object, "name", device.name);
  set_bytes_if(object, "memoryTotalBytes", device.memory_total_bytes);
  set_bytes_if(object, "memoryUsedBytes", device.memory_used_bytes);
  set_bytes_if(object, "memoryFreeBytes", device.memory_free_bytes);
  set_if(object, "utilizationGpuPercent", device.utilization_gpu_percent);
  set_if(object, "utilizationMemoryPercent", device.utilization_memory_percent);
  set_if(object, "temperatureC", device.temperature_c);
  set_if(object, "powerWatts", device.power_watts);
  return object;
}

Napi::Object to_js(Napi::Env env, const GpuProbeResult & result) {
  auto devices = Napi::Array::New(env, result.devices.size());
  for (uint32_t i = 0; i < result.devices.size(); ++i) devices.Set(i, to_js(env, result.devices[i]));
  auto object = Napi::Object::New(env);
  object.Set("devices", devices);
  if (!result.reason.empty()) object.Set("reason", result.reason);
  return object;
}

class ProbeWorker : public Napi::AsyncWorker {
 public:
  ProbeWorker(Napi::Env env, std::string library_path)
      : Napi::AsyncWorker(env, "llama-orch-nvml-probe"),
        deferred_(Napi::Promise::Deferred::New(env)),
        library_path_(std::move(library_path)) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    // The probe reports NVML failures in its result; only allocation can throw, and no exception may
    // cross back to the JS thread, so it becomes SetError -> OnError -> reject.
    try {
      result_ = probe_gpus(library_path_);
    } catch (const std::exception & e) {
      SetError(std::string("GPU probe failed: ") + e.what());
    }
  }

  void OnOK() override { deferred_.Resolve(to_js(Env(), result_)); }

  void OnError(const Napi::Error & error) override {
    deferred_.Reject(coded_error(Env(), ErrorCode::Internal, error.Message()).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::string library_path_;
  GpuProbeResult result_;
};

Napi::Value ProbeGpus(const Napi::CallbackInfo & info) {
  Napi::Env env = info.Env();
  const Napi::Value path = info[0];
  if (!path.IsUndefined() && !path.IsString()) {
    throw coded_error(env, ErrorCode::InvalidParams, "probeGpus(libraryPath?) takes a string or nothing");
  }
  // Resolved here, on the JS thread, because process.env writes setenv on this thread: a getenv on
  // the worker could race them.
  std::string library_path = nvml_library_path(path.IsString() ? path.As<Napi::String>().Utf8Value() : "");
  auto * worker = new ProbeWorker(env, std::move(library_path));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace

void RegisterNvml(Napi::Env env, Napi::Object exports) {
  exports.Set("probeGpus", Napi::Function::New(env, ProbeGpus, "probeGpus"));
}

}  // namespace orch
