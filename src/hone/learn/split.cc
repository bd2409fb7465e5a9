#include "hone/learn/split.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "hone/core/random.h"

namespace hone::learn {
namespace {

__extension__ typedef unsigned __int128 Uint128;

constexpr size_t kMaxRows = std::numeric_limits<uint32_t>::max();

// Both index lists come out ascending because rows are visited in order.
Split FromTestMask(const std::vector<bool>& in_test) {
  Split split;
  for (size_t row = 0; row < in_test.size(); ++row) {
    (in_test[row] ? split.test : split.train).push_back(static_cast<uint32_t>(row));
  }
  return split;
}

std::vector<Split> FromFoldIds(const std::vector<size_t>& fold_of, size_t k) {
  std::vector<Split> folds(k);
  for (size_t fold = 0; fold < k; ++fold) {
    for (size_t row = 0; row < fold_of.size(); ++row) {
      (fold_of[row] == fold ? folds[fold].test : folds[fold].train)
          .push_back(static_cast<uint32_t>(row));
    }
  }
  return folds;
}

// Labels arrive as floats (the target column's type); they must be whole class indices.
std::vector<std::vector<uint32_t>> RowsByClass(std::span<const float> labels, size_t num_classes) {
  HONE_CHECK(labels.size() <= kMaxRows);
  std::vector<std::vector<uint32_t>> rows(num_classes);
  for (size_t row = 0; row < labels.size(); ++row) {
    const float label = labels[row];
    HONE_CHECK(label >= 0 && label < static_cast<float>(num_classes) && std::floor(label) == label);
    rows[static_cast<size_t>(label)].push_back(static_cast<uint32_t>(row));
  }
  return rows;
}

// How many test rows each class gets: its exact share total * size / n rounded down, then the
// seats left over go one at a time to the largest remainders (Hamilton's method), so every
// class is within one row of its share. A class of two or more rows keeps one training row;
// seats it cannot take pass to the next class with room.
std::vector<size_t> AllocateTestRows(const std::vector<std::vector<uint32_t>>& rows, size_t n,
                                     size_t total) {
  const size_t num_classes = rows.size();
  std::vector<size_t> take(num_classes);
  std::vector<size_t> cap(num_classes);
  std::vector<uint64_t> remainder(num_classes);
  size_t allocated = 0;
  for (size_t c = 0; c < num_classes; ++c) {
    const size_t size = rows[c].size();
    // Exact integer arithmetic: a floating-point share could round across a whole number.
    const Uint128 product = static_cast<Uint128>(total) * size;
    cap[c] = size >= 2 ? size - 1 : size;
    take[c] = std::min(static_cast<size_t>(product / n), cap[c]);
    remainder[c] = static_cast<uint64_t>(product % n);
    allocated += take[c];
  }
  std::vector<size_t> order(num_classes);
  std::iota(order.begin(), order.end(), size_t{0});
  // Ties go to the larger class, then the lower index: deterministic, and independent of seed.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (remainder[a] != remainder[b]) return remainder[a] > remainder[b];
    return rows[a].size() > rows[b].size();
  });
  bool progressed = true;
  while (allocated < total && progressed) {
    progressed = false;
    for (size_t c : order) {
      if (allocated == total) break;
      if (take[c] < cap[c]) {
        ++take[c];
        ++allocated;
        progressed = true;
      }
    }
  }
  return take;
}

std::string FormatKey(double key) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), key);
  return std::string(buffer, result.ptr);
}

}  // namespace

size_t TestCount(size_t n, double test_size) {
  HONE_CHECK(test_size >= 0.0 && test_size < 1.0);
  // The same double product as sklearn, rounding included: n = 100 with test_size = 0.07 gives
  // 7.000000000000001 and so 8 test rows, in both.
  return static_cast<size_t>(std::ceil(test_size * static_cast<double>(n)));
}

Split RandomSplit(size_t n, double test_size, uint64_t seed) {
  HONE_CHECK(n <= kMaxRows);
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), uint32_t{0});
  core::Rng rng(seed);
  rng.Shuffle(order);
  std::vector<bool> in_test(n, false);
  const size_t test_count = TestCount(n, test_size);
  for (size_t i = 0; i < test_count; ++i) in_test[order[i]] = true;
  return FromTestMask(in_test);
}

