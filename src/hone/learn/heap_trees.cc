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

HeapTrees::HeapTrees(std::vector<uint32_t> categories, std::vector<std::vector<uint32_t>> codes)
    : categories_(std::move(categories)), codes_(std::move(codes)) {
  codes_.resize(categories_.size());
  for (size_t f = 0; f < categories_.size(); ++f) {
    first_word_.push_back(static_cast<uint32_t>(encoded_width_));
    encoded_width_ += categories_[f] > 0 ? 4 : 2;
    // Without codes of its own a category is its code; that table is not built, as a model
    // may name categories up to 2^24.
    std::vector<uint32_t>& code = codes_[f];
    if (code.size() != categories_[f]) code.clear();
    num_codes_.push_back(code.empty() ? categories_[f]
                                      : *std::max_element(code.begin(), code.end()) + 1);
  }
}

bool HeapTrees::MakeSplit(const Node& n, bool allow_wide, Split& out) {
  const uint32_t word = first_word_[n.feature];
  if (!n.categorical) {
    // Key(+inf) + 1 is still below kAboveAll.
    out = {word + (n.default_left ? 0 : 1), ~0u, Key(n.threshold) + (n.left_if_equal ? 1 : 0), 0};
    return true;
  }
  // Work in the size of the split's list, not of the feature: a feature may have 2^24 codes.
  const uint32_t k = num_codes_[n.feature];
  std::vector<uint32_t> right(n.right_codes);
  std::sort(right.begin(), right.end());
  right.erase(std::unique(right.begin(), right.end()), right.end());
  if (!right.empty() && right.back() >= k) return false;
  // Narrow when every code past kNarrowCategories goes where unknown values go: none of them
  // is listed, or (unknown values going right) all of them are.
  uint32_t mask = (n.unknown_right ? kUnknownBit : 0) | (n.missing_right ? kMissingBit : 0);
  size_t past = 0;
  for (uint32_t c : right) {
    if (c < kNarrowCategories) {
      mask |= 1u << c;
    } else {
      ++past;
    }
  }
  const size_t codes_past = k > kNarrowCategories ? k - kNarrowCategories : 0;
  if (past == (n.unknown_right ? codes_past : 0)) {
    out = {word + 2, mask, 1, 0};
    return true;
  }
  if (!allow_wide || k > kMaxWideCategories) return false;
  // Wide: bit c of the table for the code c, then unknown (code k) and NaN (code k + 1).
  const auto table = static_cast<uint32_t>(tables_.size());
  tables_.resize(tables_.size() + (k + 2 + 31) / 32, 0);
  for (uint32_t c : right) tables_[table + c / 32] |= 1u << (c % 32);
  if (n.unknown_right) tables_[table + k / 32] |= 1u << (k % 32);
  if (n.missing_right) tables_[table + (k + 1) / 32] |= 1u << ((k + 1) % 32);
  out = {word + 3, 0, 1, table};
  return true;
}

int64_t HeapTrees::Add(std::span<const Node> nodes) {
  if (nodes.empty() || nodes.size() > (size_t{1} << (kMaxDepth + 1))) return -1;
  // Depth first from the root: every child in range and reached once, every split one the
  // layout can hold; the tree is wide when a categorical split cannot be narrow.
  std::vector<uint32_t> depth_of(nodes.size(), 0);
  std::vector<uint8_t> seen(nodes.size(), 0);
  std::vector<uint32_t> stack = {0};
  seen[0] = 1;
  Tree tree{0, 0, 0, false};
  Split split{};
  const size_t tables = tables_.size();
  while (!stack.empty()) {
    const uint32_t id = stack.back();
    stack.pop_back();
    const Node& n = nodes[id];
    tree.depth = std::max(tree.depth, depth_of[id]);
    if (tree.depth > kMaxDepth) return -1;
    if (n.leaf) continue;
    if (n.feature >= categories_.size() || (n.categorical && categories_[n.feature] == 0) ||
        (!n.categorical && std::isnan(n.threshold))) {
      return -1;
    }
    if (!tree.wide && !MakeSplit(n, false, split)) tree.wide = true;
    for (uint32_t child : {n.left, n.right}) {
      if (child >= nodes.size() || seen[child]) return -1;
      seen[child] = 1;
      depth_of[child] = depth_of[id] + 1;
      stack.push_back(child);
    }
  }

  // Every split slot starts as "always left" (word 0 is 0, and so is table bit 0), every leaf
  // slot as 0; then each node is written to its heap position.
  const size_t num_splits = (size_t{1} << tree.depth) - 1;
  tree.first_split = static_cast<uint32_t>(splits_.size());
  tree.first_leaf = static_cast<uint32_t>(leaves_.size());
  splits_.resize(splits_.size() + num_splits, Split{0, ~0u, 1, 0});
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
    if (!MakeSplit(n, tree.wide, splits_[tree.first_split + at])) {
      // Too many categories for a table: undo this tree.
      splits_.resize(tree.first_split);
      leaves_.resize(tree.first_leaf);
      tables_.resize(tables);
      return -1;
    }
    place.push_back({n.left, 2 * at + 1});
    place.push_back({n.right, 2 * at + 2});
  }
  trees_.push_back(tree);
  const auto index = static_cast<uint32_t>(trees_.size() - 1);
  auto shape = [&](uint32_t t) { return std::pair(trees_[t].wide, trees_[t].depth); };
  by_shape_.insert(std::upper_bound(by_shape_.begin(), by_shape_.end(), index,
                                    [&](uint32_t a, uint32_t b) { return shape(a) < shape(b); }),
                   index);
  return index;
}

