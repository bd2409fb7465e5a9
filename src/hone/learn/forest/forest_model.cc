#include "hone/learn/forest/forest_model.h"

#include <algorithm>
#include <bit>

#include "hone/core/bytes.h"
#include "hone/core/parallel.h"

namespace hone::learn::forest {
namespace {

constexpr uint32_t kMagic = 0x31465248;  // "HRF1"
constexpr uint32_t kFormatVersion = 2;
// Rows encoded together, then walked down each tree in turn: their words stay in the L1 cache
// while every tree runs over them, and a tree's nodes stay there while it runs over the rows.
constexpr size_t kRowsPerBlock = HeapTrees::kMaxBlockRows;
// Rows walked down a tree together, a level at a time: their node loads are independent, so
// the processor overlaps their cache misses instead of waiting for each in turn.
constexpr size_t kRowsPerWalk = 64;

// The leaves of `count` (at most kRowsPerWalk) row-major rows of `width` features.
void WalkRows(const Tree& tree, const float* rows, size_t width, size_t count,
              std::span<const std::vector<uint8_t>> category_bins, LeafValue* leaves) {
  if (tree.nodes.empty()) {
    std::fill_n(leaves, count, tree.root_leaf);
    return;
  }
  uint32_t at[kRowsPerWalk];
  size_t walking[kRowsPerWalk];  // rows still between nodes, in a compact list
  for (size_t i = 0; i < count; ++i) {
    at[i] = 0;
    walking[i] = i;
  }
  size_t active = count;
  while (active > 0) {
    size_t still = 0;
    for (size_t a = 0; a < active; ++a) {
      const size_t i = walking[a];
      if (tree.Step(at[i], rows + i * width, category_bins)) {
        leaves[i] = at[i];
      } else {
        walking[still++] = i;
      }
    }
    active = still;
  }
}

}  // namespace

ForestModel::ForestModel(size_t num_features, size_t num_classes,
                         std::vector<std::vector<uint8_t>> category_bins, std::vector<Tree> trees,
                         std::vector<double> importance)
    : num_features_(num_features),
      num_classes_(num_classes),
      category_bins_(std::move(category_bins)),
      trees_(std::move(trees)),
      importance_(std::move(importance)) {
  Compile();
}

void ForestModel::Compile() {
  // A category's code is its bin: splits test bins, so the tables hold at most 256 + 2 bits.
  std::vector<uint32_t> categories(num_features_, 0);
  std::vector<std::vector<uint32_t>> codes(num_features_);
  std::vector<uint32_t> num_bins(num_features_, 0);
  for (size_t f = 0; f < num_features_ && f < category_bins_.size(); ++f) {
    const std::vector<uint8_t>& bins = category_bins_[f];
    categories[f] = static_cast<uint32_t>(bins.size());
    codes[f].assign(bins.begin(), bins.end());
    if (!bins.empty()) num_bins[f] = *std::max_element(bins.begin(), bins.end()) + 1u;
  }
  heap_ = HeapTrees(std::move(categories), std::move(codes));
  heap_of_.assign(trees_.size(), -1);
  std::vector<HeapTrees::Node> nodes;
  for (size_t t = 0; t < trees_.size(); ++t) {
    const Tree& tree = trees_[t];
    nodes.assign(tree.nodes.size(), {});
    if (tree.nodes.empty()) nodes.push_back({.leaf = true, .value = tree.root_leaf});
    bool ok = true;
    for (size_t i = 0; i < tree.nodes.size() && ok; ++i) {
      const Node& n = tree.nodes[i];
      // Leaves are not nodes in a Tree: each becomes a node of its own, after the splits.
      uint32_t children[2] = {n.left, n.right};
      for (int side = 0; side < 2; ++side) {
        if (n.bits & (side == 0 ? Node::kLeftLeaf : Node::kRightLeaf)) {
          nodes.push_back({.leaf = true, .value = children[side]});
          children[side] = static_cast<uint32_t>(nodes.size() - 1);
        }
      }
      HeapTrees::Node& h = nodes[i];
      h.feature = n.feature();
      h.default_left = (n.bits & Node::kDefaultLeft) != 0;
      h.left = children[0];
      h.right = children[1];
      if (n.bits & Node::kCategorical) {
        // A category of the training set goes left when its bin (its code) is in the set; any
        // other value, and NaN, to the default side.
        ok = n.set_index() < tree.category_sets.size() && h.feature < num_features_;
        if (!ok) break;
        const BinSet& set = tree.category_sets[n.set_index()];
        h.categorical = true;
        for (uint32_t b = 0; b < num_bins[h.feature]; ++b) {
          if (!BinSetHas(set, b)) h.right_codes.push_back(b);
        }
        h.unknown_right = h.missing_right = !h.default_left;
      } else {
        h.threshold = n.threshold;  // x <= threshold goes left
        h.left_if_equal = true;
      }
    }
    if (ok) heap_of_[t] = static_cast<int32_t>(heap_.Add(nodes));
  }
}

size_t ForestModel::num_nodes() const {
  size_t n = 0;
  for (const Tree& t : trees_) n += t.nodes.size();
  return n;
}

void ForestModel::AddLeaf(const Tree& tree, LeafValue leaf, float* out) const {
  if (num_classes_ == 0) {
    out[0] += std::bit_cast<float>(leaf);
  } else if (leaf & kPureClass) {
    out[leaf & ~kPureClass] += 1.0f;
  } else {
    const float* dist = tree.distributions.data() + leaf;
    for (size_t k = 0; k < num_classes_; ++k) out[k] += dist[k];
  }
}

Result<void> ForestModel::PredictRow(std::span<const float> row, std::span<float> out) const {
  HONE_TRY(
      CheckPredictShape("random_forest", num_features_, num_outputs(), row.size(), 1, out.size()));
  std::fill(out.begin(), out.end(), 0.0f);
  std::vector<uint32_t> scratch(heap_.encoded_width() + heap_.num_trees());
  uint32_t* encoded = scratch.data();
  uint32_t* heap_leaves = encoded + heap_.encoded_width();
  heap_.EncodeRows(row.data(), 1, num_features_, 1, encoded);
  heap_.LeavesOfRow(encoded, heap_leaves);
  // The trees outside heap_: a walk down one is a chain of dependent cache misses. Walking
  // kLanes of them in lockstep lets the processor wait for their misses at the same time.
  constexpr size_t kLanes = 16;
  size_t t = 0;
  while (t < trees_.size()) {
    if (heap_of_[t] >= 0) {
      AddLeaf(trees_[t], heap_leaves[heap_of_[t]], out.data());
      ++t;
      continue;
    }
    size_t lane_tree[kLanes];
    uint32_t node[kLanes];
    LeafValue leaf[kLanes];
    bool walking[kLanes];
    size_t lanes = 0, active = 0, end = t;
    for (; end < trees_.size() && lanes < kLanes; ++end) {
      if (heap_of_[end] >= 0) continue;
      const Tree& tree = trees_[end];
      lane_tree[lanes] = end;
      walking[lanes] = !tree.nodes.empty();
      node[lanes] = 0;
      leaf[lanes] = tree.root_leaf;
      active += walking[lanes];
      ++lanes;
    }
    while (active > 0) {
      for (size_t l = 0; l < lanes; ++l) {
        if (!walking[l]) continue;
        if (trees_[lane_tree[l]].Step(node[l], row.data(), category_bins_)) {
          leaf[l] = node[l];
          walking[l] = false;
          --active;
        }
      }
    }
    // Trees [t, end) in order: the walked ones from their lanes, the others from heap_.
    for (size_t l = 0; t < end; ++t) {
      AddLeaf(trees_[t], heap_of_[t] >= 0 ? heap_leaves[heap_of_[t]] : leaf[l++], out.data());
    }
  }
  float scale = 1.0f / static_cast<float>(trees_.size());
  for (float& v : out) v *= scale;
  return {};
}

Result<void> ForestModel::Predict(const FeatureMatrix& x, std::span<float> out,
                                  unsigned threads) const {
  const size_t k = num_outputs();
  HONE_TRY(CheckPredictShape("random_forest", num_features_, k, x.num_features(), x.num_rows(),
                             out.size()));
  std::fill(out.begin(), out.end(), 0.0f);
  // Blocks of rows, copied and encoded, then tree by tree over the block: a tree's nodes are
  // reused from cache across the rows, where a row-by-row walk would miss on every level.
  const size_t rows = x.num_rows();
  const size_t workers =
      std::clamp<size_t>(rows / 1024, 1, core::ResolveThreads(threads));  // >= 1k rows each
  const size_t per_worker = (rows + workers - 1) / workers;
  const float scale = 1.0f / static_cast<float>(trees_.size());
  const size_t width = heap_.encoded_width();
  core::ParallelFor(workers, static_cast<unsigned>(workers), [&](size_t w) {
    size_t begin = w * per_worker, end = std::min(rows, begin + per_worker);
    // Row-major float copies only for the trees walked node by node.
    const bool walks = heap_.num_trees() < trees_.size();
    std::vector<float> block(walks ? kRowsPerBlock * num_features_ : 0);
    std::vector<uint32_t> encoded(kRowsPerBlock * width);
    LeafValue leaves[kRowsPerBlock];
    for (size_t b = begin; b < end; b += kRowsPerBlock) {
      size_t n = std::min(kRowsPerBlock, end - b);
      for (size_t i = 0; walks && i < n; ++i) {
        x.CopyRow(b + i, std::span<float>(block.data() + i * num_features_, num_features_));
      }
      // Encoded straight from the column-major matrix.
      const float* columns = num_features_ > 0 ? x.column(0).data() + b : nullptr;
      heap_.EncodeRows(columns, n, 1, rows, encoded.data());
      for (size_t t = 0; t < trees_.size(); ++t) {
        const Tree& tree = trees_[t];
        if (heap_of_[t] >= 0) {
          heap_.Leaves(static_cast<size_t>(heap_of_[t]), encoded.data(), n, leaves);
        } else {
          for (size_t g = 0; g < n; g += kRowsPerWalk) {
            WalkRows(tree, block.data() + g * num_features_, num_features_,
                     std::min(kRowsPerWalk, n - g), category_bins_, leaves + g);
          }
        }
        for (size_t i = 0; i < n; ++i) AddLeaf(tree, leaves[i], out.data() + (b + i) * k);
      }
    }
    for (size_t i = begin * k; i < end * k; ++i) out[i] *= scale;
  });
  return {};
}

Result<std::string> ForestModel::Serialize() const {
  core::ByteWriter w;
  w.Put(kMagic);
  w.Put(kFormatVersion);
  w.Put<uint64_t>(num_features_);
  w.Put<uint64_t>(num_classes_);
  for (const auto& bins : category_bins_) w.PutArray(bins);
  w.PutArray(importance_);
  w.Put<uint64_t>(trees_.size());
  for (const Tree& t : trees_) {
    w.Put(t.root_leaf);
    w.PutArray(t.nodes);
    w.PutArray(t.category_sets);
    w.PutArray(t.distributions);
  }
  return w.Take();
}

namespace {

// Every index a prediction follows must be in range, and children must come after their
// parent so that a walk always ends at a leaf.
Result<void> CheckTree(const Tree& t, const FeatureSchema& schema, size_t num_classes) {
  auto bad = [](const std::string& why) {
    return Fail(ErrorCode::kCorrupt, "random_forest model is malformed: " + why);
  };
  auto leaf_ok = [&](LeafValue v) {
    if (num_classes == 0) return true;
    if (v & kPureClass) return (v & ~kPureClass) < num_classes;
    return v <= t.distributions.size() && t.distributions.size() - v >= num_classes;
  };
  if (t.nodes.empty() && !leaf_ok(t.root_leaf)) return bad("a leaf is out of range");
  for (size_t i = 0; i < t.nodes.size(); ++i) {
    const Node& n = t.nodes[i];
    if (n.feature() >= schema.size()) return bad("a split names an unknown feature");
    if (n.bits & Node::kCategorical) {
      if (schema.features()[n.feature()].type != core::ColumnType::kCategorical) {
        return bad("a categorical split on a numeric feature");
      }
      if (n.set_index() >= t.category_sets.size()) return bad("a category set is out of range");
    }
    for (bool left : {true, false}) {
      uint32_t child = left ? n.left : n.right;
      if (n.bits & (left ? Node::kLeftLeaf : Node::kRightLeaf)) {
        if (!leaf_ok(child)) return bad("a leaf is out of range");
      } else if (child <= i || child >= t.nodes.size()) {
        return bad("a split's children are invalid");
      }
    }
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<ForestModel>> ForestModel::Deserialize(std::string_view bytes,
                                                              const FeatureSchema& schema,
                                                              const TargetInfo& target) {
  auto corrupt = [](const std::string& why) {
    return Fail(ErrorCode::kCorrupt, "random_forest model is malformed: " + why);
  };
  core::ByteReader r(bytes);
  uint32_t magic = 0, version = 0;
  uint64_t num_features = 0, num_classes = 0, num_trees = 0;
  r.Get(magic);
  r.Get(version);
  if (!r.ok() || magic != kMagic) return corrupt("not a forest (bad magic number)");
  if (version != kFormatVersion) {
    return corrupt("format version " + std::to_string(version) + " is not supported");
  }
  r.Get(num_features);
  r.Get(num_classes);
  if (!r.ok()) return corrupt("truncated header");
  size_t want_classes = IsClassification(target.task) ? target.num_classes() : 0;
  if (num_features != schema.size() || num_classes != want_classes) {
    return corrupt("it has " + std::to_string(num_features) + " features and " +
                   std::to_string(num_classes) + " classes; the bundle's schema has " +
                   std::to_string(schema.size()) + " and " + std::to_string(want_classes));
  }
  std::vector<std::vector<uint8_t>> category_bins(num_features);
  for (size_t f = 0; f < num_features; ++f) {
    const FeatureInfo& info = schema.features()[f];
    size_t want = info.type == core::ColumnType::kCategorical ? info.categories.size() : 0;
    if (!r.GetArray(category_bins[f], want) || category_bins[f].size() != want) {
      return corrupt("category bins of feature '" + info.name + "' do not match the schema");
    }
  }
  std::vector<double> importance;
  r.GetArray(importance, num_features);
  r.Get(num_trees);
  if (!r.ok() || num_trees == 0 || num_trees > (1u << 20)) return corrupt("bad tree count");
  std::vector<Tree> trees(num_trees);
  for (Tree& t : trees) {
    r.Get(t.root_leaf);
    r.GetArray(t.nodes, bytes.size());
    r.GetArray(t.category_sets, bytes.size());
    r.GetArray(t.distributions, bytes.size());
    if (!r.ok()) return corrupt("truncated tree");
    HONE_TRY(CheckTree(t, schema, num_classes));
  }
  if (!r.at_end()) return corrupt("trailing bytes");
  return std::make_unique<ForestModel>(num_features, num_classes, std::move(category_bins),
                                       std::move(trees), std::move(importance));
}

}  // namespace hone::learn::forest
