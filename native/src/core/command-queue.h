// A bounded multi-producer queue of commands for the engine loop, with a blocking wait for work.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>

#include "core/embed.h"
#include "core/sequence.h"

namespace orch {

struct Command {
  enum class Kind { Add, Cancel, Shutdown, Embed };
  Kind kind = Kind::Add;
  std::unique_ptr<SequenceRequest> request;  // Add
  uint64_t target = 0;                       // Cancel: sequence id
  uint64_t ack = 0;                          // Cancel: acknowledgement id
  std::unique_ptr<EmbedRequest> embed = nullptr;  // Embed
};

class CommandQueue {
 public:
  explicit CommandQueue(size_t capacity) : capacity_(capacity) {}

  // Adds count against the capacity (the pending work it represents); cancels and shutdown never
  // fail, so a full queue can always be drained. Returns false when full.
  bool push(Command command) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (command.kind == Command::Kind::Add || command.kind == Command::Kind::Embed) {
        if (adds_ >= capacity_) return false;
        ++adds_;
      }
      items_.push_back(std::move(command));
    }
    ready_.notify_one();
    return true;
  }

  // Takes everything queued; waits up to `timeout` for the first command when `wait` is set.
  std::deque<Command> drain(bool wait, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (wait) ready_.wait_for(lock, timeout, [this] { return !items_.empty(); });
    std::deque<Command> out;
    out.swap(items_);
    return out;
  }

  // The loop calls this when an added request leaves its pending list (started or cancelled).
  void release_add() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (adds_ > 0) --adds_;
  }

 private:
  const size_t capacity_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Command> items_;
  size_t adds_ = 0;
};

}  // namespace orch
