// The llama.cpp devices a pool asked for, picked by GPU ordinal; a device this build or host lacks
// is refused with POOL_DEVICE_UNAVAILABLE instead of the model silently running on the CPU.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ggml-backend.h"

namespace orch {

struct DeviceInfo {
  int32_t index = 0;  // ordinal among GPU devices, in ggml's (CUDA's PCI bus) order
  std::string name;   // e.g. CUDA0
  std::string description;
  uint64_t memory_free_bytes = 0;
  uint64_t memory_total_bytes = 0;
};

// Every GPU device the linked backends see; empty on a CPU-only build.
std::vector<DeviceInfo> gpu_devices();

// The NULL-terminated list for llama_model_params.devices; an empty `wanted` gives the CPU alone.
// Throws EngineError(PoolDeviceUnavailable) naming the missing ordinal and the devices there are.
std::vector<ggml_backend_dev_t> select_devices(const std::vector<int32_t> & wanted);

}  // namespace orch
