#include "hone/core/process.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

namespace hone::core {
namespace {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

// How long a process group has between SIGTERM and SIGKILL.
constexpr Millis kTermGrace{5000};
// How often the cancel flag is looked at while the command runs.
constexpr Millis kCancelPoll{50};
constexpr size_t kTailLines = 20;
constexpr size_t kTailBytes = 4096;

std::string ErrnoText(int error) { return std::generic_category().message(error); }

// Closes a descriptor on every path out of a function.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Reset(-1); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    Reset(std::exchange(other.fd_, -1));
    return *this;
  }
  int get() const { return fd_; }

 private:
  void Reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  int fd_;
};

// Moves `fd` above 0, 1 and 2, so that the child's dup2 onto those never meets it (a parent
// that closed its standard streams hands out those numbers first).
Fd AboveStdio(Fd fd) {
  if (fd.get() < 0 || fd.get() > 2) return fd;
  return Fd(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3));
}

// The inherited environment with `extra` added, each replacing a variable of the same name.
Result<std::vector<std::string>> BuildEnvironment(
    const std::vector<std::pair<std::string, std::string>>& extra) {
  for (const auto& [name, value] : extra) {
    if (name.empty() || name.find_first_of(std::string_view("=\0", 2)) != std::string::npos ||
        value.find('\0') != std::string::npos) {
      return Fail(ErrorCode::kInvalidArgument,
                  "environment variable '" + name +
                      "': a name is not empty and has no '=', and neither has a NUL byte");
    }
  }
  std::vector<std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text = *entry;
    std::string_view name = text.substr(0, text.find('='));
    bool replaced =
        std::any_of(extra.begin(), extra.end(), [&](const auto& e) { return e.first == name; });
    if (!replaced) env.emplace_back(text);
  }
  size_t inherited = env.size();
  for (const auto& [name, value] : extra) {
    std::string entry = name + "=" + value;
    // A name given twice: the later value wins. (The prefix is a plain variable: clang 14,
    // which builds the fuzz targets, cannot capture a structured binding.)
    const std::string prefix = name + "=";
    auto same = std::find_if(env.begin() + static_cast<ptrdiff_t>(inherited), env.end(),
                             [&](const std::string& e) { return e.starts_with(prefix); });
    if (same != env.end()) {
      *same = std::move(entry);
    } else {
      env.push_back(std::move(entry));
    }
  }
  return env;
}

// The last lines of the log, or nothing when it cannot be read.
std::string ReadLogTail(const std::filesystem::path& log) {
  Fd fd(::open(log.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return {};
  off_t size = ::lseek(fd.get(), 0, SEEK_END);
  if (size < 0) return {};
  // One byte more than the tail may hold, to see whether its first line starts whole.
  off_t begin = std::max<off_t>(0, size - static_cast<off_t>(kTailBytes) - 1);
  std::string text(static_cast<size_t>(size - begin), '\0');
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n =
        ::pread(fd.get(), text.data() + done, text.size() - done, begin + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  text.resize(done);
  // The extra byte, when the file has it, tells TailLines whether the window starts a line.
  return TailLines(text, kTailLines, kTailBytes);
}

// Watches one child for its exit without reaping it, so that its ID (which is also its process
// group's) stays taken until the group has been signalled for the last time.
class ExitWatch {
 public:
  explicit ExitWatch(pid_t pid)
      : pid_(pid), pidfd_(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))) {}

  /// True once the child has exited; waits at most `limit` (nullopt: for as long as it takes).
  bool Wait(std::optional<Clock::duration> limit) {
    if (Exited()) return true;
    if (pidfd_.get() >= 0) {
      int ms = -1;
      if (limit) {
        // Rounded up, so that a deadline is never polled for with a zero timeout in a loop.
        auto up = std::chrono::ceil<Millis>(std::max(*limit, Clock::duration::zero()));
        ms = static_cast<int>(std::min<Millis::rep>(up.count(), 1 << 30));
      }
      pollfd p{pidfd_.get(), POLLIN, 0};
      ::poll(&p, 1, ms);  // EINTR or a timeout: the caller's loop looks again
      return Exited();
    }
    // No pidfd (a kernel before 5.3, or a sandbox that forbids it): look every 10 ms.
    auto deadline = limit ? Clock::now() + *limit : Clock::time_point::max();
    while (!Exited()) {
      auto left = deadline - Clock::now();
      if (left <= Clock::duration::zero()) return false;
      auto nap = std::min<Clock::duration>(left, Millis(10));
      timespec ts{0, static_cast<long>(std::chrono::nanoseconds(nap).count())};
      ::nanosleep(&ts, nullptr);
    }
    return true;
  }

 private:
  bool Exited() const {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
      return errno != EINTR;  // ECHILD: someone else reaped it; waiting longer cannot help
    }
    return info.si_pid == pid_;
  }

  pid_t pid_;
  Fd pidfd_;
};

