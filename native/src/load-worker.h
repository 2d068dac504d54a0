// Loads a model off the JS thread and resolves with a NativeEngine, or rejects with a coded error.
#pragma once

#include <napi.h>

namespace orch {

// loadEngine(options, onEvents): Promise<NativeEngine>
Napi::Value LoadEngine(const Napi::CallbackInfo & info);

}  // namespace orch
