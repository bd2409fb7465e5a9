// hone monitor NAME: drift per feature, prediction drift, live metrics, latency and errors per
// served version, from the windows and prediction log `hone serve` writes to the store.
// hone monitor rules: Prometheus alerting rules over the same figures on /metrics.
// hone feedback NAME --data labels.csv: ground truth for logged predictions.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

#include "hone/cli/commands.h"
#include "hone/cli/report.h"
#include "hone/cli/store_report.h"
#include "hone/core/cron.h"
#include "hone/core/csv.h"
#include "hone/core/file.h"
#include "hone/monitor/served_report.h"
#include "hone/registry/registry.h"

namespace hone::cli {
namespace {

struct MonitorFlags {
  std::string model;
  std::string since = "1h";
  std::string until;  // empty: now
  std::string out;    // rules: the file to write
  bool json = false;
  StoreFlags store;
};

struct FeedbackFlags {
  std::string model;
  std::string data;
  std::string id_column = "request_id";
  std::string label_column = "label";
  bool json = false;
  StoreFlags store;
};

/// "90s", "10m", "1h", "2d" → milliseconds; `flag` names the option in the error.
Result<int64_t> ParseSpan(std::string_view flag, const std::string& text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  const std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  const double scale = unit.empty() || unit == "s" ? 1e3
                       : unit == "m"               ? 60e3
                       : unit == "h"               ? 3600e3
                       : unit == "d"               ? 86400e3
                                                   : 0;
  if (ec != std::errc() || !(value > 0) || scale == 0) {
    return Fail(
        ErrorCode::kInvalidArgument,
        std::string(flag) + " must be a duration such as 90s, 10m, 1h or 2d, got '" + text + "'");
  }
  return static_cast<int64_t>(value * scale);
}

std::string Figure(double v, int precision = 4) {
  if (!std::isfinite(v)) return "-";
  std::ostringstream s;
  s << std::setprecision(precision) << v;
  return s.str();
}

Result<nlohmann::json> MonitorJson(store::Store& s, const MonitorFlags& f) {
  HONE_ASSIGN_OR_RETURN(int64_t span, ParseSpan("--since", f.since));
  const store::TimeMs now = store::NowMs();
  monitor::ReportSpan report;
  if (!f.until.empty()) {
    HONE_ASSIGN_OR_RETURN(int64_t ago, ParseSpan("--until", f.until));
    report.until_ms = now - ago;
    if (ago >= span) {
      return Fail(ErrorCode::kInvalidArgument, "--until " + f.until +
                                                   " ends the span before --since " + f.since +
                                                   " starts it: give --until a shorter duration");
    }
  }
  report.since_ms = now - span;
  return monitor::ServedReport(*s.meta, s.artifacts, f.model, report,
                               /*with_until=*/!f.until.empty());
}

void PrintMonitor(std::ostream& out, const nlohmann::json& j) {
  out << j["model"].get<std::string>() << ": live traffic since " << j["since"].get<std::string>();
  if (j.contains("until")) out << " until " << j["until"].get<std::string>();
  out << "\n";
  if (j["versions"].empty()) {
    out << "  no served alias (production, canary, shadow) points at a version\n";
    return;
  }
  out << "  version  alias       requests  errors  p50 ms  p99 ms  rows      labels  live "
         "metrics\n";
  for (const auto& v : j["versions"]) {
    char line[160];
    const auto ms = [](const nlohmann::json& x) {
      return x.is_number() ? Figure(x.get<double>(), 3) : std::string("-");
    };
    std::string alias = v["alias"].get<std::string>();
    if (v["weight"].is_number()) alias += " " + Figure(100 * v["weight"].get<double>(), 3) + "%";
    std::snprintf(line, sizeof line, "  %-7s  %-10s  %-8s  %-6s  %-6s  %-6s  %-8s  %-6s  ",
                  std::to_string(v["version"].get<int64_t>()).c_str(), alias.c_str(),
                  std::to_string(v["requests"].get<uint64_t>()).c_str(),
                  std::to_string(v["errors"].get<uint64_t>()).c_str(),
                  ms(v["latency_ms"]["p50"]).c_str(), ms(v["latency_ms"]["p99"]).c_str(),
                  std::to_string(v["rows"].get<uint64_t>()).c_str(),
                  std::to_string(v["live"]["labels"].get<uint64_t>()).c_str());
    out << line;
    std::string metrics;
    for (const auto& [name, value] : v["live"]["metrics"].items()) {
      metrics += (metrics.empty() ? "" : ", ") + name + " " + Figure(value.get<double>());
      if (v["offline"].contains(name)) {
        metrics += " (offline " + Figure(v["offline"][name].get<double>()) + ")";
      }
    }
    out << (metrics.empty() ? "-" : metrics) << "\n";
  }
  for (const auto& v : j["versions"]) {
    const auto& d = v["drift"];
    out << "\n  drift of version " << v["version"].get<int64_t>() << " ("
        << v["alias"].get<std::string>() << ")";
    if (d.is_null()) {
      out << ": no live rows yet\n";
      continue;
    }
    if (d.contains("error")) {
      out << ": " << d["error"].get<std::string>() << "\n";
      continue;
    }
    out << " over " << d["rows"].get<uint64_t>() << " rows: " << d["status"].get<std::string>()
        << ", " << d["columns_drifted"].get<uint64_t>() << " of "
        << d["columns_compared"].get<uint64_t>() << " features drifted\n";
    out << "    feature               method          statistic  p (Holm)   psi      status\n";
    std::vector<nlohmann::json> rows(d["columns"].begin(), d["columns"].end());
    if (d.contains("prediction") && !d["prediction"].is_null()) {
      nlohmann::json p = d["prediction"];
      p["name"] = "(prediction) " + p["name"].get<std::string>();
      rows.push_back(p);
    }
    for (const auto& c : rows) {
      const auto num = [](const nlohmann::json& x) {
        return x.is_number() ? Figure(x.get<double>(), 3) : std::string("-");
      };
      char line[200];
      std::snprintf(line, sizeof line, "    %-20s  %-14s  %-9s  %-9s  %-7s  %s\n",
                    c["name"].get<std::string>().c_str(), c["method"].get<std::string>().c_str(),
                    num(c["statistic"]).c_str(), num(c["p_adjusted"]).c_str(),
                    num(c["psi"]).c_str(), c["status"].get<std::string>().c_str());
      out << line;
    }
  }
}

/// Prometheus alerting rules over the metrics `hone serve` exposes.
std::string AlertRules() {
  return R"RULES(# Alerting rules for hone serve's /metrics (written by `hone monitor rules`).
# Check them with `promtool check rules FILE`; load them with rule_files in prometheus.yml.
groups:
  - name: hone
    rules:
      - alert: HoneHighErrorRate
        expr: |
          sum by (model, version) (rate(hone_requests_total{status=~"5..|other"}[5m]))
            / sum by (model, version) (rate(hone_requests_total[5m])) > 0.01
        for: 5m
        labels: {severity: page}
        annotations:
          summary: "{{ $labels.model }}/{{ $labels.version }} answers more than 1% of requests with a server error"
      - alert: HoneSlowPredictions
        expr: |
          histogram_quantile(0.99,
            sum by (model, version, le) (rate(hone_request_duration_seconds_bucket[5m]))) > 0.1
        for: 10m
        labels: {severity: ticket}
        annotations:
          summary: "p99 latency of {{ $labels.model }}/{{ $labels.version }} is above 100 ms"
      - alert: HoneFeatureDrift
        expr: hone_drift_detected == 1
        for: 15m
        labels: {severity: ticket}
        annotations:
          summary: "the live inputs of {{ $labels.model }}/{{ $labels.version }} drifted from its training data"
      - alert: HoneFeaturePsiAlert
        expr: hone_feature_psi >= 0.25
        for: 15m
        labels: {severity: ticket}
        annotations:
          summary: "PSI of {{ $labels.feature }} for {{ $labels.model }}/{{ $labels.version }} is {{ $value }} (alert level 0.25)"
      - alert: HonePredictionDrift
        expr: hone_prediction_psi >= 0.25
        for: 15m
        labels: {severity: ticket}
        annotations:
          summary: "the predictions of {{ $labels.model }}/{{ $labels.version }} moved away from the training target (PSI {{ $value }})"
      - alert: HoneModelLoadFailures
        expr: increase(hone_model_load_failures_total[10m]) > 0
        labels: {severity: ticket}
        annotations:
          summary: "hone serve on {{ $labels.instance }} failed to load a model version"
      - alert: HoneNotReady
        expr: max by (model) (hone_model_default_version) < 1
        for: 5m
        labels: {severity: page}
        annotations:
          summary: "no version of {{ $labels.model }} is ready to answer"
      - alert: HoneMonitoringNotWritten
        expr: increase(hone_monitor_flush_failures_total[10m]) > 0
        labels: {severity: ticket}
        annotations:
          summary: "hone serve on {{ $labels.instance }} cannot write monitoring windows to the store"
      - alert: HonePredictionLogDropping
        expr: increase(hone_predictions_dropped_total[10m]) > 0
        labels: {severity: info}
        annotations:
          summary: "hone serve on {{ $labels.instance }} drops predictions from its log (the store is slow)"
      - alert: HoneShadowDropping
        expr: increase(hone_shadow_dropped_total[10m]) > 0
        labels: {severity: info}
        annotations:
          summary: "the shadow version on {{ $labels.instance }} cannot keep up with the traffic copies"
)RULES";
}

int RunMonitor(Io& io, const MonitorFlags& f) {
  if (f.model == "rules") {
    if (f.out.empty()) {
      io.out << AlertRules();
      return kExitOk;
    }
    if (auto written = core::WriteFileAtomic(f.out, AlertRules()); !written) {
      return ReportError(io, "monitor rules", written.error(), f.json);
    }
    io.out << "wrote " << f.out << "\n";
    return kExitOk;
  }
  auto s = OpenStoreFrom(f.store, /*create=*/false);
  if (!s) return ReportError(io, "monitor", s.error(), f.json);
  auto j = MonitorJson(*s, f);
  if (!j) return ReportError(io, "monitor", j.error(), f.json);
  if (f.json) {
    io.out << DumpJson(*j) << "\n";
  } else {
    PrintMonitor(io.out, *j);
  }
  return kExitOk;
}

// A label cell as JSON: a number when the text is one, else the text.
std::string LabelJson(const std::string& text) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc() && end == text.data() + text.size() && std::isfinite(v)) {
    return nlohmann::json(v).dump();
  }
  return nlohmann::json(text).dump();
}