// Starts `/bin/sh -c command` in a process group of its own.
Result<pid_t> Spawn(const ProcessRequest& request, const std::vector<std::string>& env, int log,
                    int dir) {
  std::vector<char*> envp;
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  char sh[] = "sh";
  char dash_c[] = "-c";
  char* argv[] = {sh, dash_c, const_cast<char*>(request.command.c_str()), nullptr};

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  if (dir >= 0) posix_spawn_file_actions_addfchdir_np(&actions, dir);
  posix_spawn_file_actions_adddup2(&actions, log, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, log, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  // The command starts as a fresh program would: no blocked signals, every handler default (a
  // server ignores SIGPIPE, say, and its children should not).
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, "/bin/sh", &actions, &attr, argv, envp.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return Fail(ErrorCode::kIo,
                "cannot start /bin/sh for command '" + request.command + "': " + ErrnoText(rc));
  }
  return pid;
}

}  // namespace

Result<ProcessResult> RunProcess(const ProcessRequest& request) {
  const auto start = Clock::now();
  if (request.command.find('\0') != std::string::npos) {
    return Fail(ErrorCode::kInvalidArgument, "the command holds a NUL byte");
  }
  HONE_ASSIGN_OR_RETURN(std::vector<std::string> env, BuildEnvironment(request.env));
  Fd log = AboveStdio(
      Fd(::open(request.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644)));
  if (log.get() < 0) {
    return Fail(ErrorCode::kIo,
                "cannot open the log '" + request.log.string() + "': " + ErrnoText(errno));
  }
  ProcessResult result;
  Fd dir;
  if (!request.workdir.empty()) {
    dir = AboveStdio(Fd(::open(request.workdir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)));
    if (dir.get() < 0) {
      // As a shell reports a command it cannot run: exit status 127 and a line in the log.
      std::string line = "hone: cannot enter the working directory '" + request.workdir.string() +
                         "': " + ErrnoText(errno) + "\n";
      // Should the write fail, the exit status still tells.
      [[maybe_unused]] ssize_t written = ::write(log.get(), line.data(), line.size());
      result.exit_code = 127;
      result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
      result.log_tail = ReadLogTail(request.log);
      return result;
    }
  }
  HONE_ASSIGN_OR_RETURN(pid_t pid, Spawn(request, env, log.get(), dir.get()));
  log = Fd();
  dir = Fd();

  // From here every path reaps the child: nothing returns early.
  ExitWatch watch(pid);
  std::optional<Clock::time_point> deadline;
  if (request.timeout_seconds > 0) {
    // Capped at about a century, which keeps the conversion in range.
    double seconds = std::min(request.timeout_seconds, 3.2e9);
    deadline =
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  }
  bool exited = false;
  while (!exited) {
    if (request.cancel != nullptr && request.cancel->load()) {
      result.cancelled = true;
      break;
    }
    std::optional<Clock::duration> limit;
    if (deadline) {
      auto left = *deadline - Clock::now();
      if (left <= Clock::duration::zero()) {
        result.timed_out = true;
        break;
      }
      limit = left;
    }
    if (request.cancel != nullptr) {
      limit = std::min<Clock::duration>(limit.value_or(kCancelPoll), kCancelPoll);
    }
    exited = watch.Wait(limit);
  }
  if (!exited) {
    ::kill(-pid, SIGTERM);
    if (!watch.Wait(kTermGrace)) {
      ::kill(-pid, SIGKILL);
      watch.Wait(std::nullopt);
    }
  }
  // Whatever the command left running in its group (a `server &`) ends with it. The leader is
  // not reaped yet, so the group's ID cannot have passed to another group.
  ::kill(-pid, SIGKILL);
  int status = 0;
  pid_t reaped = -1;
  do {
    reaped = ::waitpid(pid, &status, 0);
  } while (reaped < 0 && errno == EINTR);
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.log_tail = ReadLogTail(request.log);
  if (reaped != pid) {
    return Fail(ErrorCode::kInternal, "the process of command '" + request.command +
                                          "' was reaped elsewhere: " + ErrnoText(errno));
  }
  result.exit_code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
  return result;
}

std::string TailLines(std::string_view text, size_t max_lines, size_t max_bytes) {
  if (max_lines == 0 || max_bytes == 0) return {};
  // A final newline ends the last line rather than starting an empty one.
  size_t body = text.ends_with('\n') ? text.size() - 1 : text.size();
  size_t start = 0;
  size_t lines = 0;
  for (size_t i = body; i-- > 0;) {
    if (text[i] == '\n' && ++lines == max_lines) {
      start = i + 1;
      break;
    }
  }
  if (text.size() - start > max_bytes) {
    size_t cut = text.size() - max_bytes;
    // Whole lines when at least one fits; else the end of the last line alone.
    size_t newline = text[cut - 1] == '\n' ? cut - 1 : text.find('\n', cut);
    if (newline < body) {
      cut = newline + 1;
    } else {
      // Not inside a UTF-8 character.
      while (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) ++cut;
    }
    start = cut;
  }
  return std::string(text.substr(start));
}

}  // namespace hone::core
