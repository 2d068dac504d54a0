// Our own minimal declarations of the NVML C API, so the addon builds without NVIDIA headers or libraries.
#pragma once

// Layouts, values and signatures mirror nvml.h; only the parts the probe resolves are declared here.
extern "C" {

typedef int nvmlReturn_t;
typedef struct nvmlDevice_st * nvmlDevice_t;

constexpr nvmlReturn_t NVML_SUCCESS = 0;

typedef int nvmlTemperatureSensors_t;
constexpr nvmlTemperatureSensors_t NVML_TEMPERATURE_GPU = 0;

// The _V2_ sizes are the documented upper bounds; a larger buffer is always accepted.
constexpr unsigned int NVML_DEVICE_UUID_V2_BUFFER_SIZE = 96;
constexpr unsigned int NVML_DEVICE_NAME_V2_BUFFER_SIZE = 96;

typedef struct nvmlMemory_st {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
} nvmlMemory_t;

typedef struct nvmlUtilization_st {
  unsigned int gpu;
  unsigned int memory;
} nvmlUtilization_t;

typedef nvmlReturn_t (*nvmlInit_v2_fn)(void);
typedef nvmlReturn_t (*nvmlShutdown_fn)(void);
typedef nvmlReturn_t (*nvmlDeviceGetCount_v2_fn)(unsigned int * count);
typedef nvmlReturn_t (*nvmlDeviceGetHandleByIndex_v2_fn)(unsigned int index, nvmlDevice_t * device);
typedef nvmlReturn_t (*nvmlDeviceGetUUID_fn)(nvmlDevice_t device, char * uuid, unsigned int length);
typedef nvmlReturn_t (*nvmlDeviceGetName_fn)(nvmlDevice_t device, char * name, unsigned int length);
typedef nvmlReturn_t (*nvmlDeviceGetMemoryInfo_fn)(nvmlDevice_t device, nvmlMemory_t * memory);
typedef nvmlReturn_t (*nvmlDeviceGetUtilizationRates_fn)(nvmlDevice_t device, nvmlUtilization_t * utilization);
typedef nvmlReturn_t (*nvmlDeviceGetTemperature_fn)(nvmlDevice_t device, nvmlTemperatureSensors_t sensor,
                                                     unsigned int * temp);
typedef nvmlReturn_t (*nvmlDeviceGetPowerUsage_fn)(nvmlDevice_t device, unsigned int * power_milliwatts);
typedef const char * (*nvmlErrorString_fn)(nvmlReturn_t result);

}  // extern "C"
