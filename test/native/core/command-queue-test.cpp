// CommandQueue: adds are bounded, cancels and shutdown always get through.
#include "check.h"
#include "core/command-queue.h"

using orch::Command;
using orch::CommandQueue;

TEST_CASE("refuses adds beyond capacity until the loop releases one") {
  CommandQueue queue(2);
  CHECK(queue.push(Command{Command::Kind::Add, nullptr, 0, 0}));
  CHECK(queue.push(Command{Command::Kind::Add, nullptr, 0, 0}));
  CHECK(!queue.push(Command{Command::Kind::Add, nullptr, 0, 0}));
  CHECK(queue.push(Command{Command::Kind::Cancel, nullptr, 1, 1}));
  CHECK(queue.push(Command{Command::Kind::Shutdown, nullptr, 0, 0}));
  CHECK_EQ(queue.drain(false, std::chrono::milliseconds(0)).size(), 4u);
  CHECK(!queue.push(Command{Command::Kind::Add, nullptr, 0, 0}));  // still pending in the loop
  queue.release_add();
  CHECK(queue.push(Command{Command::Kind::Add, nullptr, 0, 0}));
}

TEST_CASE("drain waits for the first command only when asked") {
  CommandQueue queue(4);
  const auto start = std::chrono::steady_clock::now();
  CHECK(queue.drain(true, std::chrono::milliseconds(30)).empty());
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(25));
}
