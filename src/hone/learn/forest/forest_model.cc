#include "hone/learn/forest/forest_model.h"

#include <algorithm>
#include <bit>

#include "hone/core/bytes.h"
#include "hone/core/parallel.h"

namespace hone::learn::forest {
namespace {

constexpr uint32_t kMagic = 0x31465248;  // "HRF1"
constexpr uint32_t kFormatVersion = 2;
constexpr size_t kRowsPerBlock = 4096;
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
      importance_(std::move(importance)) {}

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
  // A walk down one tree is a chain of dependent cache misses. Walking kLanes trees in
  // lockstep lets the processor wait for their misses at the same time.
  constexpr size_t kLanes = 16;
  for (size_t first = 0; first < trees_.size(); first += kLanes) {
    const size_t lanes = std::min(kLanes, trees_.size() - first);
    uint32_t node[kLanes];
    LeafValue leaf[kLanes];
    bool walking[kLanes];
    size_t active = 0;
    for (size_t l = 0; l < lanes; ++l) {
      const Tree& t = trees_[first + l];
      walking[l] = !t.nodes.empty();
      node[l] = 0;
      leaf[l] = t.root_leaf;
      active += walking[l];
    }
    while (active > 0) {
      for (size_t l = 0; l < lanes; ++l) {
        if (!walking[l]) continue;
        if (trees_[first + l].Step(node[l], row.data(), category_bins_)) {
          leaf[l] = node[l];
          walking[l] = false;
          --active;
        }
      }
    }
    for (size_t l = 0; l < lanes; ++l) AddLeaf(trees_[first + l], leaf[l], out.data());
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
  // Row-major copies of the features, then tree by tree over many rows: a tree's nodes are
  // reused from cache across the rows, where a row-by-row walk would miss on every level.
  const size_t rows = x.num_rows();
  const size_t workers =
      std::clamp<size_t>(rows / 1024, 1, core::ResolveThreads(threads));  // >= 1k rows each
  const size_t per_worker = (rows + workers - 1) / workers;
  const float scale = 1.0f / static_cast<float>(trees_.size());
  core::ParallelFor(workers, static_cast<unsigned>(workers), [&](size_t w) {
    size_t begin = w * per_worker, end = std::min(rows, begin + per_worker);
    std::vector<float> block(kRowsPerBlock * num_features_);
    for (size_t b = begin; b < end; b += kRowsPerBlock) {
      size_t n = std::min(kRowsPerBlock, end - b);
      for (size_t i = 0; i < n; ++i) {
        x.CopyRow(b + i, std::span<float>(block.data() + i * num_features_, num_features_));
      }
      for (const Tree& tree : trees_) {
        for (size_t g = 0; g < n; g += kRowsPerWalk) {
          const size_t count = std::min(kRowsPerWalk, n - g);
          LeafValue leaves[kRowsPerWalk];
          WalkRows(tree, block.data() + g * num_features_, num_features_, count, category_bins_,
                   leaves);
          for (size_t i = 0; i < count; ++i) AddLeaf(tree, leaves[i], out.data() + (b + g + i) * k);
        }
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
