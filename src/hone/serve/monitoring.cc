// ServeMonitor: windows per served version and the prediction log, written by one thread.
#include "hone/serve/monitoring.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <tuple>
#include <utility>

#include <nlohmann/json.hpp>

#include "hone/core/log.h"
#include "hone/core/profile.h"
#include "hone/monitor/drift_report.h"
#include "hone/monitor/live_metrics.h"
#include "hone/monitor/window_record.h"
#include "hone/serve/request_stats.h"

namespace hone::serve {
namespace {

using Clock = std::chrono::system_clock;

store::TimeMs NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

// One row waiting for the prediction log. The handle keeps the version's schema alive until the
// row is written.
struct PendingRow {
  ServableHandle servable;
  std::string request_id;
  store::TimeMs ts_ms = 0;
  std::vector<float> inputs;
  std::vector<float> outputs;
};

// The newest labelled predictions /metrics computes a version's live metrics over.
constexpr size_t kLiveMetricLabels = 10000;

// What a version's counters read at the last flush, so a window holds the difference.
struct StatsSnapshot {
  std::array<uint64_t, kCountedStatuses.size()> statuses{};
  std::array<uint64_t, kLatencyBuckets.size() + 1> buckets{};
  uint64_t rows = 0;
  store::TimeMs at_ms = 0;
};

StatsSnapshot Snapshot(const RequestStats& stats, store::TimeMs now) {
  StatsSnapshot s;
  for (size_t i = 0; i < s.statuses.size(); ++i) s.statuses[i] = stats.requests(i);
  for (size_t b = 0; b < s.buckets.size(); ++b) s.buckets[b] = stats.bucket(b);
  s.rows = stats.rows();
  s.at_ms = now;
  return s;
}

// A version is the same servable as long as it stays loaded; a reload is a new one.
using ServableKey = std::tuple<std::string, int64_t, int64_t>;
ServableKey KeyOf(const Servable& s) {
  return {s.model, s.version, s.loaded_at.time_since_epoch().count()};
}

void AppendJsonNumber(nlohmann::json& out, float v) {
  if (std::isnan(v) || std::isinf(v)) {
    out = nullptr;
  } else {
    out = static_cast<double>(v);
  }
}

}  // namespace

std::unique_ptr<monitor::WindowAccumulator> MakeWindowAccumulator(const learn::Bundle& bundle,
                                                                  std::string_view name) {
  if (!bundle.profile.is_object() || bundle.profile.empty()) {
    core::LogWarning(std::string(name) +
                     ": the bundle has no reference profile; its traffic is "
                     "not monitored");
    return nullptr;
  }
  auto profile = core::DataProfile::FromJson(bundle.profile);
  if (!profile) {
    core::LogWarning(std::string(name) + ": its reference profile is unreadable (" +
                     profile.error().message() + "); its traffic is not monitored");
    return nullptr;
  }
  std::vector<monitor::MonitoredColumn> columns;
  for (const learn::FeatureInfo& f : bundle.features.features()) {
    columns.push_back({f.name, f.type, f.categories});
  }
  monitor::MonitoredPrediction prediction{bundle.target.name, {}};
  if (bundle.target.task != learn::Task::kRegression) prediction.classes = bundle.target.classes;
  return std::make_unique<monitor::WindowAccumulator>(std::move(columns), *profile,
                                                      std::move(prediction));
}

std::string InputsJson(const learn::FeatureSchema& features, std::span<const float> row) {
  nlohmann::json out = nlohmann::json::object();
  const auto& infos = features.features();
  for (size_t j = 0; j < infos.size() && j < row.size(); ++j) {
    nlohmann::json& cell = out[infos[j].name];
    const float v = row[j];
    if (infos[j].type == core::ColumnType::kCategorical) {
      const bool known =
          !std::isnan(v) && v >= 0 && v < static_cast<float>(infos[j].categories.size());
      cell = known ? nlohmann::json(infos[j].categories[static_cast<size_t>(v)]) : nlohmann::json();
    } else {
      AppendJsonNumber(cell, v);
    }
  }
  return out.dump();
}

float PredictionValue(const learn::TargetInfo& target, std::span<const float> outputs) {
  if (outputs.empty()) return std::nanf("");
  if (target.task == learn::Task::kRegression) return outputs[0];
  if (outputs.size() == 1) {
    if (std::isnan(outputs[0])) return outputs[0];
    return outputs[0] >= 0.5f ? 1.0f : 0.0f;
  }
  size_t best = 0;
  for (size_t c = 1; c < outputs.size(); ++c) {
    if (outputs[c] > outputs[best] || (std::isnan(outputs[best]) && !std::isnan(outputs[c]))) {
      best = c;
    }
  }
  return static_cast<float>(best);
}

std::string OutputJson(const learn::TargetInfo& target, std::span<const float> outputs) {
  const float v = PredictionValue(target, outputs);
  nlohmann::json out;
  if (target.task == learn::Task::kRegression || std::isnan(v)) {
    AppendJsonNumber(out, v);
  } else {
    const auto c = static_cast<size_t>(v);
    out = c < target.classes.size() ? nlohmann::json(target.classes[c]) : nlohmann::json(c);
  }
  return out.dump();
}

struct ServeMonitor::Impl {
  Impl(MonitoringOptions o, const ModelManager& m, StoreOpener open)
      : options(std::move(o)), manager(m), open_store(std::move(open)) {}

