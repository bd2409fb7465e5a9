#include "hone/gate/verdict.h"

namespace hone::gate {

const char* SeverityName(Severity severity) {
  return severity == Severity::kError ? "error" : "warn";
}

Result<Severity> ParseSeverity(std::string_view text) {
  if (text == "error") return Severity::kError;
  if (text == "warn" || text == "warning") return Severity::kWarn;
  return Fail(ErrorCode::kInvalidArgument,
              "unknown severity '" + std::string(text) + "'; use error or warn");
}

nlohmann::json CheckResult::ToJson() const {
  return {{"stage", stage},   {"name", name},         {"severity", SeverityName(severity)},
          {"passed", passed}, {"observed", observed}, {"threshold", threshold},
          {"reason", reason}, {"detail", detail}};
}

Result<CheckResult> CheckResult::FromJson(const nlohmann::json& json) {
  auto text = [&](const char* key) -> Result<std::string> {
    if (!json.contains(key) || !json[key].is_string()) {
      return Fail(ErrorCode::kInvalidData, std::string("verdict check lacks a text '") + key + "'");
    }
    return json[key].get<std::string>();
  };
  CheckResult c;
  HONE_ASSIGN_OR_RETURN(c.stage, text("stage"));
  HONE_ASSIGN_OR_RETURN(c.name, text("name"));
  HONE_ASSIGN_OR_RETURN(std::string severity, text("severity"));
  HONE_ASSIGN_OR_RETURN(c.severity, ParseSeverity(severity));
  if (!json.contains("passed") || !json["passed"].is_boolean()) {
    return Fail(ErrorCode::kInvalidData, "verdict check '" + c.name + "' lacks 'passed'");
  }
  c.passed = json["passed"].get<bool>();
  HONE_ASSIGN_OR_RETURN(c.observed, text("observed"));
  HONE_ASSIGN_OR_RETURN(c.threshold, text("threshold"));
  HONE_ASSIGN_OR_RETURN(c.reason, text("reason"));
  if (json.contains("detail")) c.detail = json["detail"];
  return c;
}

Result<Verdict> Verdict::FromJson(const nlohmann::json& json) {
  if (!json.is_object() || !json.contains("checks") || !json["checks"].is_array()) {
    return Fail(ErrorCode::kInvalidData, "a verdict is an object with a 'checks' list");
  }
  std::vector<CheckResult> checks;
  for (const nlohmann::json& item : json["checks"]) {
    HONE_ASSIGN_OR_RETURN(CheckResult c, CheckResult::FromJson(item));
    checks.push_back(std::move(c));
  }
  return Decide(std::move(checks));
}

std::vector<const CheckResult*> Verdict::Failures() const {
  std::vector<const CheckResult*> out;
  for (const CheckResult& c : checks) {
    if (!c.passed && c.severity == Severity::kError) out.push_back(&c);
  }
  return out;
}

nlohmann::json Verdict::ToJson() const {
  nlohmann::json list = nlohmann::json::array();
  for (const CheckResult& c : checks) list.push_back(c.ToJson());
  return {{"blessed", blessed}, {"checks", std::move(list)}};
}

Verdict Decide(std::vector<CheckResult> checks) {
  Verdict v;
  v.checks = std::move(checks);
  v.blessed = v.Failures().empty();
  return v;
}

}  // namespace hone::gate
