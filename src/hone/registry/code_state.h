// Where a run comes from: the code commit of the working tree and the machine it ran on.
#ifndef HONE_REGISTRY_CODE_STATE_H_
#define HONE_REGISTRY_CODE_STATE_H_

#include <optional>
#include <string>

namespace hone::registry {

struct CodeState {
  std::string commit;  // `git rev-parse HEAD`
  bool dirty = false;  // tracked files changed since that commit
};

/// The git commit of the working directory's repository, or nullopt outside one (or without
/// git). Untracked files (the store folder itself, data) do not make the tree dirty.
std::optional<CodeState> CurrentCodeState();

/// This machine's host name.
std::string HostName();

}  // namespace hone::registry

#endif  // HONE_REGISTRY_CODE_STATE_H_
