#include "hone/gate/model_gates.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <utility>

#include "hone/gate/bootstrap.h"
#include "hone/learn/evaluate.h"

namespace hone::gate {
namespace {

using bootstrap_internal::FindMetric;
using bootstrap_internal::PairedBootstrap;
using bootstrap_internal::PairedStatistics;

struct Direction {
  std::string_view metric;
  bool higher_is_better;
};
constexpr std::array<Direction, 20> kDirections = {{
    {"r2", true},
    {"accuracy", true},
    {"precision", true},
    {"precision_macro", true},
    {"precision_weighted", true},
    {"recall", true},
    {"recall_macro", true},
    {"recall_weighted", true},
    {"f1", true},
    {"f1_macro", true},
    {"f1_weighted", true},
    {"roc_auc", true},
    {"rmse", false},
    {"mae", false},
    {"mape", false},
    {"log_loss", false},
    {"p50_latency_us", false},
    {"p99_latency_us", false},
    {"model_bytes", false},
    {"train_seconds", false},
}};

constexpr std::string_view kCvPrefix = "cv_";

constexpr std::string_view kThresholdForm =
    "write METRIC OP NUMBER, e.g. 'r2 >= 0.8' or 'p99_latency_us < 500', with OP one of >=, >, "
    "<=, <";

// Figures in sentences: whole numbers as integers (model_bytes), others to 4 significant digits.
std::string Number(double value, bool sign = false) {
  char buffer[64];
  if (std::isfinite(value) && value == std::trunc(value) && std::abs(value) < 1e15) {
    std::snprintf(buffer, sizeof buffer, sign ? "%+.0f" : "%.0f", value);
  } else {
    std::snprintf(buffer, sizeof buffer, sign ? "%+.4g" : "%.4g", value);
  }
  return buffer;
}

std::string Percent(double fraction) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4g%%", fraction * 100);
  return buffer;
}

std::string Names(const learn::MetricList& metrics) {
  std::string out;
  for (const auto& [name, value] : metrics) out += (out.empty() ? "" : ", ") + name;
  return out.empty() ? "none" : out;
}

Result<void> CheckShapes(const PairedPredictions& pairs, const BootstrapOptions& options,
                         size_t width) {
  const size_t n = pairs.y.size();
  if (n == 0) return Fail(ErrorCode::kInvalidArgument, "no holdout rows to compare models on");
  if (n > std::numeric_limits<uint32_t>::max()) {
    return Fail(ErrorCode::kUnsupported,
                "cannot compare models on " + std::to_string(n) + " rows; at most 2^32 - 1");
  }
  for (const auto& [name, outputs] :
       {std::pair{"candidate", pairs.candidate}, std::pair{"champion", pairs.champion}}) {
    if (outputs.size() != n * width) {
      return Fail(ErrorCode::kInvalidArgument,
                  std::string("the ") + name + " has " + std::to_string(outputs.size()) +
                      " outputs for " + std::to_string(n) + " rows; expected " +
                      std::to_string(width) + " per row");
    }
  }
  for (size_t i = 0; i < n; ++i) {
    const float label = pairs.y[i];
    const bool valid =
        pairs.target.task == learn::Task::kRegression
            ? std::isfinite(label)
            : label >= 0 && label < static_cast<float>(width) && label == std::trunc(label);
    if (!valid) {
      return Fail(ErrorCode::kInvalidArgument,
                  "holdout row " + std::to_string(i + 1) + " has label " + Number(label) +
                      (pairs.target.task == learn::Task::kRegression
                           ? ", which is not a finite number"
                           : ", which is not a class index in [0, " + std::to_string(width) + ")"));
    }
  }
  if (options.resamples < 1) {
    return Fail(ErrorCode::kInvalidArgument,
                "bootstrap resamples must be at least 1, not " + std::to_string(options.resamples));
  }
  if (!(options.confidence > 0 && options.confidence < 1)) {
    return Fail(ErrorCode::kInvalidArgument,
                "bootstrap confidence must lie strictly between 0 and 1 (0.95 for 95%), not " +
                    Number(options.confidence));
  }
  return {};
}

}  // namespace

Result<bool> HigherIsBetter(std::string_view metric) {
  std::string_view base = metric;
  if (base.starts_with(kCvPrefix)) base.remove_prefix(kCvPrefix.size());
  for (const Direction& d : kDirections) {
    if (d.metric == base) return d.higher_is_better;
  }
  std::string known;
  for (const Direction& d : kDirections) {
    known += (known.empty() ? "" : ", ") + std::string(d.metric);
  }
  return Fail(ErrorCode::kInvalidArgument, "unknown metric '" + std::string(metric) + "'; known: " +
                                               known + " (each also as cv_<metric>)");
}

const char* OpText(MetricGate::Op op) {
  switch (op) {
    case MetricGate::Op::kGe:
      return ">=";
    case MetricGate::Op::kGt:
      return ">";
    case MetricGate::Op::kLe:
      return "<=";
    case MetricGate::Op::kLt:
      return "<";
  }
  return "?";
}

