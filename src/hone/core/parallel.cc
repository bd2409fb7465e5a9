#include "hone/core/parallel.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace hone::core {

unsigned ResolveThreads(unsigned requested) {
  if (requested > 0) return requested;
  return std::max(1u, std::thread::hardware_concurrency());
}

void ParallelFor(size_t n, unsigned threads, const std::function<void(size_t)>& fn) {
  size_t workers = std::min<size_t>(ResolveThreads(threads), n);
  if (workers <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) fn(i);
  };
  std::vector<std::jthread> pool;
  pool.reserve(workers - 1);
  for (size_t t = 1; t < workers; ++t) pool.emplace_back(work);
  work();
}

}  // namespace hone::core
