#include "hone/cli/daemon.h"

#include <pthread.h>

#include "hone/core/file.h"

namespace hone::cli {

StopSignals::StopSignals() {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGTERM);
  sigaddset(&signals_, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
}

const char* StopSignals::Wait() {
  int signal = 0;
  sigwait(&signals_, &signal);
  return signal == SIGTERM ? "SIGTERM" : "SIGINT";
}

Result<void> WritePortFile(const std::string& path, uint16_t port) {
  auto written = core::WriteFileAtomic(path, std::to_string(port) + "\n");
  if (!written) return Fail(written.error().WithContext("--port-file"));
  return {};
}

}  // namespace hone::cli
