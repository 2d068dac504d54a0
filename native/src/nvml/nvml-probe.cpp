// Loads NVML with dlopen, resolves the symbols the probe uses and reads every GPU; see nvml-probe.h.
#include "nvml/nvml-probe.h"

#include <dlfcn.h>

#include <cstdlib>
#include <map>
#include <mutex>

#include "nvml/nvml-api.h"

namespace orch {
namespace {

constexpr const char * kDefaultLibrary = "libnvidia-ml.so.1";
constexpr const char * kLibraryEnv = "LLAMA_ORCH_NVML_LIB";

// Both NVML text queries accept this bound (NVML_DEVICE_{UUID,NAME}_V2_BUFFER_SIZE).
constexpr unsigned int kTextBufferSize = NVML_DEVICE_NAME_V2_BUFFER_SIZE;
static_assert(NVML_DEVICE_UUID_V2_BUFFER_SIZE <= kTextBufferSize, "UUID buffer too small");

// The first five are required: without them there is no probe. The per-field ones may be null, so a
// library that lacks one loses that field rather than every device.
struct NvmlApi {
  nvmlInit_v2_fn init = nullptr;
  nvmlShutdown_fn shutdown = nullptr;
  nvmlDeviceGetCount_v2_fn get_count = nullptr;
  nvmlDeviceGetHandleByIndex_v2_fn get_handle = nullptr;
  nvmlErrorString_fn error_string = nullptr;
  nvmlDeviceGetUUID_fn get_uuid = nullptr;
  nvmlDeviceGetName_fn get_name = nullptr;
  nvmlDeviceGetMemoryInfo_fn get_memory = nullptr;
  nvmlDeviceGetUtilizationRates_fn get_utilization = nullptr;
  nvmlDeviceGetTemperature_fn get_temperature = nullptr;
  nvmlDeviceGetPowerUsage_fn get_power = nullptr;
};

template <typename Fn>
Fn resolve(void * handle, const char * symbol) {
  // POSIX guarantees a data pointer from dlsym converts to a function pointer.
  return reinterpret_cast<Fn>(dlsym(handle, symbol));
}

// Fills the table; returns the first missing required symbol, or nullptr when the table is usable.
const char * resolve_api(void * handle, NvmlApi & api) {
  api.init = resolve<nvmlInit_v2_fn>(handle, "nvmlInit_v2");
  api.shutdown = resolve<nvmlShutdown_fn>(handle, "nvmlShutdown");
  api.get_count = resolve<nvmlDeviceGetCount_v2_fn>(handle, "nvmlDeviceGetCount_v2");
  api.get_handle = resolve<nvmlDeviceGetHandleByIndex_v2_fn>(handle, "nvmlDeviceGetHandleByIndex_v2");
  api.error_string = resolve<nvmlErrorString_fn>(handle, "nvmlErrorString");
  api.get_uuid = resolve<nvmlDeviceGetUUID_fn>(handle, "nvmlDeviceGetUUID");
  api.get_name = resolve<nvmlDeviceGetName_fn>(handle, "nvmlDeviceGetName");
  api.get_memory = resolve<nvmlDeviceGetMemoryInfo_fn>(handle, "nvmlDeviceGetMemoryInfo");
  api.get_utilization = resolve<nvmlDeviceGetUtilizationRates_fn>(handle, "nvmlDeviceGetUtilizationRates");
  api.get_temperature = resolve<nvmlDeviceGetTemperature_fn>(handle, "nvmlDeviceGetTemperature");
  api.get_power = resolve<nvmlDeviceGetPowerUsage_fn>(handle, "nvmlDeviceGetPowerUsage");
  if (!api.init) return "nvmlInit_v2";
  if (!api.shutdown) return "nvmlShutdown";
  if (!api.get_count) return "nvmlDeviceGetCount_v2";
  if (!api.get_handle) return "nvmlDeviceGetHandleByIndex_v2";
  if (!api.error_string) return "nvmlErrorString";
  return nullptr;
}

std::string load_failure(const std::string & path, const char * dl_error) {
  const std::string detail = std::string(" (dlopen: ") + (dl_error ? dl_error : "unknown error") + ")";
  if (path == kDefaultLibrary) return path + " not found: no NVIDIA driver on this machine" + detail;
  return "cannot load the NVML library " + path + detail;
}

// Opens and resolves one library; on failure leaves nothing loaded and says why in `reason`.
bool load_library(const std::string & path, NvmlApi & api, std::string & reason) {
  // RTLD_NOW surfaces a library with unresolvable dependencies here, not as a crash mid-probe.
  void * handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    reason = load_failure(path, dlerror());
    return false;
  }
  if (const char * missing = resolve_api(handle, api)) {
    reason = path + " is not an NVML library: it has no " + missing;
    dlclose(handle);
    return false;
  }
  return true;
}

// Resolved NVML libraries by path. A loaded one is never closed: a driver library may leave threads,
// atexit handlers or TLS destructors pointing into its code, so unloading it is unsafe; keeping it
// also spares a dlopen per probe. Failures are not kept, so a driver installed later is found.
class LibraryCache {
 public:
  bool get(const std::string & path, NvmlApi & api, std::string & reason) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = loaded_.find(path);
    if (found != loaded_.end()) {
      api = found->second;
      return true;
    }
    if (!load_library(path, api, reason)) return false;
    loaded_.emplace(path, api);
    return true;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, NvmlApi> loaded_;
};

LibraryCache & library_cache() {
  // Leaked on purpose: a probe still running on a worker thread at exit must not find it destroyed.
  static auto * cache = new LibraryCache();
  return *cache;
}

// NVML reference-counts init and shutdown, so concurrent probes each pair their own safely.
class NvmlSession {
 public:
  explicit NvmlSession(const NvmlApi & api) : api_(api), status_(api.init()) {}
  ~NvmlSession() {
    if (status_ == NVML_SUCCESS) api_.shutdown();
  }
  NvmlSession(const NvmlSession &) = delete;
  NvmlSession & operator=(const NvmlSession &) = delete;

