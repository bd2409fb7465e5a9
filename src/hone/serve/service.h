// The endpoints of `hone serve` over the model manager's routing table: the Open Inference
// Protocol v2 (REST), MLflow's scoring protocol, health checks and Prometheus metrics. One
// HttpHandler; everything it needs per request is read from the current routing table without
// locks.
//
//   GET  /v2/health/live | /v2/health/ready | /v2
//   GET  /v2/models/{m}[/versions/{v}] | .../ready | .../config
//   POST /v2/models/{m}[/versions/{v}]/infer
//   POST /invocations (MLflow; the model is the only one served, else ?model=NAME or the
//        x-hone-model header) and /models/{m}/invocations
//   GET  /ping | /health | /version (MLflow)
//   POST /v2/models/{m}/feedback (ground truth; set_write_guard decides who may send it)
//   GET  /metrics (Prometheus text format 0.0.4)
// Errors are {"error": "..."}: 404 unknown path, model or version; 400 bad request; 405 wrong
// method; 415 unsupported content type; 503 while no version is ready or while draining.
// Answers from a model carry `x-hone-model` and `x-hone-model-version`; those to requests that
// name no version also `x-hone-alias` (production, or canary when the router sent the request
// to the canary: router.h). A copy of each request the default version answered goes to the
// model's shadow version, if it has one, after the response is made (shadow.h).
#ifndef HONE_SERVE_SERVICE_H_
#define HONE_SERVE_SERVICE_H_

#include <atomic>
#include <functional>
#include <string>

#include "hone/serve/http_server.h"
#include "hone/serve/infer_codec.h"
#include "hone/serve/model_manager.h"
#include "hone/serve/monitoring.h"
#include "hone/serve/request_stats.h"
#include "hone/serve/shadow.h"

namespace hone::serve {

struct ServiceOptions {
  DecodeLimits limits;
  ShadowOptions shadow;
};

/// Thread-safe: Handle runs on every I/O thread at once.
class InferenceService {
 public:
  /// Does not own `manager`, which must outlive the service. Starts the shadow worker.
  InferenceService(ServiceOptions options, const ModelManager& manager);
  /// Stops the shadow worker (the copies still queued are dropped).
  ~InferenceService() = default;
  InferenceService(const InferenceService&) = delete;
  InferenceService& operator=(const InferenceService&) = delete;

  void Handle(const HttpRequest& request, HttpResponse& response);

  /// The HTTP server's counters, for /metrics (set once, before serving).
  void set_server_stats(const HttpServerStats* stats) { server_stats_ = stats; }
  /// While draining, /v2/health/ready answers 503 so that load balancers stop sending.
  void set_draining(bool draining) { draining_.store(draining, std::memory_order_relaxed); }

  /// The Prometheus exposition of every counter.
  std::string RenderMetrics() const;

  /// The queue and worker of the shadow copies.
  const ShadowRunner& shadow() const { return shadow_; }

  /// Decides whether `request` may write (POST .../feedback): returns true, or fills
  /// `response` with the refusal (401, 403, 429 or 503, a JSON error) and returns false.
  using WriteGuard = std::function<bool(const HttpRequest& request, HttpResponse& response)>;
  /// Set once, before serving. Without one every write is allowed: the store is on this
  /// machine, and whoever reaches the port may write.
  void set_write_guard(WriteGuard guard) { write_guard_ = std::move(guard); }

  /// Where answered requests are counted and logged, and feedback goes (set once, before
  /// serving; without one, /feedback answers 503).
  void set_monitor(ServeMonitor* monitor) {
    monitor_ = monitor;
    shadow_.set_monitor(monitor);
  }

 private:
  void Infer(const HttpRequest& request, HttpResponse& response, std::string_view model,
             std::string_view version, bool mlflow);
  void ModelEndpoint(const HttpRequest& request, HttpResponse& response, std::string_view model,
                     std::string_view version, std::string_view action);
  void Ready(HttpResponse& response) const;
  /// POST /v2/models/{m}/feedback (service_feedback.cc).
  void Feedback(const HttpRequest& request, HttpResponse& response, std::string_view model);

  ServiceOptions options_;
  const ModelManager& manager_;
  const HttpServerStats* server_stats_ = nullptr;
  std::atomic<bool> draining_{false};
  /// Model requests that reached no version (unknown model or version, none ready).
  mutable RequestStats unrouted_;
  ShadowRunner shadow_;
  ServeMonitor* monitor_ = nullptr;
  WriteGuard write_guard_;
};

}  // namespace hone::serve

#endif  // HONE_SERVE_SERVICE_H_
