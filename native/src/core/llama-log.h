// Routing of llama.cpp's process-global log: captured per thread while an operation that may fail
// runs (to explain the failure), otherwise errors to stderr and the rest dropped unless
// LLAMA_ORCH_LLAMA_LOG=debug.
#pragma once

#include <string>

namespace orch {

void install_llama_log();

class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  LogCapture(const LogCapture &) = delete;
  LogCapture & operator=(const LogCapture &) = delete;

  // The captured warnings and errors on one line, for an error message.
  std::string summary() const;
  bool contains(const char * needle) const { return text_.find(needle) != std::string::npos; }
  // Whether an allocation on a GPU failed: its lines name cudaMalloc or the device (CUDA0, CUDA1, …).
  bool gpu_allocation_failed() const;

 private:
  std::string text_;
  std::string * previous_;
};

}  // namespace orch
