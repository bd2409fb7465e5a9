// Counters of the requests one model version (or the server as a whole) answered: by status,
// with a latency histogram. Lock-free: recording is a handful of relaxed atomic increments, so
// request threads never wait on each other; /metrics reads a snapshot that may be a few
// requests behind, which Prometheus tolerates.
#ifndef HONE_SERVE_REQUEST_STATS_H_
#define HONE_SERVE_REQUEST_STATS_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace hone::serve {

/// Upper bounds (seconds) of the latency histogram buckets, from 25 us to 10 s; Prometheus adds
/// +Inf.
inline constexpr std::array<double, 18> kLatencyBuckets = {
    25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3,
    25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1.0,  2.5,    5.0,  10.0};

/// The statuses counted one by one; any other lands in the last slot, reported as its class
/// ("5xx" style) would lose information, so the server only answers with these.
inline constexpr std::array<int, 11> kCountedStatuses = {200, 400, 404, 405, 408, 413,
                                                         415, 431, 500, 503, 0};

/// Index of `status` in kCountedStatuses (the last slot, 0, for any other).
constexpr size_t StatusSlot(int status) {
  for (size_t i = 0; i + 1 < kCountedStatuses.size(); ++i) {
    if (kCountedStatuses[i] == status) return i;
  }
  return kCountedStatuses.size() - 1;
}

/// Thread-safe; Record may run on every request thread at once.
class RequestStats {
 public:
  void Record(int status, std::chrono::nanoseconds latency, uint64_t rows) {
    by_status_[StatusSlot(status)].fetch_add(1, std::memory_order_relaxed);
    const double seconds = std::chrono::duration<double>(latency).count();
    size_t b = 0;
    while (b < kLatencyBuckets.size() && seconds > kLatencyBuckets[b]) ++b;
    buckets_[b].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<uint64_t>(latency.count()), std::memory_order_relaxed);
    rows_.fetch_add(rows, std::memory_order_relaxed);
  }

  uint64_t requests(size_t slot) const { return by_status_[slot].load(std::memory_order_relaxed); }
  /// Requests whose latency fell in bucket `b` (not cumulative); b == kLatencyBuckets.size()
  /// is above the last bound.
  uint64_t bucket(size_t b) const { return buckets_[b].load(std::memory_order_relaxed); }
  double latency_sum_seconds() const {
    return static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) * 1e-9;
  }
  uint64_t rows() const { return rows_.load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<uint64_t>, kCountedStatuses.size()> by_status_{};
  std::array<std::atomic<uint64_t>, kLatencyBuckets.size() + 1> buckets_{};
  std::atomic<uint64_t> sum_ns_{0};
  std::atomic<uint64_t> rows_{0};
};

}  // namespace hone::serve

#endif  // HONE_SERVE_REQUEST_STATS_H_
