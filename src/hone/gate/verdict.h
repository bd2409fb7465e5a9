// The outcome of data checks and model gates: one CheckResult per check (one JUnit testcase),
// and a Verdict over all of them. A candidate is blessed when no check of severity `error`
// failed.
#ifndef HONE_GATE_VERDICT_H_
#define HONE_GATE_VERDICT_H_

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "hone/core/error.h"

namespace hone::gate {

/// `error` stops the pipeline when the check fails; `warn` only reports.
enum class Severity { kError, kWarn };
const char* SeverityName(Severity severity);
/// "error" or "warn"; the error lists both.
Result<Severity> ParseSeverity(std::string_view text);

struct CheckResult {
  /// "data" for a data check, "model" for a gate.
  std::string stage;
  /// What was checked, as a user reads it: "row_count >= 500", "nulls(sqft) <= 0.05",
  /// "rmse no_worse_than champion (margin 0.01)".
  std::string name;
  Severity severity = Severity::kError;
  bool passed = true;
  /// The value found and the bound it was held to, as text ("0.123", "<= 0.1"); either may be
  /// empty when it does not apply (a schema check).
  std::string observed;
  std::string threshold;
  /// One sentence: why it failed, or what passing means ("no column drifted").
  std::string reason;
  /// Figures behind the decision (confidence interval, p-value, per-column values).
  nlohmann::json detail = nlohmann::json::object();

  nlohmann::json ToJson() const;
  static Result<CheckResult> FromJson(const nlohmann::json& json);
};

struct Verdict {
  bool blessed = true;
  std::vector<CheckResult> checks;

  /// The checks that failed with severity `error`.
  std::vector<const CheckResult*> Failures() const;
  nlohmann::json ToJson() const;
  /// Reads what ToJson wrote (a run's verdict.json); kInvalidData naming the bad member.
  static Result<Verdict> FromJson(const nlohmann::json& json);
};

/// A verdict over `checks`: blessed unless an `error` check failed.
Verdict Decide(std::vector<CheckResult> checks);

}  // namespace hone::gate

#endif  // HONE_GATE_VERDICT_H_
