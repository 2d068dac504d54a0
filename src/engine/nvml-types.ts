// The shapes of an NVML probe: one reading per GPU, fields absent where NVML refused them.

/**
 * One GPU as NVML reported it at probe time. A field NVML refused for this device (not supported,
 * GPU lost, no permission) is absent rather than zero, so callers never mistake it for a reading.
 */
export interface GpuDevice {
  /** NVML's index, in PCI bus order: a CUDA ordinal only under CUDA_DEVICE_ORDER=PCI_BUS_ID. */
  index: number;
  /** Stable identity across reboots and reorderings, e.g. "GPU-3090a5b1-...". */
  uuid?: string;
  name?: string;
  memoryTotalBytes?: number;
  memoryUsedBytes?: number;
  memoryFreeBytes?: number;
  /** Percent of the last sample period a kernel ran. */
  utilizationGpuPercent?: number;
  /** Percent of the last sample period device memory was read or written. */
  utilizationMemoryPercent?: number;
  temperatureC?: number;
  powerWatts?: number;
}

export interface GpuProbe {
  devices: GpuDevice[];
  /** Set when `devices` is empty or incomplete (no driver, not an NVML library, GPU skipped): why. */
  reason?: string;
}
