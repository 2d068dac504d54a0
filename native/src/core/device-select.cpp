// GPU device listing and selection by ordinal; see device-select.h.
#include "core/device-select.h"

#include "core/errors.h"

namespace orch {
namespace {

bool is_gpu(ggml_backend_dev_t dev) {
  const auto type = ggml_backend_dev_type(dev);
  return type == GGML_BACKEND_DEVICE_TYPE_GPU || type == GGML_BACKEND_DEVICE_TYPE_IGPU;
}

std::vector<ggml_backend_dev_t> gpu_handles() {
  std::vector<ggml_backend_dev_t> out;
  for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
    ggml_backend_dev_t dev = ggml_backend_dev_get(i);
    if (is_gpu(dev)) out.push_back(dev);
  }
  return out;
}

std::string listing(const std::vector<DeviceInfo> & gpus) {
  if (gpus.empty()) {
    return "this build of the addon has no GPU backend (CPU only): build it with LLAMA_ORCH_CUDA=1 npm run "
           "build:addon, or run the pool with backend cpu";
  }
  std::string text = "the GPU devices here are";
  for (const auto & gpu : gpus) {
    text += " " + std::to_string(gpu.index) + ": " + gpu.name + " (" + gpu.description + ")";
    if (&gpu != &gpus.back()) text += ",";
  }
  return text + "; fix the pool's devices";
}

}  // namespace

std::vector<DeviceInfo> gpu_devices() {
  std::vector<DeviceInfo> out;
  for (ggml_backend_dev_t dev : gpu_handles()) {
    DeviceInfo info;
    info.index = static_cast<int32_t>(out.size());
    info.name = ggml_backend_dev_name(dev);
    info.description = ggml_backend_dev_description(dev);
    size_t free = 0;
    size_t total = 0;
    ggml_backend_dev_memory(dev, &free, &total);
    info.memory_free_bytes = free;
    info.memory_total_bytes = total;
    out.push_back(info);
  }
  return out;
}

std::vector<ggml_backend_dev_t> select_devices(const std::vector<int32_t> & wanted) {
  const std::vector<ggml_backend_dev_t> gpus = gpu_handles();
  std::vector<ggml_backend_dev_t> list;
  for (const int32_t index : wanted) {
    if (index < 0 || static_cast<size_t>(index) >= gpus.size()) {
      throw EngineError(ErrorCode::PoolDeviceUnavailable,
                        "GPU device " + std::to_string(index) + " is not available: " + listing(gpu_devices()));
    }
    list.push_back(gpus[static_cast<size_t>(index)]);
  }
  list.push_back(nullptr);
  return list;
}

}  // namespace orch