  const MonitoringOptions options;
  const ModelManager& manager;
  const StoreOpener open_store;
  MonitoringStats stats;

  // The prediction log's queue.
  std::mutex queue_mutex;
  std::vector<PendingRow> queue;

  // The store and the flush bookkeeping: the flush thread and Feedback take store_mutex.
  std::mutex store_mutex;
  std::optional<store::Store> store;
  std::map<ServableKey, StatsSnapshot> snapshots;
  std::optional<store::TimeMs> last_prune_ms;

  // Traffic since load and the figures derived from it, per loaded version (flush thread only,
  // published under gauges_mutex).
  struct SinceLoad {
    monitor::WindowSummary traffic;
    std::optional<core::DataProfile> profile;
    bool classification = false;
    store::TimeMs loaded_ms = 0;
  };
  std::map<ServableKey, SinceLoad> since_load;
  mutable std::mutex gauges_mutex;
  std::vector<VersionMonitoring> gauges;

  std::mutex wake_mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::thread thread;

  Result<store::MetaStore*> Meta() {
    if (!store) {
      auto opened = open_store();
      if (!opened) return Fail(opened.error().WithContext("opening the store"));
      store.emplace(std::move(*opened));
    }
    return store->meta.get();
  }

  bool Sampled() {
    if (options.log_share >= 1) return true;
    if (options.log_share <= 0) return false;
    thread_local std::minstd_rand rng(std::random_device{}());
    return std::uniform_real_distribution<double>(0, 1)(rng) < options.log_share;
  }

  // The windows of every loaded version since the last flush.
  std::vector<store::MonitorWindow> TakeWindows(store::TimeMs now) {
    std::vector<store::MonitorWindow> windows;
    auto routes = manager.Routes();
    std::map<ServableKey, StatsSnapshot> next;
    for (const auto& [name, model] : routes->models) {
      for (const auto& [version, handle] : model.versions) {
        const Servable& s = *handle;
        std::string alias;
        if (handle == model.default_version) alias = model.default_alias;
        if (handle == model.canary) alias = model.canary_alias;
        if (handle == model.shadow) alias = "shadow";
        const ServableKey key = KeyOf(s);
        StatsSnapshot now_stats = Snapshot(s.stats, now);
        auto before = snapshots.find(key);
        StatsSnapshot zero;
        zero.at_ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(s.loaded_at.time_since_epoch())
                .count();
        const StatsSnapshot& prev = before == snapshots.end() ? zero : before->second;
        next[key] = now_stats;

        monitor::WindowRecord record;
        if (s.window) record.traffic = s.window->Take();
        SinceLoad& total = since_load[key];
        if (total.loaded_ms == 0) {
          total.loaded_ms = zero.at_ms;
          total.classification = s.loaded.bundle.target.task != learn::Task::kRegression;
          if (auto p = core::DataProfile::FromJson(s.loaded.bundle.profile)) total.profile = *p;
        }
        if (auto merged = total.traffic.Merge(record.traffic); !merged) {
          core::LogWarning(merged.error().message());
        }
        total.classification = s.loaded.bundle.target.task != learn::Task::kRegression;
        record.latency_bounds.assign(kLatencyBuckets.begin(), kLatencyBuckets.end());
        uint64_t requests = 0, errors = 0;
        for (size_t b = 0; b < now_stats.buckets.size(); ++b) {
          record.latency_counts.push_back(now_stats.buckets[b] - prev.buckets[b]);
        }
        for (size_t i = 0; i < now_stats.statuses.size(); ++i) {
          const uint64_t n = now_stats.statuses[i] - prev.statuses[i];
          if (n == 0) continue;
          const int status = kCountedStatuses[i];
          record.statuses[status == 0 ? "other" : std::to_string(status)] += n;
          requests += n;
          if (status >= 500 || status == 0) errors += n;
        }
        record.alias = alias;
        if (requests == 0 && record.traffic.rows == 0) continue;
        store::MonitorWindow w;
        w.model = s.model;
        w.version = s.version;
        w.start_ms = std::min(prev.at_ms, now);
        w.end_ms = now;
        w.server = options.server;
        w.requests = requests;
        w.errors = errors;
        w.rows = now_stats.rows - prev.rows;
        w.summary = record.ToJson().dump();
        windows.push_back(std::move(w));
      }
    }
    snapshots = std::move(next);
    std::erase_if(since_load, [&](const auto& entry) { return !snapshots.contains(entry.first); });
    return windows;
  }