Split StratifiedSplit(std::span<const float> labels, size_t num_classes, double test_size,
                      uint64_t seed) {
  std::vector<std::vector<uint32_t>> rows = RowsByClass(labels, num_classes);
  const size_t n = labels.size();
  std::vector<bool> in_test(n, false);
  if (n == 0) return {};
  const std::vector<size_t> take = AllocateTestRows(rows, n, TestCount(n, test_size));
  core::Rng rng(seed);
  for (size_t c = 0; c < num_classes; ++c) {
    rng.Shuffle(rows[c]);
    for (size_t i = 0; i < take[c]; ++i) in_test[rows[c][i]] = true;
  }
  return FromTestMask(in_test);
}

Result<Split> TimeSplit(std::span<const double> order_key, double test_size) {
  const size_t n = order_key.size();
  HONE_CHECK(n <= kMaxRows);
  for (size_t row = 0; row < n; ++row) {
    if (std::isnan(order_key[row])) {
      return Fail(ErrorCode::kInvalidData,
                  "time split: the order key of row " + std::to_string(row) +
                      " is missing (NaN); every row needs a time to be ordered");
    }
  }
  const size_t test_count = TestCount(n, test_size);
  if (test_count == 0) return FromTestMask(std::vector<bool>(n, false));
  // The earliest key among the latest test_count rows; selection, not a full sort.
  std::vector<double> sorted(order_key.begin(), order_key.end());
  const auto boundary_it = sorted.begin() + static_cast<ptrdiff_t>(n - test_count);
  std::nth_element(sorted.begin(), boundary_it, sorted.end());
  const double boundary = *boundary_it;
  std::vector<bool> in_test(n);
  size_t grown = 0;
  for (size_t row = 0; row < n; ++row) {
    in_test[row] = order_key[row] >= boundary;
    grown += in_test[row] ? 1 : 0;
  }
  if (grown == n) {
    return Fail(ErrorCode::kInvalidData,
                "time split: no training rows remain: the latest " + std::to_string(test_count) +
                    " of " + std::to_string(n) + " rows (test_size " + FormatKey(test_size) +
                    ") reach back to the earliest order key " + FormatKey(boundary) +
                    ", and rows sharing a key stay together; lower test_size or use an order "
                    "key with more distinct values");
  }
  return FromTestMask(in_test);
}

std::vector<Split> KFold(size_t n, size_t k, uint64_t seed) {
  HONE_CHECK(k >= 2 && k <= n && n <= kMaxRows);
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), uint32_t{0});
  core::Rng rng(seed);
  rng.Shuffle(order);
  // sklearn's sizes: the first n % k folds hold one row more.
  std::vector<size_t> fold_of(n);
  size_t position = 0;
  for (size_t fold = 0; fold < k; ++fold) {
    const size_t size = n / k + (fold < n % k ? 1 : 0);
    for (size_t i = 0; i < size; ++i) fold_of[order[position++]] = fold;
  }
  return FromFoldIds(fold_of, k);
}

std::vector<Split> StratifiedKFold(std::span<const float> labels, size_t num_classes, size_t k,
                                   uint64_t seed) {
  HONE_CHECK(k >= 2 && k <= labels.size());
  std::vector<std::vector<uint32_t>> rows = RowsByClass(labels, num_classes);
  // Shuffle within each class, lay the classes end to end and deal the rows to the folds in
  // turn. Each class is a contiguous run of the deal, so every fold gets its share of every
  // class to within one row, and the fold sizes differ by at most one.
  core::Rng rng(seed);
  std::vector<size_t> fold_of(labels.size());
  size_t position = 0;
  for (std::vector<uint32_t>& class_rows : rows) {
    rng.Shuffle(class_rows);
    for (uint32_t row : class_rows) fold_of[row] = position++ % k;
  }
  return FromFoldIds(fold_of, k);
}

}  // namespace hone::learn
