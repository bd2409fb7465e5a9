#include "hone/learn/heap_trees.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "hone/core/random.h"

namespace hone::learn {
namespace {

using Node = HeapTrees::Node;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// The rules of heap_trees.h, walked node by node: the reference every layout must match.
uint32_t Reference(const std::vector<Node>& tree, const std::vector<float>& row) {
  uint32_t at = 0;
  while (!tree[at].leaf) {
    const Node& n = tree[at];
    const float x = row[n.feature];
    bool right;
    if (n.categorical) {
      uint32_t bit = std::isnan(x) ? HeapTrees::kMissingBit : HeapTrees::kUnknownBit;
      if (x >= 0 && x < static_cast<float>(HeapTrees::kCategoryLimit)) {
        bit = 1u << static_cast<uint32_t>(x);
      }
      right = (n.right_mask & bit) != 0;
    } else {
      right = std::isnan(x)     ? !n.default_left
              : n.left_if_equal ? !(x <= n.threshold)
                                : !(x < n.threshold);
    }
    at = right ? n.right : n.left;
  }
  return tree[at].value;
}

// Values that probe every rule: NaN, infinities, both zeros, categories inside and past the
// limit, fractions, negatives, huge numbers.
float OddValue(core::Rng& rng) {
  static const float kValues[] = {kNaN, kInf, -kInf, 0.0f,  -0.0f, 1,     2.5f,   29, 29.9f,
                                  30,   31,   -1,    -0.5f, 1e9f,  3e38f, -3e38f, 7,  0.25f};
  if (rng.Below(3) == 0) return static_cast<float>(rng.Uniform() * 4 - 2);
  return kValues[rng.Below(std::size(kValues))];
}

// A random tree over `categorical.size()` features, up to `max_depth` deep.
std::vector<Node> RandomTree(core::Rng& rng, const std::vector<bool>& categorical,
                             uint32_t max_depth) {
  std::vector<Node> tree(1);
  std::vector<uint32_t> depth = {0};
  for (size_t i = 0; i < tree.size(); ++i) {
    if (depth[i] == max_depth || (i > 0 && rng.Below(5) == 0)) {
      tree[i].leaf = true;
      tree[i].value = static_cast<uint32_t>(i * 7919 + 1);
      continue;
    }
    Node n;
    n.feature = static_cast<uint32_t>(rng.Below(categorical.size()));
    n.categorical = categorical[n.feature] && rng.Below(4) != 0;
    n.left_if_equal = rng.Below(2) == 0;
    n.default_left = rng.Below(2) == 0;
    n.threshold = rng.Below(4) == 0 ? OddValue(rng) : static_cast<float>(rng.Uniform() * 4 - 2);
    if (std::isnan(n.threshold)) n.threshold = 0.5f;
    n.right_mask = static_cast<uint32_t>(rng.Below(uint64_t{1} << 32));
    n.left = static_cast<uint32_t>(tree.size());
    n.right = n.left + 1;
    tree[i] = n;
    tree.resize(tree.size() + 2);
    depth.push_back(depth[i] + 1);
    depth.push_back(depth[i] + 1);
  }
  // Children listed before their parents must work too: reverse the order of the nodes.
  if (rng.Below(2) == 0) {
    const auto last = static_cast<uint32_t>(tree.size() - 1);
    std::vector<Node> reversed(tree.rbegin(), tree.rend());
    for (Node& n : reversed) {
      n.left = last - n.left;
      n.right = last - n.right;
    }
    // The root must stay node 0: swap it back to the front.
    std::swap(reversed[0], reversed[last]);
    for (Node& n : reversed) {
      if (n.leaf) continue;
      for (uint32_t* child : {&n.left, &n.right}) {
        if (*child == 0) {
          *child = last;
        } else if (*child == last) {
          *child = 0;
        }
      }
    }
    return reversed;
  }
  return tree;
}

TEST(HeapTreesTest, EveryLayoutWalksAsTheNodesDo) {
  core::Rng rng(11);
  const std::vector<bool> categorical = {false, true, false, true, false};
  HeapTrees heap(categorical);
  std::vector<std::vector<Node>> trees;
  for (uint32_t max_depth = 0; max_depth <= HeapTrees::kMaxDepth; ++max_depth) {
    for (int k = 0; k < 3; ++k) {
      trees.push_back(RandomTree(rng, categorical, max_depth));
      ASSERT_EQ(heap.Add(trees.back()), static_cast<int64_t>(trees.size() - 1))
          << "depth " << max_depth;
    }
  }
  const size_t rows = 300;  // past one block, so blocks of several sizes are walked
  const size_t f = categorical.size();
  std::vector<std::vector<float>> row_list(rows, std::vector<float>(f));
  std::vector<float> column_major(rows * f);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t j = 0; j < f; ++j) {
      row_list[r][j] = OddValue(rng);
      column_major[j * rows + r] = row_list[r][j];
    }
  }
  const size_t width = heap.encoded_width();
  EXPECT_EQ(width, 12u);  // two words per feature, a third per categorical one
  std::vector<uint32_t> encoded(rows * width);
  heap.EncodeRows(column_major.data(), rows, 1, rows, encoded.data());
  for (size_t r = 0; r < rows; ++r) {
    std::vector<uint32_t> one(width);
    heap.EncodeRows(row_list[r].data(), 1, f, 1, one.data());
    ASSERT_EQ(std::vector<uint32_t>(encoded.begin() + r * width, encoded.begin() + (r + 1) * width),
              one);
  }
  for (size_t block : {size_t{1}, size_t{7}, HeapTrees::kMaxBlockRows}) {
    std::vector<uint32_t> leaves(block);
    for (size_t t = 0; t < trees.size(); ++t) {
      for (size_t begin = 0; begin < rows; begin += block) {
        const size_t count = std::min(block, rows - begin);
        heap.Leaves(t, encoded.data() + begin * width, count, leaves.data());
        for (size_t i = 0; i < count; ++i) {
          ASSERT_EQ(leaves[i], Reference(trees[t], row_list[begin + i]))
              << "tree " << t << " row " << begin + i << " block " << block;
        }
      }
    }
  }
  std::vector<uint32_t> per_tree(trees.size());
  for (size_t r = 0; r < rows; ++r) {
    heap.LeavesOfRow(encoded.data() + r * width, per_tree.data());
    for (size_t t = 0; t < trees.size(); ++t) {
      ASSERT_EQ(per_tree[t], Reference(trees[t], row_list[r])) << "tree " << t << " row " << r;
    }
  }
}

