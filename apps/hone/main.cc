// The hone binary: argv in, exit code out. Everything else lives in the libraries.
#include <cstdlib>
#include <iostream>

#include <unistd.h>

#include "hone/cli/cli.h"

int main(int argc, char** argv) {
  // XGBoost's OpenMP threads spin while they wait by default, which stalls training whenever
  // anything else runs on the machine (0.7 s became 30 s with 2 threads). libgomp reads
  // OMP_WAIT_POLICY once, as it loads, before main: so set it and start again. A user's own
  // setting is kept; if the restart fails, hone carries on with the default policy.
  if (std::getenv("OMP_WAIT_POLICY") == nullptr) {
    setenv("OMP_WAIT_POLICY", "passive", /*overwrite=*/1);
    execv("/proc/self/exe", argv);
  }
  return hone::cli::Run(argc, argv, std::cout, std::cerr);
}
