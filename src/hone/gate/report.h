// Reports of one pipeline run for CI: JUnit XML (one testcase per data check and gate, which
// every CI system shows), and Markdown for a pull-request comment (candidate vs champion with
// deltas and confidence intervals, the data checks, and an SVG chart).
#ifndef HONE_GATE_REPORT_H_
#define HONE_GATE_REPORT_H_

#include <optional>
#include <string>
#include <vector>

#include "hone/gate/model_gates.h"
#include "hone/gate/verdict.h"

namespace hone::gate {

struct MetricRow {
  std::string name;
  double candidate = 0;
  std::optional<double> champion;        // the champion's value on the same holdout
  std::optional<Comparison> comparison;  // when a gate compared this metric
};

struct RunReport {
  std::string model;
  /// "promoted", "registered" (blessed, no alias to move), "rejected", "unchanged", "failed".
  std::string outcome;
  std::string candidate;  // "house_prices/4", or "candidate" when nothing was registered
  std::string champion;   // "house_prices/3", empty when there is none
  std::string data_source;
  std::string data_digest;
  size_t rows = 0;
  std::vector<MetricRow> metrics;
  /// Data checks then gates, in the order they ran.
  Verdict verdict;
  /// When the run failed with an error rather than a verdict.
  std::string error;
  double seconds = 0;
};

/// JUnit XML: a testsuite "hone.data" with one testcase per data check and a testsuite
/// "hone.gate" with one per gate; a failed `error` check is a <failure> whose message is its
/// reason, a failed `warn` check passes with the reason in <system-out>. A run that failed
/// with an error is one testcase with an <error>. Text is XML-escaped.
std::string JunitXml(const RunReport& report);

/// A bar chart (SVG 1.1, no scripts, no external references) of candidate vs champion per
/// metric, each pair scaled to the larger of the two, with the confidence interval of the
/// difference written beside it.
std::string MetricsChartSvg(const RunReport& report);

/// The Markdown report. `chart_path`, when not empty, is linked as an image (the SVG written
/// beside the report).
std::string MarkdownReport(const RunReport& report, const std::string& chart_path);

}  // namespace hone::gate

#endif  // HONE_GATE_REPORT_H_