// One numeric split on feature 0 at `threshold`: leaf 1 left, 2 right.
std::vector<Node> Stump(float threshold, bool default_left) {
  std::vector<Node> tree(3);
  tree[0].threshold = threshold;
  tree[0].default_left = default_left;
  tree[0].left = 1;
  tree[0].right = 2;
  tree[1] = {.leaf = true, .value = 1};
  tree[2] = {.leaf = true, .value = 2};
  return tree;
}

uint32_t LeafOf(const HeapTrees& heap, size_t tree, float x) {
  std::vector<uint32_t> encoded(heap.encoded_width());
  heap.EncodeRows(&x, 1, 1, 1, encoded.data());
  uint32_t leaf = 0;
  heap.Leaves(tree, encoded.data(), 1, &leaf);
  return leaf;
}

TEST(HeapTreesTest, NumericSplitsCompareAsFloats) {
  HeapTrees heap({false});
  ASSERT_EQ(heap.Add(Stump(0.0f, true)), 0);
  ASSERT_EQ(heap.Add(Stump(-kInf, false)), 1);
  ASSERT_EQ(heap.Add(Stump(kInf, true)), 2);
  ASSERT_EQ(heap.Add(Stump(-0.0f, false)), 3);
  EXPECT_EQ(LeafOf(heap, 0, -0.0f), 2u);  // -0 < 0 is false
  EXPECT_EQ(LeafOf(heap, 0, -1e-30f), 1u);
  EXPECT_EQ(LeafOf(heap, 0, kNaN), 1u);  // the default side
  EXPECT_EQ(LeafOf(heap, 0, -kInf), 1u);
  EXPECT_EQ(LeafOf(heap, 1, -kInf), 2u);  // nothing is below -inf
  EXPECT_EQ(LeafOf(heap, 1, kNaN), 2u);
  EXPECT_EQ(LeafOf(heap, 2, 3e38f), 1u);
  EXPECT_EQ(LeafOf(heap, 2, kInf), 2u);
  EXPECT_EQ(LeafOf(heap, 2, kNaN), 1u);
  EXPECT_EQ(LeafOf(heap, 3, 0.0f), 2u);
  EXPECT_EQ(LeafOf(heap, 3, -1.0f), 1u);
  EXPECT_EQ(LeafOf(heap, 3, kNaN), 2u);
  // x <= threshold goes left, up to +inf: only NaN can then go right.
  std::vector<Node> tree = Stump(kInf, false);
  tree[0].left_if_equal = true;
  ASSERT_EQ(heap.Add(tree), 4);
  EXPECT_EQ(LeafOf(heap, 4, kInf), 1u);
  EXPECT_EQ(LeafOf(heap, 4, kNaN), 2u);
  tree = Stump(0.5f, true);
  tree[0].left_if_equal = true;
  ASSERT_EQ(heap.Add(tree), 5);
  EXPECT_EQ(LeafOf(heap, 5, 0.5f), 1u);
  EXPECT_EQ(LeafOf(heap, 5, std::nextafter(0.5f, 1.0f)), 2u);
  tree = Stump(-0.0f, true);
  tree[0].left_if_equal = true;
  ASSERT_EQ(heap.Add(tree), 6);
  EXPECT_EQ(LeafOf(heap, 6, 0.0f), 1u);
  EXPECT_EQ(LeafOf(heap, 6, 1e-45f), 2u);
}

