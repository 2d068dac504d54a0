// A minimal test harness for the plain C++ core tests: named cases, CHECK, a summary line.
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace check {

struct Case {
  const char * name;
  std::function<void()> body;
};

inline std::vector<Case> & cases() {
  static std::vector<Case> all;
  return all;
}

inline int & failures() {
  static int n = 0;
  return n;
}

struct Register {
  Register(const char * name, std::function<void()> body) { cases().push_back({name, std::move(body)}); }
};

inline int run_all() {
  int passed = 0;
  int failed = 0;
  for (const auto & c : cases()) {
    const int before = failures();
    c.body();
    const bool ok = failures() == before;
    std::printf("%s - %s\n", ok ? "ok" : "not ok", c.name);
    (ok ? passed : failed)++;
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace check

#define CHECK_CONCAT2(a, b) a##b
#define CHECK_CONCAT(a, b) CHECK_CONCAT2(a, b)
#define TEST_CASE(name) \
  static void CHECK_CONCAT(test_, __LINE__)(); \
  static check::Register CHECK_CONCAT(reg_, __LINE__)(name, CHECK_CONCAT(test_, __LINE__)); \
  static void CHECK_CONCAT(test_, __LINE__)()

#define CHECK(cond)                                                         \
  do {                                                                      \
    if (!(cond)) {                                                          \
      std::printf("  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++check::failures();                                                  \
    }                                                                       \
  } while (0)

#define CHECK_EQ(a, b) CHECK((a) == (b))
