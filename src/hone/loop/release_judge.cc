#include "hone/loop/release_judge.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "hone/loop/triggers.h"

namespace hone::loop {
namespace {

/// One criterion compared: its figure, its limit, and the words for the reason.
struct Check {
  std::string name;  // error_rate, p99_ms, p99_ratio, metric, prediction_psi
  std::string rule;  // "immediate" or "verdict"
  double value = 0;
  double limit = 0;
  bool passed = true;
  std::string text;  // "error rate 0.03 (3/100) > 0.01"
  nlohmann::json extra = nlohmann::json::object();

  nlohmann::json ToJson() const {
    nlohmann::json out = {{"name", name},   {"rule", rule},     {"value", value},
                          {"limit", limit}, {"passed", passed}, {"text", text}};
    out.update(extra);
    return out;
  }
};

std::string Join(const std::vector<std::string>& parts, const char* separator) {
  std::string out;
  for (const std::string& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

nlohmann::json OptionalJson(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

std::string Seconds(double s) { return FormatFigure(s) + " s"; }

Check P99Limit(const char* rule, double p99_ms, double limit_ms) {
  const bool ok = !(p99_ms > limit_ms);
  return {"p99_ms",
          rule,
          p99_ms,
          limit_ms,
          ok,
          "p99 " + FormatFigure(p99_ms) + " ms " + (ok ? "<= " : "> ") + FormatFigure(limit_ms) +
              " ms"};
}

Check P99Ratio(const char* rule, double p99_ms, double production_p99_ms, double ratio) {
  const double limit = ratio * production_p99_ms;
  const bool ok = !(p99_ms > limit);
  return {"p99_ratio",
          rule,
          p99_ms,
          limit,
          ok,
          "p99 " + FormatFigure(p99_ms) + " ms " + (ok ? "<= " : "> ") + FormatFigure(ratio) +
              " x production's " + FormatFigure(production_p99_ms) + " ms",
          {{"production_p99_ms", production_p99_ms}, {"p99_ratio", ratio}}};
}

/// The checks that roll a candidate back before its evidence is sufficient.
std::vector<Check> ImmediateChecks(const pipeline::ReleaseSpec& spec, const ReleaseEvidence& ev) {
  const VersionEvidence& c = ev.candidate;
  const VersionEvidence& p = ev.production;
  std::vector<Check> checks;
  if (c.requests >= kMinRequestsForErrorRate) {
    const double lower = WilsonLowerBound(c.errors, c.requests);
    const bool ok = !(lower > spec.max_error_rate);
    checks.push_back({"error_rate",
                      "immediate",
                      lower,
                      spec.max_error_rate,
                      ok,
                      "error rate " + std::to_string(c.errors) + "/" + std::to_string(c.requests) +
                          " (at least " + FormatFigure(lower) + " at 95% confidence) " +
                          (ok ? "<=" : ">") + " " + FormatFigure(spec.max_error_rate),
                      {{"errors", c.errors}, {"requests", c.requests}}});
  }
  if (c.requests >= kMinRequestsForLatency && c.p99_ms && spec.max_p99_ms > 0) {
    checks.push_back(P99Limit("immediate", *c.p99_ms, spec.max_p99_ms));
  }
  if (c.requests >= kMinRequestsForLatency && p.requests >= kMinRequestsForLatency && c.p99_ms &&
      p.p99_ms && spec.p99_ratio > 0) {
    checks.push_back(P99Ratio("immediate", *c.p99_ms, *p.p99_ms, spec.p99_ratio));
  }
  return checks;
}

/// The checks of the verdict once the evidence is sufficient; `skipped` collects the criteria
/// that could not be compared and why.
std::vector<Check> VerdictChecks(const pipeline::ReleaseSpec& spec, const ReleaseEvidence& ev,
                                 std::vector<std::string>& skipped) {
  const VersionEvidence& c = ev.candidate;
  const VersionEvidence& p = ev.production;
  std::vector<Check> checks;
  if (c.requests > 0) {
    const double rate = static_cast<double>(c.errors) / static_cast<double>(c.requests);
    const bool ok = !(rate > spec.max_error_rate);
    checks.push_back({"error_rate",
                      "verdict",
                      rate,
                      spec.max_error_rate,
                      ok,
                      "error rate " + FormatFigure(rate) + " (" + std::to_string(c.errors) + "/" +
                          std::to_string(c.requests) + ") " + (ok ? "<=" : ">") + " " +
                          FormatFigure(spec.max_error_rate),
                      {{"errors", c.errors}, {"requests", c.requests}}});
  } else {
    skipped.push_back("error rate: no requests");
  }
  if (c.p99_ms && spec.max_p99_ms > 0) {
    checks.push_back(P99Limit("verdict", *c.p99_ms, spec.max_p99_ms));
  }
  if (c.p99_ms && p.p99_ms && spec.p99_ratio > 0) {
    checks.push_back(P99Ratio("verdict", *c.p99_ms, *p.p99_ms, spec.p99_ratio));
  } else if (spec.p99_ratio > 0) {
    skipped.push_back("p99 ratio: no latency figure");
  }
  const uint64_t needed = spec.min_labels > 0 ? spec.min_labels : kMinLabelsForMetric;
  if (c.labels >= needed && p.labels >= needed && c.metric && p.metric &&
      std::isfinite(*c.metric) && std::isfinite(*p.metric)) {
    const double worse = ev.higher_is_better ? *p.metric - *c.metric : *c.metric - *p.metric;
    const double allowed = spec.metric_margin * std::fabs(*p.metric);
    const bool ok = !(worse > allowed);
    const std::string name = ev.metric.empty() ? "metric" : ev.metric;
    checks.push_back({"metric",
                      "verdict",
                      *c.metric,
                      ev.higher_is_better ? *p.metric - allowed : *p.metric + allowed,
                      ok,
                      name + " " + FormatFigure(*c.metric) + (ok ? " within " : " more than ") +
                          FormatFigure(spec.metric_margin * 100) + (ok ? "% of" : "% worse than") +
                          " production's " + FormatFigure(*p.metric),
                      {{"metric", ev.metric},
                       {"higher_is_better", ev.higher_is_better},
                       {"production", *p.metric},
                       {"margin", spec.metric_margin},
                       {"candidate_labels", c.labels},
                       {"production_labels", p.labels}}});
  } else {
    skipped.push_back("metric: " + std::to_string(c.labels) + " candidate and " +
                      std::to_string(p.labels) + " production labels (" + std::to_string(needed) +
                      " needed on each side)");
  }
  // A candidate trained on data that moved is meant to answer differently from production:
  // when the live metric could judge both, it decides, and the prediction PSI is only shown.
  const bool metric_judged = !checks.empty() && checks.back().name == "metric";
  if (ev.prediction_psi && metric_judged) {
    skipped.push_back("prediction PSI " + FormatFigure(*ev.prediction_psi) +
                      " vs production: not judged, the live metric decides");
  } else if (ev.prediction_psi) {
    const bool ok = *ev.prediction_psi < spec.max_prediction_psi;
    checks.push_back({"prediction_psi", "verdict", *ev.prediction_psi, spec.max_prediction_psi, ok,
                      "prediction PSI " + FormatFigure(*ev.prediction_psi) + " vs production " +
                          (ok ? "< " : ">= ") + FormatFigure(spec.max_prediction_psi)});
  } else {
    skipped.push_back("prediction PSI: too few predictions");
  }
  return checks;
}

Judgment Verdict(ReleaseVerdict verdict, std::string reason, nlohmann::json evidence) {
  return Judgment{verdict, std::move(reason), std::move(evidence)};
}

}  // namespace

const char* CandidateStatusName(CandidateStatus status) {
  switch (status) {
    case CandidateStatus::kServing:
      return "serving";
    case CandidateStatus::kLoading:
      return "loading";
    case CandidateStatus::kMissing:
      return "missing";
    case CandidateStatus::kLoadFailed:
      return "load_failed";
  }
  return "unknown";
}

const char* ReleaseVerdictName(ReleaseVerdict verdict) {
  switch (verdict) {
    case ReleaseVerdict::kWait:
      return "wait";
    case ReleaseVerdict::kPromote:
      return "promote";
    case ReleaseVerdict::kRollback:
      return "rollback";
  }
  return "unknown";
}

nlohmann::json VersionEvidence::ToJson() const {
  return {{"requests", requests},
          {"errors", errors},
          {"p99_ms", OptionalJson(p99_ms)},
          {"labels", labels},
          {"metric", OptionalJson(metric)}};
}

nlohmann::json ReleaseEvidence::ToJson() const {
  return {{"candidate_status", CandidateStatusName(candidate_status)},
          {"status_detail", status_detail},
          {"metric", metric},
          {"higher_is_better", higher_is_better},
          {"candidate", candidate.ToJson()},
          {"production", production.ToJson()},
          {"prediction_psi", OptionalJson(prediction_psi)}};
}

double WilsonLowerBound(uint64_t errors, uint64_t requests) {
  if (errors == 0 || requests == 0) return 0;  // exactly, not a rounding error above it
  constexpr double z = 1.959963984540054;
  const double n = static_cast<double>(requests);
  const double p = static_cast<double>(std::min(errors, requests)) / n;
  const double center = p + z * z / (2 * n);
  const double spread = z * std::sqrt(p * (1 - p) / n + z * z / (4 * n * n));
  return std::max(0.0, (center - spread) / (1 + z * z / n));
}

Judgment JudgeRelease(const pipeline::ReleaseSpec& spec, double elapsed_seconds,
                      const ReleaseEvidence* ev) {
  nlohmann::json evidence = {{"elapsed_seconds", elapsed_seconds},
                             {"min_seconds", spec.min_seconds},
                             {"max_seconds", spec.max_seconds}};
  const bool expired = elapsed_seconds >= spec.max_seconds;
  const std::string clock =
      Seconds(elapsed_seconds) + " (max_seconds " + FormatFigure(spec.max_seconds) + ")";
  if (ev == nullptr) {
    if (expired) {
      return Verdict(ReleaseVerdict::kRollback, "no live evidence after " + clock, evidence);
    }
    return Verdict(ReleaseVerdict::kWait, "waiting for the first live evidence", evidence);
  }
  evidence.update(ev->ToJson());
  const std::string detail = ev->status_detail.empty() ? "" : ": " + ev->status_detail;
  if (ev->candidate_status == CandidateStatus::kMissing) {
    return Verdict(ReleaseVerdict::kRollback, "the candidate is gone from the registry" + detail,
                   evidence);
  }
  if (ev->candidate_status == CandidateStatus::kLoadFailed) {
    return Verdict(ReleaseVerdict::kRollback, "the candidate failed to load" + detail, evidence);
  }

  std::vector<Check> checks = ImmediateChecks(spec, *ev);
  std::vector<std::string> failed;
  nlohmann::json listed = nlohmann::json::array();
  for (const Check& check : checks) {
    listed.push_back(check.ToJson());
    if (!check.passed) failed.push_back(check.text);
  }
  evidence["checks"] = listed;
  if (!failed.empty()) {
    return Verdict(ReleaseVerdict::kRollback, "at once: " + Join(failed, "; "), evidence);
  }

  const VersionEvidence& c = ev->candidate;
  const VersionEvidence& p = ev->production;
  std::vector<std::string> missing;
  if (c.requests < spec.min_requests) {
    missing.push_back(std::to_string(c.requests) + "/" + std::to_string(spec.min_requests) +
                      " requests");
  }
  if (elapsed_seconds < spec.min_seconds) {
    missing.push_back(FormatFigure(elapsed_seconds) + "/" + FormatFigure(spec.min_seconds) + " s");
  }
  if (spec.min_labels > 0 && c.labels < spec.min_labels) {
    missing.push_back(std::to_string(c.labels) + "/" + std::to_string(spec.min_labels) +
                      " candidate labels");
  }
  if (spec.min_labels > 0 && p.labels < spec.min_labels) {
    missing.push_back(std::to_string(p.labels) + "/" + std::to_string(spec.min_labels) +
                      " production labels");
  }
  evidence["sufficient"] = {{"sufficient", missing.empty()},
                            {"requests", c.requests},
                            {"min_requests", spec.min_requests},
                            {"candidate_labels", c.labels},
                            {"production_labels", p.labels},
                            {"min_labels", spec.min_labels},
                            {"missing", missing}};
  if (!missing.empty()) {
    if (ev->candidate_status == CandidateStatus::kLoading) missing.push_back("candidate loading");
    if (expired) {
      return Verdict(ReleaseVerdict::kRollback,
                     "not enough evidence after " + clock + ": " + Join(missing, ", "), evidence);
    }
    return Verdict(ReleaseVerdict::kWait, "waiting for evidence: " + Join(missing, ", "), evidence);
  }

  std::vector<std::string> skipped;
  std::vector<std::string> passed;
  for (const Check& check : VerdictChecks(spec, *ev, skipped)) {
    listed.push_back(check.ToJson());
    (check.passed ? passed : failed).push_back(check.text);
  }
  evidence["checks"] = listed;
  evidence["skipped"] = skipped;
  if (!failed.empty()) {
    return Verdict(ReleaseVerdict::kRollback, Join(failed, "; "), evidence);
  }
  return Verdict(ReleaseVerdict::kPromote,
                 "all criteria met over " + std::to_string(c.requests) + " requests in " +
                     Seconds(elapsed_seconds) + ": " + Join(passed, "; "),
                 evidence);
}

}  // namespace hone::loop
