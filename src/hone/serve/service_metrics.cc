// GET /metrics: every counter in Prometheus's text exposition format (version 0.0.4).
#include <charconv>
#include <cmath>
#include <string>

#include "hone/learn/training.h"
#include "hone/serve/service.h"
#include "hone/serve/service_internal.h"

namespace hone::serve {
namespace {

void AppendNumber(std::string& out, double value) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, ec == std::errc() ? end : buf);
}

void AppendNumber(std::string& out, uint64_t value) { out += std::to_string(value); }

// A label value with \, " and newline escaped, as the format requires.
void AppendLabel(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += "=\"";
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += '"';
}

void Header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

std::string StatusLabel(size_t slot) {
  const int status = kCountedStatuses[slot];
  return status == 0 ? "other" : std::to_string(status);
}

// The request counters, histogram and row counter of one set of stats, labelled `labels`
// ("model=\"m\",version=\"3\"").
struct Series {
  std::string labels;
  const RequestStats* stats;
};

void RequestFamilies(std::string& out, const std::vector<Series>& series) {
  Header(out, "hone_requests_total", "counter",
         "Inference requests answered, by model, version and HTTP status.");
  for (const auto& s : series) {
    for (size_t slot = 0; slot < kCountedStatuses.size(); ++slot) {
      const uint64_t n = s.stats->requests(slot);
      if (n == 0 && kCountedStatuses[slot] != 200) continue;
      out += "hone_requests_total{" + s.labels + ",";
      AppendLabel(out, "status", StatusLabel(slot));
      out += "} ";
      AppendNumber(out, n);
      out += '\n';
    }
  }
  Header(out, "hone_request_duration_seconds", "histogram",
         "Time from a request's arrival at the model to its response, by model and version.");
  for (const auto& s : series) {
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= kLatencyBuckets.size(); ++b) {
      cumulative += s.stats->bucket(b);
      out += "hone_request_duration_seconds_bucket{" + s.labels + ",le=\"";
      if (b < kLatencyBuckets.size()) {
        AppendNumber(out, kLatencyBuckets[b]);
      } else {
        out += "+Inf";
      }
      out += "\"} ";
      AppendNumber(out, cumulative);
      out += '\n';
    }
    out += "hone_request_duration_seconds_sum{" + s.labels + "} ";
    AppendNumber(out, s.stats->latency_sum_seconds());
    out += "\nhone_request_duration_seconds_count{" + s.labels + "} ";
    AppendNumber(out, cumulative);
    out += '\n';
  }
  Header(out, "hone_predicted_rows_total", "counter", "Rows predicted, by model and version.");
  for (const auto& s : series) {
    out += "hone_predicted_rows_total{" + s.labels + "} ";
    AppendNumber(out, s.stats->rows());
    out += '\n';
  }
}

std::string Labels(std::string_view model, std::string_view version) {
  std::string labels;
  AppendLabel(labels, "model", model);
  labels += ',';
  AppendLabel(labels, "version", version);
  return labels;
}

void Gauge(std::string& out, std::string_view name, std::string_view type, std::string_view help,
           double value) {
  Header(out, name, type, help);
  out += name;
  out += ' ';
  AppendNumber(out, value);
  out += '\n';
}