Result<MetricGate> ParseThreshold(std::string_view text) {
  auto malformed = [text](const std::string& why) {
    return Fail(ErrorCode::kInvalidArgument, "threshold '" + std::string(text) + "' " + why + "; " +
                                                 std::string(kThresholdForm));
  };
  auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  size_t at = 0;
  auto skip_spaces = [&] {
    while (at < text.size() && is_space(text[at])) ++at;
  };
  skip_spaces();
  const size_t metric_begin = at;
  while (at < text.size() &&
         (std::isalnum(static_cast<unsigned char>(text[at])) != 0 || text[at] == '_')) {
    ++at;
  }
  MetricGate gate;
  gate.metric = std::string(text.substr(metric_begin, at - metric_begin));
  if (gate.metric.empty()) return malformed("does not start with a metric name");
  skip_spaces();
  const std::string_view rest = text.substr(at);
  if (rest.starts_with(">=")) {
    gate.op = MetricGate::Op::kGe;
  } else if (rest.starts_with("<=")) {
    gate.op = MetricGate::Op::kLe;
  } else if (rest.starts_with(">")) {
    gate.op = MetricGate::Op::kGt;
  } else if (rest.starts_with("<")) {
    gate.op = MetricGate::Op::kLt;
  } else {
    return malformed("has no comparison after '" + gate.metric + "'");
  }
  at += std::string_view(OpText(gate.op)).size();
  skip_spaces();
  size_t end = text.size();
  while (end > at && is_space(text[end - 1])) --end;
  std::string_view number = text.substr(at, end - at);
  if (number.starts_with('+')) number.remove_prefix(1);
  const auto [stop, ec] =
      std::from_chars(number.data(), number.data() + number.size(), gate.threshold);
  if (number.empty() || ec != std::errc() || stop != number.data() + number.size() ||
      !std::isfinite(gate.threshold)) {
    return malformed("has no valid number after '" + std::string(OpText(gate.op)) + "'");
  }
  auto direction = HigherIsBetter(gate.metric);
  if (!direction) {
    return Fail(direction.error().WithContext("threshold '" + std::string(text) + "'"));
  }
  gate.kind = MetricGate::Kind::kAbsolute;
  gate.text = std::string(text);
  return gate;
}

Result<Comparison> CompareWithChampion(std::string_view metric, const PairedPredictions& pairs,
                                       const BootstrapOptions& options) {
  const bool regression = pairs.target.task == learn::Task::kRegression;
  const size_t width = regression ? 1 : pairs.target.num_classes();
  if (width == 0) {
    return Fail(ErrorCode::kInvalidArgument,
                "classification target '" + pairs.target.name + "' has no classes");
  }
  HONE_TRY(CheckShapes(pairs, options, width));

  Comparison out;
  out.metric = std::string(metric);
  const learn::MetricList candidate =
      learn::ScorePredictions(pairs.target, pairs.y, pairs.candidate);
  const learn::MetricList champion = learn::ScorePredictions(pairs.target, pairs.y, pairs.champion);
  const double* candidate_value = FindMetric(candidate, metric);
  const double* champion_value = FindMetric(champion, metric);
  if (candidate_value == nullptr || champion_value == nullptr) {
    return Fail(ErrorCode::kInvalidArgument, "cannot compare '" + out.metric +
                                                 "' with the champion: the " +
                                                 (regression ? "regression" : "classification") +
                                                 " metrics on these rows are " + Names(candidate));
  }
  out.candidate = *candidate_value;
  out.champion = *champion_value;
  out.delta = out.candidate - out.champion;

  HONE_ASSIGN_OR_RETURN(const PairedStatistics statistics,
                        PairedBootstrap(metric, pairs, width, options));
  out.ci_low = statistics.ci_low;
  out.ci_high = statistics.ci_high;
  out.p_value = statistics.p_value;
  out.method = "paired bootstrap (" + std::to_string(options.resamples) + " resamples, " +
               Percent(options.confidence) + ")";
  if (out.p_value) out.method += " + McNemar exact";
  return out;
}