  std::vector<store::PredictionRecord> TakeLog() {
    std::vector<PendingRow> rows;
    {
      std::lock_guard lock(queue_mutex);
      rows.swap(queue);
    }
    std::vector<store::PredictionRecord> records;
    records.reserve(rows.size());
    for (PendingRow& r : rows) {
      const learn::Bundle& bundle = r.servable->loaded.bundle;
      records.push_back({std::move(r.request_id), r.servable->model, r.servable->version, r.ts_ms,
                         InputsJson(bundle.features, r.inputs),
                         OutputJson(bundle.target, r.outputs)});
    }
    return records;
  }

  // Deletes the windows past options.keep_windows of the models just written, at most once per
  // options.prune_every; a failure is retried at the next flush.
  void Prune(store::MetaStore& meta, const std::vector<store::MonitorWindow>& written,
             store::TimeMs now) {
    if (options.keep_windows.count() <= 0 || written.empty()) return;
    if (last_prune_ms && now - *last_prune_ms < options.prune_every.count()) return;
    std::set<std::string> models;
    for (const store::MonitorWindow& w : written) models.insert(w.model);
    bool failed = false;
    for (const std::string& model : models) {
      auto pruned = meta.PruneMonitorWindows(model, now - options.keep_windows.count());
      if (pruned) {
        stats.windows_pruned.fetch_add(*pruned, std::memory_order_relaxed);
      } else {
        failed = true;
        core::LogWarning("pruning the monitoring windows of " + model + ": " +
                         pruned.error().message());
      }
    }
    if (!failed) last_prune_ms = now;
  }

  Result<void> Flush() {
    std::lock_guard lock(store_mutex);
    const store::TimeMs now = NowMs();
    std::vector<store::MonitorWindow> windows = TakeWindows(now);
    std::vector<store::PredictionRecord> log = TakeLog();
    if (windows.empty() && log.empty()) return {};
    auto meta = Meta();
    if (!meta) {
      stats.flush_failures.fetch_add(1, std::memory_order_relaxed);
      return Fail(meta.error());
    }
    Result<void> written;
    if (!windows.empty()) {
      written = (*meta)->AppendMonitorWindows(windows);
      if (written) stats.windows_written.fetch_add(windows.size(), std::memory_order_relaxed);
    }
    if (written && !log.empty()) {
      written = (*meta)->LogPredictions(log, options.keep_predictions);
      if (written) stats.predictions_logged.fetch_add(log.size(), std::memory_order_relaxed);
    }
    if (!written) {
      // The counts of a window that could not be written are lost; the next window starts
      // afresh rather than growing without bound while the store is away.
      stats.flush_failures.fetch_add(1, std::memory_order_relaxed);
      store.reset();  // reconnect next time
      return Fail(written.error().WithContext("writing monitoring windows"));
    }
    Prune(**meta, windows, now);
    UpdateGauges(**meta);
    return {};
  }

  // Drift since load and live metrics per version, for /metrics.
  void UpdateGauges(store::MetaStore& meta) {
    std::vector<VersionMonitoring> next;
    for (const auto& [key, total] : since_load) {
      VersionMonitoring v;
      v.model = std::get<0>(key);
      v.version = std::get<1>(key);
      v.rows = total.traffic.rows;
      if (total.profile && total.traffic.rows > 0) {
        if (auto report = monitor::ComputeDrift(*total.profile, total.traffic)) {
          v.drift_status = report->status;
          v.drifted_share = report->drifted_share;
          for (const monitor::ColumnDrift& c : report->columns) {
            v.features.push_back({c.name, c.psi, c.drifted});
          }
          if (report->prediction && std::isfinite(report->prediction->psi)) {
            v.prediction_psi = report->prediction->psi;
          }
        }
      }
      store::WindowQuery query;
      query.model = v.model;
      query.version = v.version;
      query.since_ms = total.loaded_ms;
      query.limit = kLiveMetricLabels;
      if (auto labelled = meta.ListLabelledPredictions(query)) {
        const monitor::LiveMetrics live =
            monitor::ComputeLiveMetrics(*labelled, total.classification);
        v.labels = live.labels;
        v.live_metrics = live.values;
      }
      next.push_back(std::move(v));
    }
    std::lock_guard lock(gauges_mutex);
    gauges = std::move(next);
  }

