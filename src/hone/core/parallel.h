// Data-parallel loops over std::thread. The work split never changes results: callers derive
// any randomness from the item index, not from the thread that runs it.
#ifndef HONE_CORE_PARALLEL_H_
#define HONE_CORE_PARALLEL_H_

#include <cstddef>
#include <functional>

namespace hone::core {

/// Threads to use when the user asked for `requested` (0 = all hardware threads).
unsigned ResolveThreads(unsigned requested);

/// Calls `fn(i)` for every i in [0, n) on up to `threads` threads (including the caller);
/// items are handed out one at a time, so uneven items balance. Returns when all are done.
/// `fn` must not throw.
void ParallelFor(size_t n, unsigned threads, const std::function<void(size_t)>& fn);

}  // namespace hone::core

#endif  // HONE_CORE_PARALLEL_H_