  nvmlReturn_t status() const { return status_; }

 private:
  const NvmlApi & api_;
  nvmlReturn_t status_;
};

std::string nvml_failure(const NvmlApi & api, const char * call, nvmlReturn_t rc) {
  const char * text = api.error_string(rc);
  return std::string(call) + " failed: " + (text ? text : "unknown error") + " (NVML error " + std::to_string(rc) +
         ")";
}

std::optional<std::string> read_text(nvmlReturn_t (*query)(nvmlDevice_t, char *, unsigned int), nvmlDevice_t device) {
  char buffer[kTextBufferSize] = {};
  if (!query || query(device, buffer, kTextBufferSize) != NVML_SUCCESS) return std::nullopt;
  // A misbehaving library must not make us read past the buffer.
  buffer[kTextBufferSize - 1] = '\0';
  return std::string(buffer);
}

void read_memory(const NvmlApi & api, nvmlDevice_t device, GpuDevice & out) {
  nvmlMemory_t memory{};
  if (!api.get_memory || api.get_memory(device, &memory) != NVML_SUCCESS) return;
  out.memory_total_bytes = memory.total;
  out.memory_used_bytes = memory.used;
  out.memory_free_bytes = memory.free;
}

void read_load(const NvmlApi & api, nvmlDevice_t device, GpuDevice & out) {
  nvmlUtilization_t utilization{};
  if (api.get_utilization && api.get_utilization(device, &utilization) == NVML_SUCCESS) {
    out.utilization_gpu_percent = utilization.gpu;
    out.utilization_memory_percent = utilization.memory;
  }
  unsigned int temperature = 0;
  if (api.get_temperature && api.get_temperature(device, NVML_TEMPERATURE_GPU, &temperature) == NVML_SUCCESS) {
    out.temperature_c = temperature;
  }
  unsigned int milliwatts = 0;
  if (api.get_power && api.get_power(device, &milliwatts) == NVML_SUCCESS) out.power_watts = milliwatts / 1000.0;
}

GpuDevice read_device(const NvmlApi & api, unsigned int index, nvmlDevice_t device) {
  GpuDevice out;
  out.index = index;
  out.uuid = read_text(api.get_uuid, device);
  out.name = read_text(api.get_name, device);
  read_memory(api, device, out);
  read_load(api, device, out);
  return out;
}

// A GPU whose handle NVML refuses (lost, or hidden by permissions) is skipped and named in the reason,
// so the others are still reported.
void read_devices(const NvmlApi & api, unsigned int count, GpuProbeResult & result) {
  for (unsigned int index = 0; index < count; ++index) {
    nvmlDevice_t device = nullptr;
    const nvmlReturn_t rc = api.get_handle(index, &device);
    if (rc == NVML_SUCCESS) {
      result.devices.push_back(read_device(api, index, device));
      continue;
    }
    if (!result.reason.empty()) result.reason += "; ";
    result.reason += "GPU " + std::to_string(index) + " skipped: " + nvml_failure(api, "nvmlDeviceGetHandleByIndex_v2", rc);
  }
}

}  // namespace

std::string nvml_library_path(const std::string & library_path_override) {
  if (!library_path_override.empty()) return library_path_override;
  const char * from_env = std::getenv(kLibraryEnv);
  if (from_env && *from_env) return from_env;
  return kDefaultLibrary;
}

GpuProbeResult probe_gpus(const std::string & library_path_override) {
  GpuProbeResult result;
  const std::string path = nvml_library_path(library_path_override);
  NvmlApi api;
  if (!library_cache().get(path, api, result.reason)) return result;
  NvmlSession session(api);
  if (session.status() != NVML_SUCCESS) {
    result.reason = path + ": " + nvml_failure(api, "nvmlInit_v2", session.status());
    return result;
  }
  unsigned int count = 0;
  const nvmlReturn_t rc = api.get_count(&count);
  if (rc != NVML_SUCCESS) {
    result.reason = path + ": " + nvml_failure(api, "nvmlDeviceGetCount_v2", rc);
  } else if (count == 0) {
    result.reason = path + ": NVML reports no GPUs";
  } else {
    read_devices(api, count, result);
  }
  return result;
}

}  // namespace orch
