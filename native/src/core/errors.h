// Engine error codes (names match src/common/errors.ts) and the exception that carries them.
#pragma once

#include <stdexcept>
#include <string>

namespace orch {

enum class ErrorCode {
  ModelNotFound,
  ModelInvalid,
  ModelUnsupported,
  ModelLoadFailed,
  ContextTooLarge,
  PromptTooLong,
  GrammarInvalid,
  InvalidParams,
  SequenceUnknown,
  EngineBusy,
  EngineDisposed,
  PoolDeviceUnavailable,
  PoolInsufficientVram,
  PoolInsufficientMemory,
  Internal,
};

inline const char * error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::ModelNotFound: return "MODEL_NOT_FOUND";
    case ErrorCode::ModelInvalid: return "MODEL_INVALID";
    case ErrorCode::ModelUnsupported: return "MODEL_UNSUPPORTED";
    case ErrorCode::ModelLoadFailed: return "MODEL_LOAD_FAILED";
    case ErrorCode::ContextTooLarge: return "CONTEXT_TOO_LARGE";
    case ErrorCode::PromptTooLong: return "PROMPT_TOO_LONG";
    case ErrorCode::GrammarInvalid: return "GRAMMAR_INVALID";
    case ErrorCode::InvalidParams: return "INVALID_PARAMS";
    case ErrorCode::SequenceUnknown: return "SEQUENCE_UNKNOWN";
    case ErrorCode::EngineBusy: return "ENGINE_BUSY";
    case ErrorCode::EngineDisposed: return "ENGINE_DISPOSED";
    case ErrorCode::PoolDeviceUnavailable: return "POOL_DEVICE_UNAVAILABLE";
    case ErrorCode::PoolInsufficientVram: return "POOL_INSUFFICIENT_VRAM";
    case ErrorCode::PoolInsufficientMemory: return "POOL_INSUFFICIENT_MEMORY";
    case ErrorCode::Internal: return "INTERNAL";
  }
  return "INTERNAL";
}

constexpr ErrorCode kAllErrorCodes[] = {
    ErrorCode::ModelNotFound,   ErrorCode::ModelInvalid,    ErrorCode::ModelUnsupported,
    ErrorCode::ModelLoadFailed, ErrorCode::ContextTooLarge, ErrorCode::PromptTooLong,
    ErrorCode::GrammarInvalid,  ErrorCode::InvalidParams,   ErrorCode::SequenceUnknown,
    ErrorCode::EngineBusy,      ErrorCode::EngineDisposed,  ErrorCode::PoolDeviceUnavailable,
    ErrorCode::PoolInsufficientVram, ErrorCode::PoolInsufficientMemory, ErrorCode::Internal,
};

class EngineError : public std::runtime_error {
 public:
  EngineError(ErrorCode code, const std::string & message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace orch