TEST(HeapTreesTest, CategoricalSplitsReadTheMask) {
  HeapTrees heap({true});
  std::vector<Node> tree = Stump(0, false);
  tree[0].categorical = true;
  tree[0].right_mask = (1u << 3) | (1u << 29) | HeapTrees::kUnknownBit;
  ASSERT_EQ(heap.Add(tree), 0);
  EXPECT_EQ(LeafOf(heap, 0, 3), 2u);
  EXPECT_EQ(LeafOf(heap, 0, 3.9f), 2u);  // truncated
  EXPECT_EQ(LeafOf(heap, 0, 29), 2u);
  EXPECT_EQ(LeafOf(heap, 0, 4), 1u);
  EXPECT_EQ(LeafOf(heap, 0, 30), 2u);  // past the limit: unknown
  EXPECT_EQ(LeafOf(heap, 0, -0.5f), 2u);
  EXPECT_EQ(LeafOf(heap, 0, kInf), 2u);
  EXPECT_EQ(LeafOf(heap, 0, kNaN), 1u);  // missing, not in the mask
  // A categorical feature takes numeric splits too.
  ASSERT_EQ(heap.Add(Stump(2.5f, false)), 1);
  EXPECT_EQ(LeafOf(heap, 1, 2), 1u);
  EXPECT_EQ(LeafOf(heap, 1, 3), 2u);
  EXPECT_EQ(LeafOf(heap, 1, kNaN), 2u);
}

TEST(HeapTreesTest, ShallowLeavesAndOneLeafTrees) {
  HeapTrees heap({false});
  std::vector<Node> one = {{.leaf = true, .value = 42}};
  ASSERT_EQ(heap.Add(one), 0);
  EXPECT_EQ(heap.depth(0), 0u);
  EXPECT_EQ(LeafOf(heap, 0, kNaN), 42u);
  // Left: a leaf at depth 1; right: a split at 0.5 with leaves 3 and 4 at depth 2.
  std::vector<Node> lopsided = Stump(0.0f, false);
  lopsided[2] = {.threshold = 0.5f, .left = 3, .right = 4};
  lopsided.push_back({.leaf = true, .value = 3});
  lopsided.push_back({.leaf = true, .value = 4});
  ASSERT_EQ(heap.Add(lopsided), 1);
  EXPECT_EQ(heap.depth(1), 2u);
  EXPECT_EQ(LeafOf(heap, 1, -1.0f), 1u);
  EXPECT_EQ(LeafOf(heap, 1, 0.25f), 3u);
  EXPECT_EQ(LeafOf(heap, 1, 0.75f), 4u);
  uint32_t leaves[2];
  std::vector<uint32_t> encoded(heap.encoded_width());
  const float x = 0.75f;
  heap.EncodeRows(&x, 1, 1, 1, encoded.data());
  heap.LeavesOfRow(encoded.data(), leaves);
  EXPECT_EQ(leaves[0], 42u);
  EXPECT_EQ(leaves[1], 4u);
}

TEST(HeapTreesTest, RefusesWhatItCannotHoldAndAddsNothing) {
  HeapTrees heap({false, true});
  core::Rng rng(3);
  // Deeper than kMaxDepth: a chain of splits, each with a leaf on its left.
  std::vector<Node> chain;
  for (uint32_t d = 0; d <= HeapTrees::kMaxDepth; ++d) {
    const auto at = static_cast<uint32_t>(chain.size());
    chain.push_back({.threshold = 0.5f, .left = at + 1, .right = at + 2});
    chain.push_back({.leaf = true, .value = d});
  }
  chain.push_back({.leaf = true, .value = 99});
  EXPECT_EQ(heap.Add(chain), -1);
  chain.erase(chain.begin(), chain.begin() + 2);  // one level less: it fits
  for (Node& n : chain) {
    n.left = n.left >= 2 ? n.left - 2 : n.left;
    n.right = n.right >= 2 ? n.right - 2 : n.right;
  }
  EXPECT_EQ(heap.Add(chain), 0);

  std::vector<Node> bad = Stump(0.5f, true);
  bad[0].feature = 2;  // no such feature
  EXPECT_EQ(heap.Add(bad), -1);
  bad = Stump(0.5f, true);
  bad[0].categorical = true;  // numeric feature, categorical split
  EXPECT_EQ(heap.Add(bad), -1);
  bad = Stump(kNaN, true);
  EXPECT_EQ(heap.Add(bad), -1);
  bad = Stump(0.5f, true);
  bad[0].right = 0;  // a cycle
  EXPECT_EQ(heap.Add(bad), -1);
  bad = Stump(0.5f, true);
  bad[0].right = 1;  // both sides to one node
  EXPECT_EQ(heap.Add(bad), -1);
  bad = Stump(0.5f, true);
  bad[0].right = 3;  // out of range
  EXPECT_EQ(heap.Add(bad), -1);
  EXPECT_EQ(heap.Add({}), -1);
  EXPECT_EQ(heap.num_trees(), 1u);
}

}  // namespace
}  // namespace hone::learn