// Drift and live metrics per served version, as of the monitor's last flush.
void MonitoringFamilies(std::string& out, const std::vector<VersionMonitoring>& versions) {
  Header(out, "hone_drift_share", "gauge",
         "Share of a version's features whose live traffic since load drifted from its reference "
         "profile.");
  for (const VersionMonitoring& v : versions) {
    if (v.drift_status.empty()) continue;
    out += "hone_drift_share{" + Labels(v.model, std::to_string(v.version)) + "} ";
    AppendNumber(out, v.drifted_share);
    out += '\n';
  }
  Header(out, "hone_drift_detected", "gauge",
         "1 when the drift report of a version's live traffic since load says drift, else 0.");
  for (const VersionMonitoring& v : versions) {
    if (v.drift_status.empty()) continue;
    out += "hone_drift_detected{" + Labels(v.model, std::to_string(v.version)) + "} ";
    out += v.drift_status == "drift" ? "1\n" : "0\n";
  }
  Header(out, "hone_feature_psi", "gauge",
         "Population stability index of a feature's live values since load against the version's "
         "reference profile (0.1 warn, 0.25 alert).");
  for (const VersionMonitoring& v : versions) {
    for (const auto& f : v.features) {
      if (!std::isfinite(f.psi)) continue;
      out += "hone_feature_psi{" + Labels(v.model, std::to_string(v.version)) + ",";
      AppendLabel(out, "feature", f.name);
      out += "} ";
      AppendNumber(out, f.psi);
      out += '\n';
    }
  }
  Header(out, "hone_feature_drift", "gauge",
         "1 when the drift test chosen for a feature (KS, chi-square, Wasserstein, Jensen-Shannon "
         "or a PSI alert) says it drifted, else 0.");
  for (const VersionMonitoring& v : versions) {
    for (const auto& f : v.features) {
      out += "hone_feature_drift{" + Labels(v.model, std::to_string(v.version)) + ",";
      AppendLabel(out, "feature", f.name);
      out += f.drifted ? "} 1\n" : "} 0\n";
    }
  }
  Header(out, "hone_prediction_psi", "gauge",
         "Population stability index of a version's predictions since load against its "
         "training target.");
  for (const VersionMonitoring& v : versions) {
    if (!v.prediction_psi) continue;
    out += "hone_prediction_psi{" + Labels(v.model, std::to_string(v.version)) + "} ";
    AppendNumber(out, *v.prediction_psi);
    out += '\n';
  }
  Header(out, "hone_live_metric", "gauge",
         "A version's metric over its labelled predictions since load (feedback joined).");
  for (const VersionMonitoring& v : versions) {
    for (const auto& [name, value] : v.live_metrics) {
      out += "hone_live_metric{" + Labels(v.model, std::to_string(v.version)) + ",";
      AppendLabel(out, "metric", name);
      out += "} ";
      AppendNumber(out, value);
      out += '\n';
    }
  }
  Header(out, "hone_live_labels", "gauge", "Labelled predictions behind a version's live metrics.");
  for (const VersionMonitoring& v : versions) {
    out += "hone_live_labels{" + Labels(v.model, std::to_string(v.version)) + "} ";
    AppendNumber(out, v.labels);
    out += '\n';
  }
}

}  // namespace

