// Where a run comes from: the code commit of the working tree and the machine it ran on.
#ifndef HONE_REGISTRY_CODE_STATE_H_
#define HONE_REGISTRY_CODE_STATE_H_

#include <filesystem>
#include <optional>
#include <string>

namespace hone::registry {

struct CodeState {
  std::string commit;  // `git rev-parse HEAD`
  bool dirty = false;  // tracked files changed since that commit
  /// When dirty: SHA-256 of `git diff HEAD --binary`, so two different sets of uncommitted
  /// changes on one commit are told apart (the pipeline's stage keys use it).
  std::string diff_digest;
};

/// The git commit of the repository holding `dir` (default: the working directory), or nullopt
/// outside one (or without git). Untracked files (the store folder itself, data) do not make
/// the tree dirty.
std::optional<CodeState> CurrentCodeState(const std::filesystem::path& dir = {});

/// This machine's host name.
std::string HostName();

}  // namespace hone::registry

#endif  // HONE_REGISTRY_CODE_STATE_H_