int RunFeedback(Io& io, const FeedbackFlags& f) {
  core::CsvReadOptions options;
  // Both read as text: ids keep their leading zeros, labels their exact digits.
  options.column_types[f.id_column] = core::ColumnType::kCategorical;
  options.column_types[f.label_column] = core::ColumnType::kCategorical;
  options.only_columns = std::vector<std::string>{f.id_column, f.label_column};
  auto table = core::ReadCsv(f.data, options);
  if (!table) return ReportError(io, "feedback", table.error(), f.json);
  const auto id_at = table->FindColumn(f.id_column);
  const auto label_at = table->FindColumn(f.label_column);
  if (!id_at || !label_at) {
    return ReportError(io, "feedback",
                       Error(ErrorCode::kInvalidArgument,
                             f.data + " needs the columns '" + f.id_column +
                                 "' (--id-column) and '" + f.label_column + "' (--label-column)"),
                       f.json);
  }
  const core::Column& ids = table->column(*id_at);
  const core::Column& labels = table->column(*label_at);
  std::vector<store::Feedback> records;
  size_t skipped = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    const int32_t id = ids.codes()[i];
    const int32_t label = labels.codes()[i];
    if (id == core::kMissingCode || label == core::kMissingCode) {
      ++skipped;
      continue;
    }
    records.push_back({ids.dictionary()[static_cast<size_t>(id)],
                       LabelJson(labels.dictionary()[static_cast<size_t>(label)]), 0});
  }
  auto s = OpenStoreFrom(f.store, /*create=*/false);
  if (!s) return ReportError(io, "feedback", s.error(), f.json);
  if (auto model = s->meta->GetModel(f.model); !model) {
    return ReportError(io, "feedback", model.error(), f.json);
  }
  size_t matched = 0, unknown = 0;
  std::vector<std::string> unknown_ids;
  constexpr size_t kBatch = 10000;
  for (size_t at = 0; at < records.size(); at += kBatch) {
    std::span<const store::Feedback> batch(records.data() + at,
                                           std::min(kBatch, records.size() - at));
    auto result = s->meta->RecordFeedback(f.model, batch);
    if (!result) return ReportError(io, "feedback", result.error(), f.json);
    matched += result->matched;
    unknown += result->unknown_count;
    for (auto& id : result->unknown) {
      if (unknown_ids.size() < 100) unknown_ids.push_back(std::move(id));
    }
  }
  if (f.json) {
    io.out << DumpJson({{"model", f.model},
                        {"records", records.size()},
                        {"matched", matched},
                        {"unknown_count", unknown},
                        {"unknown", unknown_ids},
                        {"skipped", skipped}})
           << "\n";
  } else {
    io.out << f.model << ": " << matched << " of " << records.size()
           << " labels matched a logged prediction";
    if (unknown > 0) {
      io.out << "; " << unknown << " unknown (first: " << unknown_ids.front() << ")";
    }
    if (skipped > 0) io.out << "; " << skipped << " rows without id or label skipped";
    io.out << "\n";
  }
  return kExitOk;
}

}  // namespace

