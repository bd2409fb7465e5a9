#include "hone/store/store_errors.h"

#include <charconv>

namespace hone::store {
namespace {

std::string Position(std::optional<int64_t> version) {
  return version ? "version " + std::to_string(*version) : std::string("nothing");
}

}  // namespace

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "(none)" : out;
}

std::string VersionSubject(std::string_view model, int64_t version) {
  return std::string(model) + "/" + std::to_string(version);
}

Result<void> CheckRunIdPrefix(std::string_view id_or_prefix) {
  if (id_or_prefix.size() >= 4 && id_or_prefix.size() <= 32 &&
      id_or_prefix.find_first_not_of("0123456789abcdef") == std::string_view::npos) {
    return {};
  }
  return Fail(ErrorCode::kInvalidArgument,
              "run '" + std::string(id_or_prefix) +
                  "' is not a run id: use 4 to 32 lower-case hex characters of one");
}

Error UnknownRun(std::string_view id) {
  return Error(ErrorCode::kNotFound, "unknown run '" + std::string(id) + "'");
}

Error UnknownExperiment(std::string_view id) {
  return Error(ErrorCode::kNotFound, "No Experiment with id=" + std::string(id) + " exists");
}

Result<int64_t> ChangeableExperimentId(std::string_view id) {
  if (id == "0") {
    return Fail(ErrorCode::kInvalidArgument,
                "experiment 0 (Default) cannot be renamed, tagged or deleted");
  }
  int64_t n = 0;
  auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
  if (id.empty() || ec != std::errc() || end != id.data() + id.size() || n < 1) {
    return Fail(UnknownExperiment(id));
  }
  return n;
}

Result<void> CheckExperimentName(std::string_view name) {
  if (name.empty()) return Fail(ErrorCode::kInvalidArgument, "an experiment needs a name");
  if (name == "Default") {
    return Fail(ErrorCode::kConflict, "experiment 'Default' exists already");
  }
  return {};
}

Error AmbiguousRunPrefix(std::string_view prefix, const std::vector<std::string>& matches) {
  return Error(ErrorCode::kInvalidArgument, "run prefix '" + std::string(prefix) +
                                                "' matches several runs: " + JoinNames(matches));
}

Error UnknownModel(std::string_view model, const std::vector<std::string>& known) {
  return Error(ErrorCode::kNotFound,
               "unknown model '" + std::string(model) + "'; known: " + JoinNames(known));
}

Error UnknownVersion(std::string_view model, int64_t version, int64_t latest) {
  return Error(ErrorCode::kNotFound, "model '" + std::string(model) + "' has no version " +
                                         std::to_string(version) + "; versions are 1.." +
                                         std::to_string(latest));
}

Error UnknownParent(std::string_view model, int64_t parent) {
  return Error(ErrorCode::kNotFound, "parent version " + std::to_string(parent) + " of model '" +
                                         std::string(model) + "' does not exist");
}

Error UnknownAlias(std::string_view model, std::string_view alias,
                   const std::vector<std::string>& known) {
  return Error(ErrorCode::kNotFound, "unknown alias '" + std::string(alias) + "' for model '" +
                                         std::string(model) + "'; known: " + JoinNames(known));
}

Error AliasMovedFirst(std::string_view model, std::string_view alias, std::optional<int64_t> now,
                      std::optional<int64_t> expected) {
  return Error(ErrorCode::kConflict, "alias '" + std::string(alias) + "' of model '" +
                                         std::string(model) + "' points at " + Position(now) +
                                         ", not " + Position(expected) +
                                         " as expected: someone moved it first");
}

}  // namespace hone::store
