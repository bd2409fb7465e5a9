#include "hone/registry/code_state.h"

#include <array>
#include <cstdio>

#include <unistd.h>

#include "hone/core/digest.h"

namespace hone::registry {
namespace {

/// The output of a command line, or nullopt when it fails. User input reaches it only through
/// ShellQuote.
std::optional<std::string> Output(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::string out;
  std::array<char, 4096> buffer;
  size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
  if (::pclose(pipe) != 0) return std::nullopt;
  return out;
}

/// `text` as one single-quoted shell word.
std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::optional<CodeState> CurrentCodeState(const std::filesystem::path& dir) {
  const std::string git = dir.empty() ? "git" : "git -C " + ShellQuote(dir.string());
  auto head = Output(git + " rev-parse --verify -q HEAD 2>/dev/null");
  if (!head || head->size() < 40) return std::nullopt;
  CodeState state;
  state.commit = head->substr(0, head->find_first_of("\r\n"));
  auto status = Output(git + " status --porcelain --untracked-files=no 2>/dev/null");
  state.dirty = status && !status->empty();
  if (state.dirty) {
    if (auto diff = Output(git + " diff HEAD --binary 2>/dev/null")) {
      state.diff_digest = core::Sha256Hex(*diff);
    }
  }
  return state;
}

std::string HostName() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0) return "unknown";
  return name.data();
}

}  // namespace hone::registry
