// Ctrl-C and SIGTERM for commands that run long (hone run, hone watch): the first asks the work
// to stop (a command stage is ended, the run recorded as killed); a second one ends hone at
// once.
#ifndef HONE_CLI_INTERRUPT_H_
#define HONE_CLI_INTERRUPT_H_

#include <atomic>
#include <csignal>

namespace hone::cli {

/// Installs the handlers for its lifetime and restores the previous ones after.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  /// Set once a signal came.
  const std::atomic<bool>* cancel() const;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

}  // namespace hone::cli

#endif  // HONE_CLI_INTERRUPT_H_
