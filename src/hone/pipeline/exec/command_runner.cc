#include "hone/pipeline/exec/command_runner.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <system_error>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace hone::pipeline::exec {
namespace {

std::string ErrnoText(int error) { return std::generic_category().message(error); }

class SystemRunner final : public CommandRunner {
 public:
  Result<CommandOutput> Run(const std::vector<std::string>& argv, const Env& env) override {
    if (argv.empty()) return Fail(ErrorCode::kInvalidArgument, "no command to run");
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return Fail(ErrorCode::kIo, "pipe: " + ErrnoText(errno));
    if (::pipe2(err, O_CLOEXEC) != 0) {
      const int e = errno;
      ::close(out[0]);
      ::close(out[1]);
      return Fail(ErrorCode::kIo, "pipe: " + ErrnoText(e));
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    std::vector<char*> raw;
    std::vector<std::string> args = argv;
    for (std::string& a : args) raw.push_back(a.data());
    raw.push_back(nullptr);
    // The environment: the inherited one without the names `env` sets, then `env`.
    std::vector<std::string> vars;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string_view var(*e);
      const bool replaced = std::any_of(env.begin(), env.end(), [&](const auto& kv) {
        return var.size() > kv.first.size() && var.starts_with(kv.first) &&
               var[kv.first.size()] == '=';
      });
      if (!replaced) vars.emplace_back(var);
    }
    for (const auto& [name, value] : env) vars.push_back(name + "=" + value);
    std::vector<char*> envp;
    for (std::string& v : vars) envp.push_back(v.data());
    envp.push_back(nullptr);
    pid_t pid = -1;
    const int spawned = ::posix_spawnp(&pid, raw[0], &actions, nullptr, raw.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    ::close(err[1]);
    CommandOutput result;
    if (spawned == 0) {
      pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
      std::string* sinks[2] = {&result.out, &result.err};
      int open = 2;
      char buffer[4096];
      while (open > 0) {
        if (::poll(fds, 2, -1) < 0) {
          if (errno == EINTR) continue;
          break;
        }
        for (int i = 0; i < 2; ++i) {
          if (fds[i].fd < 0 || fds[i].revents == 0) continue;
          const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
          if (n > 0) {
            sinks[i]->append(buffer, static_cast<size_t>(n));
          } else if (n == 0 || errno != EINTR) {
            fds[i].fd = -1;
            --open;
          }
        }
      }
    }
    ::close(out[0]);
    ::close(err[0]);
    if (spawned != 0) {
      return Fail(ErrorCode::kIo, "cannot run " + argv[0] + ": " + ErrnoText(spawned));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_code = WIFEXITED(status)     ? WEXITSTATUS(status)
                       : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                             : -1;
    return result;
  }
};

}  // namespace

std::unique_ptr<CommandRunner> SystemCommandRunner() { return std::make_unique<SystemRunner>(); }

}  // namespace hone::pipeline::exec
