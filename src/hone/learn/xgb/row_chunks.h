// Batch prediction split into row ranges run on several threads.
#ifndef HONE_LEARN_XGB_ROW_CHUNKS_H_
#define HONE_LEARN_XGB_ROW_CHUNKS_H_

#include <algorithm>
#include <functional>
#include <vector>

#include "hone/core/error.h"
#include "hone/core/parallel.h"

namespace hone::learn::xgb {

/// Calls `fn(begin, end)` for consecutive row ranges covering [0, rows), on up to `threads`
/// threads (0 = all hardware threads); ranges are at least a few hundred rows, since each
/// call has a fixed cost. Returns the first range's error, if any.
inline Result<void> ForEachRowChunk(size_t rows, unsigned threads,
                                    const std::function<Result<void>(size_t, size_t)>& fn) {
  constexpr size_t kMinRows = 512;
  size_t chunks = std::clamp<size_t>(rows / kMinRows, 1, core::ResolveThreads(threads));
  std::vector<Result<void>> results(chunks);
  core::ParallelFor(chunks, static_cast<unsigned>(chunks),
                    [&](size_t i) { results[i] = fn(rows * i / chunks, rows * (i + 1) / chunks); });
  for (Result<void>& r : results) HONE_TRY(r);
  return {};
}

}  // namespace hone::learn::xgb

#endif  // HONE_LEARN_XGB_ROW_CHUNKS_H_