  void Loop() {
    std::unique_lock lock(wake_mutex);
    while (!stopping) {
      wake.wait_for(lock, options.interval, [this] { return stopping; });
      lock.unlock();
      if (auto flushed = Flush(); !flushed) core::LogWarning(flushed.error().message());
      lock.lock();
    }
  }
};

ServeMonitor::ServeMonitor(MonitoringOptions options, const ModelManager& manager, StoreOpener open)
    : impl_(std::make_unique<Impl>(std::move(options), manager, std::move(open))) {}

ServeMonitor::~ServeMonitor() {
  if (impl_->thread.joinable()) {
    {
      std::lock_guard lock(impl_->wake_mutex);
      impl_->stopping = true;
    }
    impl_->wake.notify_all();
    impl_->thread.join();
  }
}

void ServeMonitor::Start() {
  if (!impl_->thread.joinable()) impl_->thread = std::thread([this] { impl_->Loop(); });
}

void ServeMonitor::Record(const ServableHandle& servable, std::string_view request_id,
                          std::span<const float> rows, size_t width, std::span<const float> outputs,
                          size_t k) {
  if (width == 0 || k == 0) return;
  const size_t n = std::min(rows.size() / width, outputs.size() / k);
  const learn::TargetInfo& target = servable->loaded.bundle.target;
  if (monitor::WindowAccumulator* window = servable->window.get()) {
    for (size_t i = 0; i < n; ++i) {
      window->AddRow(rows.subspan(i * width, width));
      window->AddPrediction(PredictionValue(target, outputs.subspan(i * k, k)));
    }
  }
  if (request_id.empty() || !impl_->Sampled()) return;
  // An id the store would refuse must not sink a batch: one that is not printable ASCII is
  // dropped here (its head is checked), one too long with its row suffix row by row below.
  if (!store::IsValidRequestId(request_id.substr(0, kMaxLoggedIdLength))) {
    impl_->stats.predictions_dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const size_t logged = std::min(n, impl_->options.log_rows_per_request);
  const store::TimeMs now = NowMs();
  std::lock_guard lock(impl_->queue_mutex);
  for (size_t i = 0; i < logged; ++i) {
    if (impl_->queue.size() >= impl_->options.log_queue) {
      impl_->stats.predictions_dropped.fetch_add(logged - i, std::memory_order_relaxed);
      return;
    }
    std::string id(request_id);
    if (n > 1) id += "#" + std::to_string(i);
    if (!store::IsValidRequestId(id)) {
      impl_->stats.predictions_dropped.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    auto in = rows.subspan(i * width, width);
    auto out = outputs.subspan(i * k, k);
    impl_->queue.push_back({servable, std::move(id), now, std::vector<float>(in.begin(), in.end()),
                            std::vector<float>(out.begin(), out.end())});
  }
}

Result<store::FeedbackResult> ServeMonitor::Feedback(std::string_view model,
                                                     std::span<const store::Feedback> feedback) {
  // Predictions still waiting in the queue must be in the store before their labels.
  HONE_TRY(Flush());
  std::lock_guard lock(impl_->store_mutex);
  HONE_ASSIGN_OR_RETURN(store::MetaStore * meta, impl_->Meta());
  auto result = meta->RecordFeedback(model, feedback);
  if (!result) {
    impl_->store.reset();
    return result;
  }
  // The same labels for what a shadow answered to those requests (most have none: not counted).
  std::vector<store::Feedback> shadow;
  shadow.reserve(feedback.size());
  for (const store::Feedback& f : feedback) {
    if (f.request_id.size() + kShadowIdSuffix.size() > kMaxLoggedIdLength) continue;
    shadow.push_back({f.request_id + std::string(kShadowIdSuffix), f.label, f.ts_ms});
  }
  if (shadow.empty()) return result;
  if (auto labelled = meta->RecordFeedback(model, shadow); !labelled) {
    impl_->store.reset();
    return Fail(labelled.error());
  }
  impl_->stats.feedback_matched.fetch_add(result->matched, std::memory_order_relaxed);
  impl_->stats.feedback_unknown.fetch_add(result->unknown_count, std::memory_order_relaxed);
  return result;
}

Result<void> ServeMonitor::Flush() { return impl_->Flush(); }

const MonitoringStats& ServeMonitor::stats() const { return impl_->stats; }

std::vector<VersionMonitoring> ServeMonitor::Versions() const {
  std::lock_guard lock(impl_->gauges_mutex);
  return impl_->gauges;
}

}  // namespace hone::serve
