// Reads per-GPU telemetry through an NVML library loaded at run time; no N-API, so plain C++ can drive it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace orch {

// Every field NVML can refuse on its own (not supported, GPU lost, no permission) is optional, so one
// failing query costs that field only, never the device or the probe.
struct GpuDevice {
  unsigned int index = 0;
  std::optional<std::string> uuid;
  std::optional<std::string> name;
  std::optional<uint64_t> memory_total_bytes;
  std::optional<uint64_t> memory_used_bytes;
  std::optional<uint64_t> memory_free_bytes;
  std::optional<unsigned int> utilization_gpu_percent;
  std::optional<unsigned int> utilization_memory_percent;
  std::optional<unsigned int> temperature_c;
  std::optional<double> power_watts;
};

// `reason` is empty when every GPU NVML counted was read; otherwise it says, for a person, why the
// list is empty (no driver, not an NVML library, init failed, no GPUs) or which GPUs were skipped.
struct GpuProbeResult {
  std::vector<GpuDevice> devices;
  std::string reason;
};

// The library a probe loads: the override when non-empty, else $LLAMA_ORCH_NVML_LIB when set and
// non-empty, else libnvidia-ml.so.1. Reads the environment, so call it where setenv cannot race it.
std::string nvml_library_path(const std::string & library_path_override);

// Self-contained and thread-safe: loads (or reuses) the library, nvmlInit_v2, reads, nvmlShutdown.
// Nothing NVML or the loader does makes it throw (only allocation can); failures land in `reason`.
GpuProbeResult probe_gpus(const std::string & library_path_override);

}  // namespace orch
