// References to a model as users write them: `churn@production`, `churn/3`, `churn/latest`,
// MLflow's `models:/churn@production` and `models:/churn/3`, or a bundle file's path.
#ifndef HONE_REGISTRY_MODEL_REF_H_
#define HONE_REGISTRY_MODEL_REF_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "hone/core/error.h"

namespace hone::registry {

struct ModelRef {
  enum class Kind { kAlias, kVersion, kLatest, kFile };
  Kind kind = Kind::kFile;
  std::string model;    // kAlias, kVersion, kLatest
  std::string alias;    // kAlias
  int64_t version = 0;  // kVersion
  std::string path;     // kFile

  /// The reference in hone's own form: "churn@production", "churn/3", or the path.
  std::string ToString() const;
};

/// Parses a reference. `models:/…` is always a registry reference; otherwise text that names an
/// existing file is that file, and `NAME@ALIAS` / `NAME/VERSION` / `NAME/latest` are registry
/// references. Anything else is kInvalidArgument listing the accepted forms.
Result<ModelRef> ParseModelRef(std::string_view text);

}  // namespace hone::registry

#endif  // HONE_REGISTRY_MODEL_REF_H_
