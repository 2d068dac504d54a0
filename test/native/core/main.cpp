// Runs the plain C++ core tests; argv[1] is a GGUF model for the tests that need one.
#include <cstdio>

#include "check.h"
#include "core/llama-log.h"
#include "llama.h"

std::string g_model_path;

int main(int argc, char ** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: core_tests MODEL.gguf\n");
    return 2;
  }
  g_model_path = argv[1];
  orch::install_llama_log();
  llama_backend_init();
  const int rc = check::run_all();
  llama_backend_free();
  return rc;
}
