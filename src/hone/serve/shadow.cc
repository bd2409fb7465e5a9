#include "hone/serve/shadow.h"

#include <exception>
#include <utility>

#include "hone/core/log.h"
#include "hone/serve/monitoring.h"
#include "hone/serve/service_internal.h"

namespace hone::serve {

ShadowRunner::ShadowRunner(ShadowOptions options, DecodeLimits limits)
    : limits_(limits), ring_(options.queue_capacity) {
  worker_ = std::thread([this] { Run(); });
}

ShadowRunner::~ShadowRunner() { Stop(); }

bool ShadowRunner::Submit(ShadowJob&& job) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (stop_ || !job.shadow) return false;
    if (size_ == ring_.size()) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    ring_[(head_ + size_) % ring_.size()] = std::move(job);
    ++size_;
    wake = waiting_;  // a busy worker looks at the queue again by itself
  }
  if (wake) wake_.notify_one();
  return true;
}

void ShadowRunner::Stop() {
  std::vector<ShadowJob> dropped;
  {
    std::lock_guard lock(mu_);
    if (stop_ && !worker_.joinable()) return;
    stop_ = true;
    // Released outside the lock: the last handle of a retired version frees its model here.
    for (; size_ > 0; --size_, head_ = (head_ + 1) % ring_.size()) {
      dropped.push_back(std::move(ring_[head_]));
    }
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
  idle_.notify_all();
}

bool ShadowRunner::WaitIdle(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return idle_.wait_for(lock, timeout, [&] { return size_ == 0 && (waiting_ || stop_); });
}

size_t ShadowRunner::queued() const {
  std::lock_guard lock(mu_);
  return size_;
}

void ShadowRunner::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    if (size_ == 0 && !stop_) {
      waiting_ = true;
      idle_.notify_all();
      wake_.wait(lock, [&] { return stop_ || size_ > 0; });
      waiting_ = false;
    }
    if (stop_) break;
    ShadowJob job = std::move(ring_[head_]);
    ring_[head_] = ShadowJob{};
    head_ = (head_ + 1) % ring_.size();
    --size_;
    lock.unlock();
    Predict(job);
    completed_.fetch_add(1, std::memory_order_relaxed);
    job = ShadowJob{};  // the version is released before the next wait
    lock.lock();
  }
}

void ShadowRunner::Predict(ShadowJob& job) const {
  const auto start = std::chrono::steady_clock::now();
  const Servable& shadow = *job.shadow;
  const auto& bundle = shadow.loaded.bundle;
  int status = 200;
  size_t rows = 0;
  try {
    if (!job.rows) {
      auto decoded = job.mlflow
                         ? DecodeMlflowRequest(job.body, job.content_type, bundle.features,
                                               bundle.target, limits_)
                         : DecodeOipRequest(job.body, bundle.features, bundle.target, limits_);
      if (decoded) {
        job.rows = std::move(*decoded);
      } else {
        status = decoded.error().code() == ErrorCode::kUnsupported ? 415 : 400;
      }
    }
    if (job.rows) {
      rows = job.rows->rows;
      auto outputs = PredictRows(*shadow.loaded.model, bundle.features.size(), *job.rows);
      if (!outputs) {
        status = 500;
      } else if (monitor_ != nullptr) {
        const std::string id =
            job.request_id.empty() ? "" : job.request_id + std::string(kShadowIdSuffix);
        monitor_->Record(job.shadow, id, job.rows->values, bundle.features.size(), *outputs,
                         shadow.loaded.model->num_outputs());
      }
    }
  } catch (const std::exception& e) {  // the worker must outlive any one request
    core::LogError("shadow " + shadow.model + "/" + std::to_string(shadow.version) + ": " +
                   e.what());
    status = 500;
  }
  shadow.stats.Record(status, std::chrono::steady_clock::now() - start, rows);
}

}  // namespace hone::serve