namespace {

std::string GateName(const MetricGate& gate) {
  if (gate.kind == MetricGate::Kind::kAbsolute) {
    return gate.metric + " " + OpText(gate.op) + " " + Number(gate.threshold);
  }
  std::string name =
      gate.metric +
      (gate.kind == MetricGate::Kind::kBetterThan ? " better_than" : " no_worse_than") +
      " champion";
  if (gate.margin != 0 || gate.relative) {
    name += " (margin " + (gate.relative ? Percent(gate.margin) : Number(gate.margin)) + ")";
  }
  return name;
}

bool Holds(double value, MetricGate::Op op, double threshold) {
  switch (op) {
    case MetricGate::Op::kGe:
      return value >= threshold;
    case MetricGate::Op::kGt:
      return value > threshold;
    case MetricGate::Op::kLe:
      return value <= threshold;
    case MetricGate::Op::kLt:
      return value < threshold;
  }
  return false;
}

void RunAbsolute(const MetricGate& gate, const GateInput& input, CheckResult& check) {
  check.threshold = std::string(OpText(gate.op)) + " " + Number(gate.threshold);
  const double* value = FindMetric(input.candidate, gate.metric);
  if (value == nullptr) {
    check.passed = false;
    check.reason =
        "the candidate has no metric '" + gate.metric + "'; it has: " + Names(input.candidate);
    return;
  }
  check.observed = Number(*value);
  check.passed = Holds(*value, gate.op, gate.threshold);  // NaN never holds
  check.reason =
      gate.metric + " " + Number(*value) + (check.passed ? " is " : " is not ") + check.threshold;
  check.detail["value"] = *value;
}

// The decision on a comparison, in terms of improvement (positive = better, whatever the
// metric's direction).
void JudgeComparison(const MetricGate& gate, const Comparison& c, bool higher_is_better,
                     const BootstrapOptions& options, CheckResult& check) {
  const double improvement = higher_is_better ? c.delta : -c.delta;
  const double low = higher_is_better ? c.ci_low : -c.ci_high;
  const double high = higher_is_better ? c.ci_high : -c.ci_low;
  const double margin = gate.relative ? gate.margin * std::abs(c.champion) : gate.margin;
  const std::string by_margin = margin != 0 ? " by more than the margin " + Number(margin) : "";
  const double alpha = 1 - options.confidence;
  std::string verdict;
  if (gate.kind == MetricGate::Kind::kBetterThan) {
    const bool bootstrap = low > margin;
    const bool mcnemar = !c.p_value || *c.p_value < alpha;
    check.passed = bootstrap && mcnemar;
    check.threshold = "improvement CI > " + Number(margin);
    if (c.p_value) check.threshold += " and McNemar p < " + Number(alpha);
    if (check.passed) {
      verdict = "significantly better" + by_margin;
    } else if (bootstrap) {
      verdict = "not significantly better: McNemar p " + Number(*c.p_value) + " is not below " +
                Number(alpha);
    } else {
      verdict = "not significantly better" + by_margin;
    }
  } else {
    check.passed = !(high < -margin);
    check.threshold = "improvement CI upper bound >= " + Number(-margin);
    if (!check.passed) {
      verdict = "significantly worse" + by_margin;
    } else if (low > 0) {
      verdict = "significantly better";
    } else if (high < 0) {
      verdict = "significantly worse, but within the margin " + Number(margin);
    } else {
      verdict = "no significant difference";
    }
  }
  check.observed =
      "improvement " + Number(improvement) + ", CI " + Number(low) + " … " + Number(high);
  check.reason = c.metric + " " + Number(c.candidate) + " vs champion " + Number(c.champion) +
                 ": " + Number(c.delta, /*sign=*/true) + " (" + Percent(options.confidence) +
                 " CI " + Number(c.ci_low) + " … " + Number(c.ci_high) + ")";
  if (c.p_value) check.reason += ", McNemar p " + Number(*c.p_value);
  check.reason += ", " + verdict;
  check.detail.update({{"candidate", c.candidate},
                       {"champion", c.champion},
                       {"delta", c.delta},
                       {"ci_low", c.ci_low},
                       {"ci_high", c.ci_high},
                       {"p_value", c.p_value ? nlohmann::json(*c.p_value) : nlohmann::json()},
                       {"method", c.method},
                       {"resamples", options.resamples},
                       {"confidence", options.confidence},
                       {"margin", margin},
                       {"higher_is_better", higher_is_better}});
}

}  // namespace

std::vector<CheckResult> RunModelGates(std::span<const MetricGate> gates, const GateInput& input,
                                       const BootstrapOptions& options,
                                       std::vector<Comparison>* comparisons) {
  std::vector<CheckResult> results;
  // Two gates on one metric (no_worse_than and better_than) share one bootstrap.
  std::map<std::string, Result<Comparison>> cache;
  for (const MetricGate& gate : gates) {
    CheckResult check;
    check.stage = "model";
    check.name = GateName(gate);
    check.severity = gate.severity;
    if (!gate.text.empty()) check.detail["gate"] = gate.text;
    if (!gate.where.empty()) check.detail["where"] = gate.where;
    if (gate.kind == MetricGate::Kind::kAbsolute) {
      RunAbsolute(gate, input, check);
      results.push_back(std::move(check));
      continue;
    }
    if (!input.champion_label.empty()) check.detail["champion_label"] = input.champion_label;
    const auto direction = HigherIsBetter(gate.metric);
    if (!direction) {
      check.passed = false;
      check.reason = direction.error().message();
    } else if (!input.pairs) {
      check.passed = true;
      check.reason = "no champion: only absolute thresholds apply";
      if (const double* value = FindMetric(input.candidate, gate.metric)) {
        check.observed = Number(*value);
      }
    } else {
      auto [it, inserted] = cache.try_emplace(gate.metric, Fail(ErrorCode::kInternal, ""));
      if (inserted) {
        it->second = CompareWithChampion(gate.metric, *input.pairs, options);
        if (it->second && comparisons != nullptr) comparisons->push_back(*it->second);
      }
      if (it->second) {
        JudgeComparison(gate, *it->second, *direction, options, check);
      } else {
        check.passed = false;
        check.reason = it->second.error().message();
      }
    }
    results.push_back(std::move(check));
  }
  return results;
}

}  // namespace hone::gate
