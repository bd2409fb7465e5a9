// What the commands that serve until stopped (hone serve, hone server) share: SIGTERM and
// SIGINT taken by a wait rather than a handler, and the port written for scripts to read.
#ifndef HONE_CLI_DAEMON_H_
#define HONE_CLI_DAEMON_H_

#include <csignal>
#include <cstdint>
#include <string>

#include "hone/core/error.h"

namespace hone::cli {

/// Blocks SIGTERM and SIGINT in the calling thread, and so in every thread it starts from then
/// on: make one before starting any, so that no server thread is interrupted and Wait takes
/// the signal.
class StopSignals {
 public:
  StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  /// Waits for SIGTERM or SIGINT; returns its name.
  const char* Wait();

 private:
  sigset_t signals_;
};

/// Writes `port` to `path` atomically, so that a script polling for the file never reads half
/// of it. kIo naming the file.
Result<void> WritePortFile(const std::string& path, uint16_t port);

}  // namespace hone::cli

#endif  // HONE_CLI_DAEMON_H_
