// llama.cpp log routing; see llama-log.h.
#include "core/llama-log.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "llama.h"

namespace orch {
namespace {

// llama.cpp's logger is process-global; a thread-local sink lets an operation keep the lines that
// explain its own failure without seeing other threads' output.
thread_local std::string * t_capture = nullptr;

void log_callback(ggml_log_level level, const char * text, void *) {
  if (t_capture != nullptr && (level == GGML_LOG_LEVEL_ERROR || level == GGML_LOG_LEVEL_WARN)) {
    t_capture->append(text);
  }
  static const bool debug = [] {
    const char * value = std::getenv("LLAMA_ORCH_LLAMA_LOG");
    return value != nullptr && std::strcmp(value, "debug") == 0;
  }();
  if (debug || (level == GGML_LOG_LEVEL_ERROR && t_capture == nullptr)) std::fputs(text, stderr);
}

}  // namespace

void install_llama_log() { llama_log_set(log_callback, nullptr); }

LogCapture::LogCapture() : previous_(t_capture) { t_capture = &text_; }

LogCapture::~LogCapture() { t_capture = previous_; }

bool LogCapture::gpu_allocation_failed() const {
  if (text_.find("cudaMalloc") != std::string::npos) return true;
  for (size_t at = text_.find("allocate CUDA"); at != std::string::npos; at = text_.find("allocate CUDA", at + 1)) {
    const size_t next = at + std::strlen("allocate CUDA");
    if (next < text_.size() && std::isdigit(static_cast<unsigned char>(text_[next])) != 0) return true;
  }
  return false;
}

std::string LogCapture::summary() const {
  std::string out = text_;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  std::replace(out.begin(), out.end(), '\n', ';');
  return out.empty() ? "llama.cpp gave no reason" : out;
}

}  // namespace orch
