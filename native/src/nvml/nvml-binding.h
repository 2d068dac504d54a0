// The JS face of the NVML probe: exports.probeGpus(libraryPath?) resolving off the JS thread.
#pragma once

#include <napi.h>

namespace orch {

// Adds probeGpus(libraryPath?: string): Promise<{ devices, reason? }> to the addon's exports.
void RegisterNvml(Napi::Env env, Napi::Object exports);

}  // namespace orch
