#include "hone/registry/code_state.h"

#include <array>
#include <cstdio>

#include <unistd.h>

namespace hone::registry {
namespace {

/// The output of a fixed command line (no user input reaches the shell), or nullopt when it
/// fails.
std::optional<std::string> Output(const char* command) {
  FILE* pipe = ::popen(command, "r");
  if (pipe == nullptr) return std::nullopt;
  std::string out;
  std::array<char, 4096> buffer;
  size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
  if (::pclose(pipe) != 0) return std::nullopt;
  return out;
}

}  // namespace

std::optional<CodeState> CurrentCodeState() {
  auto head = Output("git rev-parse --verify -q HEAD 2>/dev/null");
  if (!head || head->size() < 40) return std::nullopt;
  CodeState state;
  state.commit = head->substr(0, head->find_first_of("\r\n"));
  auto status = Output("git status --porcelain --untracked-files=no 2>/dev/null");
  state.dirty = status && !status->empty();
  return state;
}

std::string HostName() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0) return "unknown";
  return name.data();
}

}  // namespace hone::registry
