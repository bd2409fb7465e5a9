#include "hone/learn/heap_trees.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <utility>

namespace hone::learn {
namespace {

// Independent walks PredictRow-style callers interleave: trees of one row. Their loads do not
// depend on each other, so the processor overlaps them.
constexpr size_t kLanes = 8;

// An unsigned integer with the order of the floats: a < b exactly when Key(a) < Key(b), for
// any a, b that are not NaN. -0 is made +0 first, as the two compare equal.
uint32_t Key(float x) {
  const uint32_t bits = std::bit_cast<uint32_t>(x + 0.0f);
  return bits & 0x80000000u ? ~bits : bits | 0x80000000u;
}
// Below and above the key of every float that is not NaN (-inf is 0x007fffff, +inf is
// 0xff800000).
constexpr uint32_t kBelowAll = 0;
constexpr uint32_t kAboveAll = 0xffffffffu;

}  // namespace

HeapTrees::HeapTrees(std::vector<bool> categorical) : categorical_(std::move(categorical)) {
  for (bool c : categorical_) {
    first_word_.push_back(static_cast<uint32_t>(encoded_width_));
    encoded_width_ += c ? 3 : 2;
  }
}

int64_t HeapTrees::Add(std::span<const Node> nodes) {
  if (nodes.empty() || nodes.size() > (size_t{1} << (kMaxDepth + 1))) return -1;
  // Depth first from the root: every child in range and reached once, every split one the
  // layout can hold exactly.
  std::vector<uint32_t> depth_of(nodes.size(), 0);
  std::vector<uint8_t> seen(nodes.size(), 0);
  std::vector<uint32_t> stack = {0};
  seen[0] = 1;
  uint32_t depth = 0;
  while (!stack.empty()) {
    const uint32_t id = stack.back();
    stack.pop_back();
    const Node& n = nodes[id];
    depth = std::max(depth, depth_of[id]);
    if (depth > kMaxDepth) return -1;
    if (n.leaf) continue;
    if (n.feature >= categorical_.size() || (n.categorical && !categorical_[n.feature]) ||
        (!n.categorical && std::isnan(n.threshold))) {
      return -1;
    }
    for (uint32_t child : {n.left, n.right}) {
      if (child >= nodes.size() || seen[child]) return -1;
      seen[child] = 1;
      depth_of[child] = depth_of[id] + 1;
      stack.push_back(child);
    }
  }

  // Every split slot starts as "always left" (a category test against the empty mask), every
  // leaf slot as 0; then each node is written to its heap position.
  const size_t num_splits = (size_t{1} << depth) - 1;
  Tree tree{static_cast<uint32_t>(splits_.size()), static_cast<uint32_t>(leaves_.size()), depth};
  splits_.resize(splits_.size() + num_splits, Split{0, 0, 1});
  leaves_.resize(leaves_.size() + num_splits + 1, 0);
  std::vector<std::pair<uint32_t, size_t>> place = {{0, 0}};  // node, heap position
  while (!place.empty()) {
    auto [id, at] = place.back();
    place.pop_back();
    const Node& n = nodes[id];
    if (n.leaf) {
      while (at < num_splits) at = 2 * at + 1;  // its leftmost descendant on the last level
      leaves_[tree.first_leaf + (at - num_splits)] = n.value;
      continue;
    }
    Split& s = splits_[tree.first_split + at];
    const uint32_t word = first_word_[n.feature];
    if (n.categorical) {
      s = {word + 2, n.right_mask, 1};
    } else {
      // Key(+inf) + 1 is still below kAboveAll.
      s = {word + (n.default_left ? 0 : 1), ~0u, Key(n.threshold) + (n.left_if_equal ? 1 : 0)};
    }
    place.push_back({n.left, 2 * at + 1});
    place.push_back({n.right, 2 * at + 2});
  }
  trees_.push_back(tree);
  return static_cast<int64_t>(trees_.size() - 1);
}

void HeapTrees::EncodeRows(const float* data, size_t count, size_t row_stride, size_t col_stride,
                           uint32_t* out) const {
  const size_t width = encoded_width_;
  for (size_t j = 0; j < categorical_.size(); ++j) {
    const float* column = data + j * col_stride;
    uint32_t* to = out + first_word_[j];
    for (size_t r = 0; r < count; ++r) {
      const float x = column[r * row_stride];
      const bool missing = std::isnan(x);
      const uint32_t key = Key(x);
      to[r * width] = missing ? kBelowAll : key;      // read by splits sending NaN left
      to[r * width + 1] = missing ? kAboveAll : key;  // and by those sending it right
    }
    if (!categorical_[j]) continue;
    for (size_t r = 0; r < count; ++r) {
      const float x = column[r * row_stride];
      uint32_t bits = std::isnan(x) ? kMissingBit : kUnknownBit;
      if (x >= 0 && x < static_cast<float>(kCategoryLimit)) bits = 1u << static_cast<uint32_t>(x);
      to[r * width + 2] = bits;
    }
  }
}

// One level of a walk: the heap position of the child `row` goes to from split `at`.
inline uint32_t HeapTrees::Step(const Split* splits, uint32_t at, const uint32_t* row) {
  const Split& s = splits[at];
  const uint32_t right = (row[s.word] & s.mask) >= s.bound;
  return 2 * at + 1 + right;
}

void HeapTrees::Leaves(size_t tree, const uint32_t* rows, size_t count, uint32_t* leaves) const {
  const Tree& t = trees_[tree];
  const uint32_t* values = leaves_.data() + t.first_leaf;
  if (t.depth == 0) {
    std::fill_n(leaves, count, values[0]);
    return;
  }
  const Split* splits = splits_.data() + t.first_split;
  const size_t width = encoded_width_;
  // Level by level over all the rows: the walks of different rows are independent, so the
  // processor runs many of them at once.
  uint32_t at[kMaxBlockRows];
  for (size_t r = 0; r < count; ++r) at[r] = Step(splits, 0, rows + r * width);
  for (uint32_t d = 1; d < t.depth; ++d) {
    for (size_t r = 0; r < count; ++r) at[r] = Step(splits, at[r], rows + r * width);
  }
  const uint32_t first_leaf = (1u << t.depth) - 1;
  for (size_t r = 0; r < count; ++r) leaves[r] = values[at[r] - first_leaf];
}

void HeapTrees::LeavesOfRow(const uint32_t* row, uint32_t* leaves) const {
  for (size_t first = 0; first < trees_.size(); first += kLanes) {
    const size_t lanes = std::min(kLanes, trees_.size() - first);
    const Tree* trees = trees_.data() + first;
    uint32_t depth = 0;
    for (size_t l = 0; l < lanes; ++l) depth = std::max(depth, trees[l].depth);
    uint32_t at[kLanes] = {};
    for (uint32_t d = 0; d < depth; ++d) {
      for (size_t l = 0; l < lanes; ++l) {
        if (d < trees[l].depth) at[l] = Step(splits_.data() + trees[l].first_split, at[l], row);
      }
    }
    for (size_t l = 0; l < lanes; ++l) {
      leaves[first + l] = leaves_[trees[l].first_leaf + at[l] - ((1u << trees[l].depth) - 1)];
    }
  }
}

}  // namespace hone::learn