std::string InferenceService::RenderMetrics() const {
  auto routes = manager_.Routes();
  std::string out;
  out.reserve(16384);

  std::vector<Series> series;
  for (const auto& [name, model] : routes->models) {
    for (const auto& [number, servable] : model.versions) {
      series.push_back({Labels(name, std::to_string(number)), &servable->stats});
    }
  }
  // Requests that reached no version (unknown model or version, none ready).
  series.push_back({Labels("", ""), &unrouted_});
  RequestFamilies(out, series);

  Header(out, "hone_model_version_state", "gauge",
         "1 for each aspired or loaded model version, labelled with its state (LOADING, "
         "AVAILABLE, FAILED).");
  for (const auto& [name, model] : routes->models) {
    for (const auto& s : model.states) {
      out += "hone_model_version_state{" + Labels(name, std::to_string(s.version)) + ",";
      AppendLabel(out, "state", VersionStateName(s.state));
      out += "} 1\n";
    }
  }
  Header(out, "hone_model_alias_version", "gauge",
         "The version each served alias points at in the registry.");
  for (const auto& [name, model] : routes->models) {
    for (const auto& [alias, number] : model.aliases) {
      out += "hone_model_alias_version{";
      AppendLabel(out, "model", name);
      out += ',';
      AppendLabel(out, "alias", alias);
      out += "} " + std::to_string(number) + "\n";
    }
  }
  Header(out, "hone_model_default_version", "gauge",
         "The version answering requests that name none.");
  for (const auto& [name, model] : routes->models) {
    if (!model.default_version) continue;
    out += "hone_model_default_version{";
    AppendLabel(out, "model", name);
    out += "} " + std::to_string(model.default_version->version) + "\n";
  }

  Header(out, "hone_model_canary_weight", "gauge",
         "The share of requests naming no version that go to the canary version.");
  for (const auto& [name, model] : routes->models) {
    if (!model.canary) continue;
    out += "hone_model_canary_weight{";
    AppendLabel(out, "model", name);
    out += ',';
    AppendLabel(out, "version", std::to_string(model.canary->version));
    out += "} ";
    AppendNumber(out, model.canary_weight);
    out += '\n';
  }
  Header(out, "hone_model_shadow_version", "gauge",
         "The version receiving copies of the requests the default version answered.");
  for (const auto& [name, model] : routes->models) {
    if (!model.shadow) continue;
    out += "hone_model_shadow_version{";
    AppendLabel(out, "model", name);
    out += "} " + std::to_string(model.shadow->version) + "\n";
  }
  Gauge(out, "hone_shadow_dropped_total", "counter",
        "Request copies for shadow versions dropped because the shadow queue was full.",
        static_cast<double>(shadow_.dropped()));
  Gauge(out, "hone_shadow_completed_total", "counter",
        "Request copies shadow versions have predicted.", static_cast<double>(shadow_.completed()));
  Gauge(out, "hone_shadow_queue_length", "gauge", "Request copies waiting for the shadow worker.",
        static_cast<double>(shadow_.queued()));
  if (monitor_ != nullptr) {
    const MonitoringStats& m = monitor_->stats();
    const auto count = [](const std::atomic<uint64_t>& c) {
      return static_cast<double>(c.load(std::memory_order_relaxed));
    };
    Gauge(out, "hone_monitor_windows_written_total", "counter",
          "Monitoring windows (one per served version and flush) written to the store.",
          count(m.windows_written));
    Gauge(out, "hone_monitor_windows_pruned_total", "counter",
          "Monitoring windows deleted from the store past --keep-windows-hours.",
          count(m.windows_pruned));
    Gauge(out, "hone_monitor_flush_failures_total", "counter",
          "Flushes of monitoring windows and predictions that the store refused.",
          count(m.flush_failures));
    Gauge(out, "hone_predictions_logged_total", "counter",
          "Predictions written to the prediction log (for feedback to join).",
          count(m.predictions_logged));
    Gauge(out, "hone_predictions_dropped_total", "counter",
          "Predictions left out of the log because its queue was full.",
          count(m.predictions_dropped));
    Gauge(out, "hone_feedback_matched_total", "counter",
          "Feedback records that found their logged prediction.", count(m.feedback_matched));
    Gauge(out, "hone_feedback_unknown_total", "counter",
          "Feedback records whose request id matched no logged prediction.",
          count(m.feedback_unknown));
    MonitoringFamilies(out, monitor_->Versions());
  }

  const ManagerStats& manager = manager_.stats();
  Gauge(out, "hone_model_loads_total", "counter", "Model versions loaded.",
        static_cast<double>(manager.loads.load(std::memory_order_relaxed)));
  Gauge(out, "hone_model_load_failures_total", "counter", "Model versions that failed to load.",
        static_cast<double>(manager.load_failures.load(std::memory_order_relaxed)));
  Gauge(out, "hone_routing_table_swaps_total", "counter", "Routing tables published.",
        static_cast<double>(manager.swaps.load(std::memory_order_relaxed)));

  if (server_stats_ != nullptr) {
    const HttpServerStats& http = *server_stats_;
    Gauge(out, "hone_http_requests_in_flight", "gauge",
          "Requests read and not yet answered, on every endpoint.",
          static_cast<double>(http.requests_in_flight.load(std::memory_order_relaxed)));
    Gauge(out, "hone_http_connections_open", "gauge", "Open client connections.",
          static_cast<double>(http.connections_open.load(std::memory_order_relaxed)));
    Gauge(out, "hone_http_connections_accepted_total", "counter", "Client connections accepted.",
          static_cast<double>(http.connections_accepted.load(std::memory_order_relaxed)));
    Gauge(out, "hone_http_connections_refused_total", "counter",
          "Client connections refused for being over the connection limit.",
          static_cast<double>(http.connections_refused.load(std::memory_order_relaxed)));
    Gauge(out, "hone_http_tls_handshake_failures_total", "counter",
          "TLS connections closed before their handshake finished (not TLS, refused or failed "
          "handshakes, silent clients).",
          static_cast<double>(http.tls_handshake_failures.load(std::memory_order_relaxed)));
    Header(out, "hone_http_rejected_requests_total", "counter",
           "Requests the HTTP layer answered itself (malformed, too large, too slow), by "
           "status.");
    for (size_t slot = 0; slot < kCountedStatuses.size(); ++slot) {
      const uint64_t n = http.rejected[slot].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out += "hone_http_rejected_requests_total{";
      AppendLabel(out, "status", StatusLabel(slot));
      out += "} ";
      AppendNumber(out, n);
      out += '\n';
    }
  }
  Header(out, "hone_build_info", "gauge", "hone's version.");
  out += "hone_build_info{";
  AppendLabel(out, "version", learn::HoneVersion());
  out += "} 1\n";
  return out;
}

}  // namespace hone::serve