size_t HeapTrees::num_wide_trees() const {
  return static_cast<size_t>(
      std::count_if(trees_.begin(), trees_.end(), [](const Tree& t) { return t.wide; }));
}

void HeapTrees::EncodeRows(const float* data, size_t count, size_t row_stride, size_t col_stride,
                           uint32_t* out) const {
  const size_t width = encoded_width_;
  for (size_t r = 0; r < count; ++r) out[r * width] = 0;
  for (size_t j = 0; j < categories_.size(); ++j) {
    const float* column = data + j * col_stride;
    uint32_t* to = out + first_word_[j];
    for (size_t r = 0; r < count; ++r) {
      const float x = column[r * row_stride];
      const bool missing = std::isnan(x);
      const uint32_t key = Key(x);
      to[r * width] = missing ? kBelowAll : key;      // read by splits sending NaN left
      to[r * width + 1] = missing ? kAboveAll : key;  // and by those sending it right
    }
    const uint32_t k = categories_[j];
    if (k == 0) continue;
    const std::vector<uint32_t>& code_of = codes_[j];
    const uint32_t unknown = num_codes_[j];
    for (size_t r = 0; r < count; ++r) {
      const float x = column[r * row_stride];
      uint32_t bit = kUnknownBit, code = unknown;
      if (std::isnan(x)) {
        bit = kMissingBit;
        code = unknown + 1;
      } else if (x >= 0 && x < static_cast<float>(k)) {
        code = static_cast<uint32_t>(x);
        if (!code_of.empty()) code = code_of[code];
        if (code < kNarrowCategories) bit = 1u << code;
      }
      to[r * width + 2] = bit;
      to[r * width + 3] = code;
    }
  }
}

// One level of a walk: the heap position of the child `row` goes to from split `at`.
template <bool kWide>
inline uint32_t HeapTrees::Step(const Split* splits, uint32_t at, const uint32_t* row) const {
  const Split& s = splits[at];
  const uint32_t v = row[s.word];
  uint32_t right = (v & s.mask) >= s.bound;
  if constexpr (kWide) {
    // Other splits read bit 0 of the empty table 0.
    const uint32_t code = v & (0u - static_cast<uint32_t>(s.table != 0));  // no branch
    right |= (tables_[s.table + code / 32] >> (code % 32)) & 1u;
  }
  return 2 * at + 1 + right;
}

template <bool kWide>
void HeapTrees::WalkBlock(const Tree& t, const uint32_t* rows, size_t count,
                          uint32_t* leaves) const {
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
  for (size_t r = 0; r < count; ++r) at[r] = Step<kWide>(splits, 0, rows + r * width);
  for (uint32_t d = 1; d < t.depth; ++d) {
    for (size_t r = 0; r < count; ++r) at[r] = Step<kWide>(splits, at[r], rows + r * width);
  }
  const uint32_t first_leaf = (1u << t.depth) - 1;
  for (size_t r = 0; r < count; ++r) leaves[r] = values[at[r] - first_leaf];
}

void HeapTrees::Leaves(size_t tree, const uint32_t* rows, size_t count, uint32_t* leaves) const {
  const Tree& t = trees_[tree];
  if (t.wide) {
    WalkBlock<true>(t, rows, count, leaves);
  } else {
    WalkBlock<false>(t, rows, count, leaves);
  }
}

template <bool kWide>
void HeapTrees::WalkRow(const uint32_t* trees, size_t count, uint32_t depth, const uint32_t* row,
                        uint32_t* leaves) const {
  // kLanes trees of one depth in lockstep: their walks are independent, so the processor
  // overlaps them.
  const uint32_t first_leaf = (1u << depth) - 1;
  for (size_t first = 0; first < count; first += kLanes) {
    const size_t lanes = std::min(kLanes, count - first);
    const Split* splits[kLanes];
    uint32_t at[kLanes] = {};
    for (size_t l = 0; l < lanes; ++l)
      splits[l] = splits_.data() + trees_[trees[first + l]].first_split;
    for (uint32_t d = 0; d < depth; ++d) {
      for (size_t l = 0; l < lanes; ++l) at[l] = Step<kWide>(splits[l], at[l], row);
    }
    for (size_t l = 0; l < lanes; ++l) {
      const uint32_t t = trees[first + l];
      leaves[t] = leaves_[trees_[t].first_leaf + at[l] - first_leaf];
    }
  }
}

void HeapTrees::LeavesOfRow(const uint32_t* row, uint32_t* leaves) const {
  // by_shape_ lists the trees grouped by kind and depth; each group is walked on its own.
  for (size_t begin = 0; begin < by_shape_.size();) {
    const Tree& shape = trees_[by_shape_[begin]];
    size_t end = begin + 1;
    while (end < by_shape_.size() && trees_[by_shape_[end]].depth == shape.depth &&
           trees_[by_shape_[end]].wide == shape.wide) {
      ++end;
    }
    if (shape.wide) {
      WalkRow<true>(by_shape_.data() + begin, end - begin, shape.depth, row, leaves);
    } else {
      WalkRow<false>(by_shape_.data() + begin, end - begin, shape.depth, row, leaves);
    }
    begin = end;
  }
}

}  // namespace hone::learn
