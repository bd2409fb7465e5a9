#include "hone/registry/model_ref.h"

#include <charconv>
#include <filesystem>

#include "hone/store/meta_store.h"

namespace hone::registry {
namespace {

constexpr std::string_view kForms =
    "use NAME@ALIAS, NAME/VERSION, NAME/latest, models:/NAME@ALIAS, models:/NAME/VERSION or the "
    "path of a bundle file";

Error Malformed(std::string_view text, std::string_view why) {
  return Error(ErrorCode::kInvalidArgument, "model reference '" + std::string(text) + "' " +
                                                std::string(why) + "; " + std::string(kForms));
}

/// NAME@ALIAS, NAME/VERSION or NAME/latest; nullopt when `body` has none of those shapes.
Result<std::optional<ModelRef>> ParseRegistryForm(std::string_view text, std::string_view body) {
  const size_t at = body.find('@');
  const size_t slash = body.find('/');
  ModelRef ref;
  if (at != std::string_view::npos && slash == std::string_view::npos) {
    ref.kind = ModelRef::Kind::kAlias;
    ref.model = std::string(body.substr(0, at));
    ref.alias = std::string(body.substr(at + 1));
    if (!store::IsValidName(ref.model)) return Fail(Malformed(text, "has no valid model name"));
    if (!store::IsValidName(ref.alias)) return Fail(Malformed(text, "has no valid alias"));
    return std::optional<ModelRef>(std::move(ref));
  }
  if (slash != std::string_view::npos && at == std::string_view::npos) {
    ref.model = std::string(body.substr(0, slash));
    std::string_view version = body.substr(slash + 1);
    const bool digits =
        !version.empty() && version.find_first_not_of("0123456789") == std::string_view::npos;
    if (!digits && version != "latest") {
      // "churn/v2" is a bad version; "models/churn.hone" or "/tmp/x" is a path.
      if (store::IsValidName(ref.model) && version.find_first_of("./") == std::string_view::npos) {
        return Fail(Malformed(text, "has no valid version number (1, 2, 3, …)"));
      }
      return std::optional<ModelRef>();
    }
    if (!store::IsValidName(ref.model)) return Fail(Malformed(text, "has no valid model name"));
    if (!digits) {
      ref.kind = ModelRef::Kind::kLatest;
      return std::optional<ModelRef>(std::move(ref));
    }
    ref.kind = ModelRef::Kind::kVersion;
    auto [end, ec] = std::from_chars(version.data(), version.data() + version.size(), ref.version);
    if (ec != std::errc() || end != version.data() + version.size() || ref.version < 1) {
      return Fail(Malformed(text, "has no valid version number (1, 2, 3, …)"));
    }
    return std::optional<ModelRef>(std::move(ref));
  }
  return std::optional<ModelRef>();
}

}  // namespace

std::string ModelRef::ToString() const {
  switch (kind) {
    case Kind::kAlias:
      return model + "@" + alias;
    case Kind::kVersion:
      return model + "/" + std::to_string(version);
    case Kind::kLatest:
      return model + "/latest";
    case Kind::kFile:
      return path;
  }
  return path;
}

Result<ModelRef> ParseModelRef(std::string_view text) {
  if (text.empty()) return Fail(Malformed(text, "is empty"));
  constexpr std::string_view kScheme = "models:/";
  if (text.starts_with(kScheme)) {
    HONE_ASSIGN_OR_RETURN(auto ref, ParseRegistryForm(text, text.substr(kScheme.size())));
    if (!ref) return Fail(Malformed(text, "names no version or alias"));
    return std::move(*ref);
  }
  std::error_code ec;
  if (std::filesystem::is_regular_file(std::filesystem::path(text), ec)) {
    ModelRef ref;
    ref.kind = ModelRef::Kind::kFile;
    ref.path = std::string(text);
    return ref;
  }
  HONE_ASSIGN_OR_RETURN(auto ref, ParseRegistryForm(text, text));
  if (ref) return std::move(*ref);
  if (text.find_first_of("./") != std::string_view::npos) {
    return Fail(ErrorCode::kNotFound, "no bundle file '" + std::string(text) +
                                          "', and it is not a registry reference; " +
                                          std::string(kForms));
  }
  return Fail(Malformed(text, "names no version or alias"));
}

}  // namespace hone::registry
