// Shadow releases: the version under a model's `shadow` alias receives a copy of each request
// its default version answered and predicts it on a worker thread of its own, after the
// response was made. Its latency, errors and rows land in its own RequestStats, so /metrics
// shows how it would have fared; its predictions go nowhere. The queue between the request
// threads and the worker is bounded: when it is full the copy is dropped and counted, never
// waited for.
#ifndef HONE_SERVE_SHADOW_H_
#define HONE_SERVE_SHADOW_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "hone/serve/infer_codec.h"
#include "hone/serve/servable.h"

namespace hone::serve {

class ServeMonitor;

struct ShadowOptions {
  /// Copies waiting for the worker; a copy that finds this many waiting is dropped. 0: every
  /// copy is dropped.
  size_t queue_capacity = 1024;
};

/// A copy of one answered request, for the shadow version.
struct ShadowJob {
  ServableHandle shadow;
  /// The rows the answering version decoded, when the shadow reads the same features
  /// (ModelRoutes::shadow_reads_default_rows); otherwise empty, and the worker decodes `body`
  /// (OIP, or MLflow with `content_type` when `mlflow`) against the shadow's own features.
  std::optional<DecodedRows> rows;
  std::string body;
  std::string content_type;
  bool mlflow = false;
  /// The request's id in the prediction log; the shadow's answer is logged as
  /// kShadowIdSuffix appended to it, so feedback for the request labels both.
  std::string request_id;
};

/// Thread-safe: Submit runs on every request thread at once. Owns one worker thread, started by
/// the constructor and joined by Stop or the destructor.
class ShadowRunner {
 public:
  /// `limits` bound the requests the worker decodes itself.
  ShadowRunner(ShadowOptions options, DecodeLimits limits);
  ~ShadowRunner();
  ShadowRunner(const ShadowRunner&) = delete;
  ShadowRunner& operator=(const ShadowRunner&) = delete;

  /// Queues `job` for the worker and returns true, or drops it (counted in dropped()) and
  /// returns false when the queue is full. Never waits for the worker; costs one short lock.
  /// After Stop, drops every job without counting it.
  bool Submit(ShadowJob&& job);

  /// Stops the worker: the copy it is predicting finishes, the queued ones are dropped (their
  /// versions released). Idempotent; not to be called from two threads at once.
  void Stop();

  /// Blocks until the queue is empty and the worker idle, or until `timeout`; returns whether
  /// it is (for tests and orderly shutdowns).
  bool WaitIdle(std::chrono::milliseconds timeout) const;

  /// Copies dropped because the queue was full.
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  /// Copies the worker has predicted (or failed to).
  uint64_t completed() const { return completed_.load(std::memory_order_relaxed); }
  /// Copies waiting now.
  size_t queued() const;

  /// Where the shadow's inputs and predictions are counted (its monitoring window; shadow
  /// answers are not put in the prediction log). Set once, before the first Submit.
  void set_monitor(ServeMonitor* monitor) { monitor_ = monitor; }

 private:
  void Run();
  void Predict(ShadowJob& job) const;

  const DecodeLimits limits_;
  ServeMonitor* monitor_ = nullptr;
  mutable std::mutex mu_;
  std::condition_variable wake_;          // the worker waits on it for jobs
  mutable std::condition_variable idle_;  // WaitIdle waits on it
  std::vector<ShadowJob> ring_;           // guarded by mu_: a ring of queue_capacity slots
  size_t head_ = 0;                       // guarded by mu_: the oldest job's slot
  size_t size_ = 0;                       // guarded by mu_: jobs queued
  bool waiting_ = false;                  // guarded by mu_: the worker waits for a job
  bool stop_ = false;                     // guarded by mu_
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> completed_{0};
  std::thread worker_;
};

}  // namespace hone::serve

#endif  // HONE_SERVE_SHADOW_H_
