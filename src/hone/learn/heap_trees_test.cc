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
// `categories[f]` as given to HeapTrees.
uint32_t Reference(const std::vector<Node>& tree, const std::vector<uint32_t>& categories,
                   const std::vector<float>& row) {
  uint32_t at = 0;
  while (!tree[at].leaf) {
    const Node& n = tree[at];
    const float x = row[n.feature];
    bool right;
    if (n.categorical) {
      if (std::isnan(x)) {
        right = n.missing_right;
      } else if (x >= 0 && x < static_cast<float>(categories[n.feature])) {
        const auto c = static_cast<uint32_t>(x);
        right = std::find(n.right_codes.begin(), n.right_codes.end(), c) != n.right_codes.end();
      } else {
        right = n.unknown_right;
      }
    } else if (std::isnan(x)) {
      right = !n.default_left;
    } else {
      right = n.left_if_equal ? !(x <= n.threshold) : !(x < n.threshold);
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

// A random tree over the features of `categories`, up to `max_depth` deep. Categorical splits
// on a feature of more than HeapTrees::kMaxWideCategories categories are kept narrow.
std::vector<Node> RandomTree(core::Rng& rng, const std::vector<uint32_t>& categories,
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
    n.feature = static_cast<uint32_t>(rng.Below(categories.size()));
    const uint32_t k = categories[n.feature];
    n.categorical = k > 0 && rng.Below(4) != 0;
    n.left_if_equal = rng.Below(2) == 0;
    n.default_left = rng.Below(2) == 0;
    n.threshold = rng.Below(4) == 0 ? OddValue(rng) : static_cast<float>(rng.Uniform() * 4 - 2);
    if (std::isnan(n.threshold)) n.threshold = 0.5f;
    n.unknown_right = rng.Below(2) == 0;
    n.missing_right = rng.Below(2) == 0;
    const bool narrow = k > HeapTrees::kMaxWideCategories || rng.Below(2) == 0;
    for (uint32_t c = 0; c < k; ++c) {
      const bool right =
          narrow && c >= HeapTrees::kNarrowCategories ? n.unknown_right : rng.Below(2) == 0;
      if (right) n.right_codes.push_back(c);
    }
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
  // Numeric, few categories, more than kNarrowCategories, more than kMaxWideCategories.
  const std::vector<uint32_t> categories = {0, 5, 0, 40, 5000, 0};
  HeapTrees heap(categories);
  std::vector<std::vector<Node>> trees;
  for (uint32_t max_depth = 0; max_depth <= HeapTrees::kMaxDepth; ++max_depth) {
    for (int k = 0; k < 4; ++k) {
      trees.push_back(RandomTree(rng, categories, max_depth));
      ASSERT_EQ(heap.Add(trees.back()), static_cast<int64_t>(trees.size() - 1))
          << "depth " << max_depth;
    }
  }
  const size_t rows = 300;  // past one block, so blocks of several sizes are walked
  const size_t f = categories.size();
  std::vector<std::vector<float>> row_list(rows, std::vector<float>(f));
  std::vector<float> column_major(rows * f);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t j = 0; j < f; ++j) {
      row_list[r][j] = OddValue(rng);
      column_major[j * rows + r] = row_list[r][j];
    }
  }
  const size_t width = heap.encoded_width();
  EXPECT_EQ(width, 1u + 6 * 2 + 3 * 2);  // 0, two words per feature, two more if categorical
  size_t wide = 0;
  for (size_t t = 0; t < trees.size(); ++t) wide += heap.wide(t);
  EXPECT_GT(wide, 0u);
  EXPECT_LT(wide, trees.size());
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
          ASSERT_EQ(leaves[i], Reference(trees[t], categories, row_list[begin + i]))
              << "tree " << t << " row " << begin + i << " block " << block;
        }
      }
    }
  }
  std::vector<uint32_t> per_tree(trees.size());
  for (size_t r = 0; r < rows; ++r) {
    heap.LeavesOfRow(encoded.data() + r * width, per_tree.data());
    for (size_t t = 0; t < trees.size(); ++t) {
      ASSERT_EQ(per_tree[t], Reference(trees[t], categories, row_list[r]))
          << "tree " << t << " row " << r;
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
  HeapTrees heap({0});
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

TEST(HeapTreesTest, NarrowAndWideCategoricalSplits) {
  // Feature 0 has 40 categories. Tree 0 is narrow (categories past kNarrowCategories go where
  // unknown ones do), tree 1 wide (category 35 goes right, 36 left).
  HeapTrees heap({40});
  std::vector<Node> tree = Stump(0, false);
  tree[0].categorical = true;
  tree[0].right_codes = {3, 29};
  tree[0].unknown_right = true;
  for (uint32_t c = HeapTrees::kNarrowCategories; c < 40; ++c) {
    tree[0].right_codes.push_back(c);
  }
  ASSERT_EQ(heap.Add(tree), 0);
  EXPECT_FALSE(heap.wide(0));
  tree[0].right_codes = {3, 29, 35};
  tree[0].unknown_right = false;
  tree[0].missing_right = true;
  ASSERT_EQ(heap.Add(tree), 1);
  EXPECT_TRUE(heap.wide(1));
  const struct {
    float x;
    uint32_t narrow, wide;
  } cases[] = {
      {3, 2, 2},     {3.9f, 2, 2},  // truncated
      {29, 2, 2},    {4, 1, 1},    {35, 2, 2},
      {36, 2, 1},    {39, 2, 1},   {40, 2, 1},    // past the categories: unknown
      {-0.5f, 2, 1}, {kInf, 2, 1}, {kNaN, 1, 2},  // missing
  };
  for (const auto& c : cases) {
    EXPECT_EQ(LeafOf(heap, 0, c.x), c.narrow) << c.x;
    EXPECT_EQ(LeafOf(heap, 1, c.x), c.wide) << c.x;
  }
  // A categorical feature takes numeric splits too, in a narrow tree and in a wide one.
  ASSERT_EQ(heap.Add(Stump(2.5f, false)), 2);
  EXPECT_EQ(LeafOf(heap, 2, 2), 1u);
  EXPECT_EQ(LeafOf(heap, 2, 3), 2u);
  EXPECT_EQ(LeafOf(heap, 2, kNaN), 2u);
  std::vector<Node> both = Stump(2.5f, true);
  both[1] = tree[0];  // the wide split, on the left
  both[1].left = 3;
  both[1].right = 4;
  both.push_back({.leaf = true, .value = 3});
  both.push_back({.leaf = true, .value = 4});
  ASSERT_EQ(heap.Add(both), 3);
  EXPECT_TRUE(heap.wide(3));
  EXPECT_EQ(LeafOf(heap, 3, 2), 3u);
  EXPECT_EQ(LeafOf(heap, 3, 3), 2u);
  EXPECT_EQ(LeafOf(heap, 3, kNaN), 4u);  // left at the root, right at the wide split
}

TEST(HeapTreesTest, CategoriesMayShareCodes) {
  // Six categories; codes 0 0 1 1 2 40 (feature 0) and 0 0 1 1 2 3 (feature 1).
  HeapTrees heap({6, 6}, {{0, 0, 1, 1, 2, 40}, {0, 0, 1, 1, 2, 3}});
  std::vector<Node> wide = Stump(0, false);
  wide[0].categorical = true;
  wide[0].right_codes = {1, 40};
  ASSERT_EQ(heap.Add(wide), 0);
  EXPECT_TRUE(heap.wide(0));
  std::vector<Node> narrow = wide;
  narrow[0].feature = 1;
  narrow[0].right_codes = {1};
  narrow[0].unknown_right = true;
  ASSERT_EQ(heap.Add(narrow), 1);
  EXPECT_FALSE(heap.wide(1));
  auto leaf = [&](size_t tree, float x) {
    const float row[2] = {x, x};
    std::vector<uint32_t> encoded(heap.encoded_width());
    heap.EncodeRows(row, 1, 2, 1, encoded.data());
    uint32_t out = 0;
    heap.Leaves(tree, encoded.data(), 1, &out);
    return out;
  };
  const uint32_t want_wide[] = {1, 1, 2, 2, 1, 2}, want_narrow[] = {1, 1, 2, 2, 1, 1};
  for (int c = 0; c < 6; ++c) {
    EXPECT_EQ(leaf(0, static_cast<float>(c)), want_wide[c]) << c;
    EXPECT_EQ(leaf(1, static_cast<float>(c)), want_narrow[c]) << c;
  }
  EXPECT_EQ(leaf(0, 6), 1u);  // unknown: left in tree 0, right in tree 1
  EXPECT_EQ(leaf(1, 6), 2u);
  EXPECT_EQ(leaf(1, -1), 2u);
}

TEST(HeapTreesTest, AFeatureOfManyCategoriesCostsOnlyWhatItsSplitsList) {
  // XGBoost's categories go up to 2^24: nothing of that size is built.
  HeapTrees heap({1u << 24});
  std::vector<Node> tree = Stump(0, false);
  tree[0].categorical = true;
  tree[0].right_codes = {3, 3};
  ASSERT_EQ(heap.Add(tree), 0);
  EXPECT_FALSE(heap.wide(0));
  EXPECT_EQ(LeafOf(heap, 0, 3), 2u);
  EXPECT_EQ(LeafOf(heap, 0, 1e7f), 1u);
  tree[0].right_codes = {3, 10'000'000};  // wide, and too many codes for a table
  EXPECT_EQ(heap.Add(tree), -1);
  tree[0].right_codes = {1u << 24};  // no such code
  EXPECT_EQ(heap.Add(tree), -1);
  EXPECT_EQ(heap.num_trees(), 1u);
}

TEST(HeapTreesTest, ShallowLeavesAndOneLeafTrees) {
  HeapTrees heap({0});
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
  HeapTrees heap({0, HeapTrees::kMaxWideCategories + 1});
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
  bad[0].feature = 1;
  bad[0].categorical = true;
  bad[0].right_codes = {HeapTrees::kMaxWideCategories + 1};  // no such category
  EXPECT_EQ(heap.Add(bad), -1);
  bad[0].right_codes = {40};  // wide, on a feature with too many categories for a table
  EXPECT_EQ(heap.Add(bad), -1);
  bad[0].right_codes = {4};  // narrow: it fits
  EXPECT_EQ(heap.Add(bad), 1);
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
  EXPECT_EQ(heap.num_trees(), 2u);
}

}  // namespace
}  // namespace hone::learn
