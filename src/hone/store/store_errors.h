// The errors every MetaStore backend reports, written once so that both say the same thing in
// the same words (the conformance suite and the end-to-end tests check the wording).
#ifndef HONE_STORE_STORE_ERRORS_H_
#define HONE_STORE_STORE_ERRORS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hone/core/error.h"

namespace hone::store {

/// "a, b, c", or "(none)".
std::string JoinNames(const std::vector<std::string>& names);
/// How a version is named in messages and the audit log: "churn/3".
std::string VersionSubject(std::string_view model, int64_t version);

/// GetRun's argument must be 4 to 32 lower-case hex characters (kInvalidArgument otherwise).
Result<void> CheckRunIdPrefix(std::string_view id_or_prefix);
Error UnknownRun(std::string_view id);
Error AmbiguousRunPrefix(std::string_view prefix, const std::vector<std::string>& matches);

/// MLflow's wording, which its clients match: "No Experiment with id=7 exists".
Error UnknownExperiment(std::string_view id);
/// The stored id of MLflow experiment `id` (decimal text) for a change to it: kInvalidArgument
/// for "0" (Default is not stored, so it cannot change), kNotFound for text no experiment has.
Result<int64_t> ChangeableExperimentId(std::string_view id);
/// A name a created or renamed experiment may take: not empty (kInvalidArgument), not
/// "Default", which experiment 0 has (kConflict).
Result<void> CheckExperimentName(std::string_view name);

Error UnknownModel(std::string_view model, const std::vector<std::string>& known);
Error UnknownVersion(std::string_view model, int64_t version, int64_t latest);
Error UnknownParent(std::string_view model, int64_t parent);
Error UnknownAlias(std::string_view model, std::string_view alias,
                   const std::vector<std::string>& known);
/// A compare-and-swap on an alias that lost: it points at `now`, not `expected`.
Error AliasMovedFirst(std::string_view model, std::string_view alias, std::optional<int64_t> now,
                      std::optional<int64_t> expected);

}  // namespace hone::store

#endif  // HONE_STORE_STORE_ERRORS_H_