Action AddMonitorCommand(CLI::App& app) {
  auto f = std::make_shared<MonitorFlags>();
  CLI::App* cmd = app.add_subcommand(
      "monitor",
      "Drift per feature, prediction drift, live metrics, latency and errors of a model's served "
      "versions; `hone monitor rules` prints Prometheus alerting rules");
  cmd->add_option("model", f->model, "The model (or `rules`)")->required();
  cmd->add_option("--since", f->since, "How far back to look (90s, 10m, 1h, 2d)")
      ->capture_default_str();
  cmd->add_option("--until", f->until,
                  "Where the span ends, as a duration before now (10m); default: now");
  cmd->add_option("-o,--out", f->out, "rules: write them to this file");
  AddStoreCommandFlags(cmd, f->store, f->json);
  return [f](Io& io) { return RunMonitor(io, *f); };
}

Action AddFeedbackCommand(CLI::App& app) {
  auto f = std::make_shared<FeedbackFlags>();
  CLI::App* cmd = app.add_subcommand(
      "feedback", "Ground truth for logged predictions: a CSV of request ids and true values");
  cmd->add_option("model", f->model, "The model")->required();
  cmd->add_option("--data", f->data, "CSV with the request ids and the labels")->required();
  cmd->add_option("--id-column", f->id_column, "The request id column")->capture_default_str();
  cmd->add_option("--label-column", f->label_column, "The true value column")
      ->capture_default_str();
  AddStoreCommandFlags(cmd, f->store, f->json);
  return [f](Io& io) { return RunFeedback(io, *f); };
}

}  // namespace hone::cli
