// What `hone serve` watches and keeps for `hone monitor` and `hone watch`: for every served
// version, windows of its live inputs and predictions (counted on the version's reference bins
// by a lock-free monitor::WindowAccumulator held in its Servable), its answers by status and
// its latency; a bounded, sampled log of predictions that ground truth can be matched to later;
// and the feedback that brings that ground truth. A background thread writes the windows and
// the log to the store every few seconds, so the request path never waits on the store.
#ifndef HONE_SERVE_MONITORING_H_
#define HONE_SERVE_MONITORING_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hone/core/error.h"
#include "hone/learn/bundle.h"
#include "hone/monitor/window.h"
#include "hone/serve/model_manager.h"
#include "hone/serve/servable.h"
#include "hone/store/meta_store.h"
#include "hone/store/monitor_fields.h"

namespace hone::serve {

struct MonitoringOptions {
  /// How often windows and the prediction log are written to the store.
  std::chrono::milliseconds interval{5000};
  /// Share of requests whose rows go to the prediction log (0 turns the log off).
  double log_share = 1.0;
  /// Rows of one request that are logged (a request of more rows logs its first ones, with ids
  /// "REQUEST-ID#ROW").
  size_t log_rows_per_request = 16;
  /// Logged rows waiting to be written; beyond this they are dropped (and counted), so a slow
  /// store never holds requests up or grows memory.
  size_t log_queue = 20000;
  /// The newest predictions of each model the store keeps.
  size_t keep_predictions = 200000;
  /// How long the store keeps windows: when a flush writes windows of a model, that model's
  /// windows that ended longer ago than this are deleted (at most once per `prune_every`).
  /// 0: kept for ever.
  std::chrono::milliseconds keep_windows = std::chrono::hours(24 * 14);
  std::chrono::milliseconds prune_every = std::chrono::minutes(10);
  /// Who writes ("host:pid"), recorded with every window.
  std::string server;
};

/// The accumulator for a loaded bundle's version: its features counted on its reference
/// profile, predictions on the target's. Null (and logged) when the bundle carries no usable
/// profile.
std::unique_ptr<monitor::WindowAccumulator> MakeWindowAccumulator(const learn::Bundle& bundle,
                                                                  std::string_view name);

/// A shadow version's answer to request X is logged as X + kShadowIdSuffix; feedback for X labels
/// it too.
inline constexpr std::string_view kShadowIdSuffix = "@shadow";
/// The longest request id the prediction log keeps (the store's limit); a row whose id would be
/// longer (with its "#ROW" or shadow suffix), or holds other than printable ASCII, is not
/// logged, and counted as dropped.
inline constexpr size_t kMaxLoggedIdLength = store::kMaxRequestIdLength;

/// Counters for /metrics.
struct MonitoringStats {
  std::atomic<uint64_t> windows_written{0};
  std::atomic<uint64_t> windows_pruned{0};  // deleted past MonitoringOptions::keep_windows
  std::atomic<uint64_t> predictions_logged{0};
  std::atomic<uint64_t> predictions_dropped{0};
  std::atomic<uint64_t> flush_failures{0};
  std::atomic<uint64_t> feedback_matched{0};
  std::atomic<uint64_t> feedback_unknown{0};
};

/// What /metrics shows of one served version's monitoring, as of the last flush: the drift of
/// its traffic since it was loaded against its reference profile, and its live metrics from
/// the labelled predictions since then.
struct VersionMonitoring {
  std::string model;
  int64_t version = 0;
  uint64_t rows = 0;         // live rows counted since load
  std::string drift_status;  // "ok", "drift", "insufficient data"; empty before any traffic
  double drifted_share = 0;
  struct Feature {
    std::string name;
    double psi = 0;  // NaN when not computed
    bool drifted = false;
  };
  std::vector<Feature> features;
  std::optional<double> prediction_psi;
  uint64_t labels = 0;
  std::map<std::string, double> live_metrics;
};

/// Thread-safe. Record runs on every request thread at once; the store is touched only by the
/// flush thread and by Feedback (under a lock, on the caller's thread).
class ServeMonitor {
 public:
  /// Does not own `manager`. `open` opens the store this monitor writes to (its own
  /// connection).
  ServeMonitor(MonitoringOptions options, const ModelManager& manager, StoreOpener open);
  /// Stops the flush thread after one last flush.
  ~ServeMonitor();
  ServeMonitor(const ServeMonitor&) = delete;
  ServeMonitor& operator=(const ServeMonitor&) = delete;

  /// Starts the flush thread.
  void Start();

  /// A version answered `rows` (row-major, `width` values each) with `outputs` (`k` per row):
  /// counts them in its window and, for a sampled share of requests, queues them for the
  /// prediction log under `request_id`. Cheap and lock-free unless the request is logged.
  void Record(const ServableHandle& servable, std::string_view request_id,
              std::span<const float> rows, size_t width, std::span<const float> outputs, size_t k);

  /// Ground truth for logged predictions of `model`, written at once (the caller waits).
  Result<store::FeedbackResult> Feedback(std::string_view model,
                                         std::span<const store::Feedback> feedback);

  /// Writes what has gathered since the last flush (the thread calls it every interval; tests
  /// and shutdown call it directly).
  Result<void> Flush();

  const MonitoringStats& stats() const;
  /// Each served version's drift and live metrics as of the last flush.
  std::vector<VersionMonitoring> Versions() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The JSON text of one row's inputs as the prediction log keeps them: {"feature": value},
/// categories by name, missing as null.
std::string InputsJson(const learn::FeatureSchema& features, std::span<const float> row);
/// The JSON text of one row's answer: the number (regression) or the class label (text).
std::string OutputJson(const learn::TargetInfo& target, std::span<const float> outputs);
/// The predicted class index of one row's outputs (k == 1: a probability of class 1), or the
/// value for regression: what the window counts as the prediction.
float PredictionValue(const learn::TargetInfo& target, std::span<const float> outputs);

}  // namespace hone::serve

#endif  // HONE_SERVE_MONITORING_H_
