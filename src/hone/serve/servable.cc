#include "hone/serve/servable.h"

namespace hone::serve {

const char* VersionStateName(VersionState state) {
  switch (state) {
    case VersionState::kLoading:
      return "LOADING";
    case VersionState::kAvailable:
      return "AVAILABLE";
    case VersionState::kFailed:
      return "FAILED";
  }
  return "UNKNOWN";
}

}  // namespace hone::serve
