#include "hone/learn/xgb/flat_trees.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

namespace hone::learn::xgb {
namespace {

using Json = nlohmann::json;

// XGBoost 1.7's common::InvalidCat: categories are floats, and 2^24 is the first integer a
// float cannot tell from its neighbour.
constexpr float kMaxCategory = 16777216.0f;
// Rows copied and walked together in Predict: their features stay in the L1 cache while every
// tree runs over them, and the nodes of one tree stay there while it runs over the rows.
constexpr size_t kBlockRows = 256;
// Independent walks interleaved: rows of a block in Predict, trees in PredictRow. Their loads
// do not depend on each other, so the processor overlaps them.
constexpr size_t kLanes = 8;

Error Bad(const std::string& why) { return Error(ErrorCode::kInvalidData, "gbdt model: " + why); }
Error Unsupported(const std::string& why) {
  return Error(ErrorCode::kUnsupported, "hone's tree evaluator does not handle " + why);
}

Result<const Json*> Member(const Json& json, const char* key) {
  if (json.is_object()) {
    auto it = json.find(key);
    if (it != json.end()) return &*it;
  }
  return Fail(Bad(std::string("the model has no ") + key));
}

// An integer array member with `size` entries (any when size is npos).
Result<std::vector<int64_t>> Integers(const Json& object, const char* key,
                                      size_t size = std::string::npos) {
  HONE_ASSIGN_OR_RETURN(const Json* v, Member(object, key));
  if (!v->is_array() || (size != std::string::npos && v->size() != size)) {
    return Fail(Bad(std::string(key) + " is not an array of the right length"));
  }
  std::vector<int64_t> out;
  out.reserve(v->size());
  for (const Json& e : *v) {
    if (!e.is_number_integer()) return Fail(Bad(std::string(key) + " holds a non-integer"));
    out.push_back(e.get<int64_t>());
  }
  return out;
}

Result<std::vector<float>> Floats(const Json& object, const char* key, size_t size) {
  HONE_ASSIGN_OR_RETURN(const Json* v, Member(object, key));
  if (!v->is_array() || v->size() != size) {
    return Fail(Bad(std::string(key) + " is not an array of the right length"));
  }
  std::vector<float> out;
  out.reserve(size);
  for (const Json& e : *v) {
    if (!e.is_number()) return Fail(Bad(std::string(key) + " holds a non-number"));
    out.push_back(static_cast<float>(e.get<double>()));
  }
  return out;
}

// XGBoost writes its parameters as text: {"base_score": "5E-1", "num_class": "0"}.
Result<std::string> Text(const Json& object, const char* key) {
  HONE_ASSIGN_OR_RETURN(const Json* v, Member(object, key));
  if (!v->is_string()) return Fail(Bad(std::string(key) + " is not text"));
  return v->get<std::string>();
}

Result<float> TextFloat(const Json& object, const char* key) {
  HONE_ASSIGN_OR_RETURN(std::string text, Text(object, key));
  float value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return Fail(Bad(std::string(key) + " '" + text + "' is not a number"));
  }
  return value;
}

}  // namespace

Result<FlatTrees> FlatTrees::Build(const Json& model, size_t num_features,
                                   std::vector<std::vector<uint8_t>> missing) {
  FlatTrees flat;
  flat.num_features_ = num_features;
  if (!missing.empty() && missing.size() != num_features) {
    return Fail(Bad("the missing-value table does not have one entry per feature"));
  }
  for (const auto& m : missing) flat.has_missing_ = flat.has_missing_ || !m.empty();
  flat.missing_ = std::move(missing);

  HONE_ASSIGN_OR_RETURN(const Json* learner, Member(model, "learner"));
  HONE_ASSIGN_OR_RETURN(const Json* param, Member(*learner, "learner_model_param"));
  HONE_ASSIGN_OR_RETURN(const Json* booster, Member(*learner, "gradient_booster"));
  HONE_ASSIGN_OR_RETURN(const Json* objective, Member(*learner, "objective"));
  HONE_ASSIGN_OR_RETURN(std::string objective_name, Text(*objective, "name"));
  HONE_ASSIGN_OR_RETURN(const Json* booster_name, Member(*booster, "name"));
  if (*booster_name != "gbtree") {
    return Fail(Unsupported("the booster " + booster_name->dump() + ", only gbtree"));
  }
  HONE_ASSIGN_OR_RETURN(std::string num_class, Text(*param, "num_class"));
  HONE_ASSIGN_OR_RETURN(std::string num_feature, Text(*param, "num_feature"));
  if (num_feature != std::to_string(num_features)) {
    return Fail(
        Bad("num_feature is " + num_feature + ", expected " + std::to_string(num_features)));
  }
  HONE_ASSIGN_OR_RETURN(float base_score, TextFloat(*param, "base_score"));
  if (objective_name == "reg:squarederror") {
    flat.transform_ = Transform::kIdentity;
    flat.base_margin_ = base_score;
  } else if (objective_name == "binary:logistic") {
    // XGBoost's LogisticRegression::ProbToMargin, in float as there.
    if (!(base_score > 0.0f && base_score < 1.0f)) {
      return Fail(Unsupported("binary:logistic with base_score " + std::to_string(base_score)));
    }
    flat.transform_ = Transform::kSigmoid;
    flat.base_margin_ = -std::log(1.0f / base_score - 1.0f);
  } else if (objective_name == "multi:softprob") {
    flat.transform_ = Transform::kSoftmax;
    flat.base_margin_ = base_score;
  } else {
    return Fail(Unsupported("the objective '" + objective_name +
                            "'; known: reg:squarederror, binary:logistic, multi:softprob"));
  }
  if (num_class != "0" && flat.transform_ != Transform::kSoftmax) {
    return Fail(Unsupported(objective_name + " with num_class " + num_class));
  }
  if (flat.transform_ == Transform::kSoftmax) {
    int64_t classes = 0;
    auto [end, ec] =
        std::from_chars(num_class.data(), num_class.data() + num_class.size(), classes);
    if (ec != std::errc() || end != num_class.data() + num_class.size() || classes < 1 ||
        classes > 1'000'000) {
      return Fail(Bad("num_class '" + num_class + "' is not a number of classes"));
    }
    flat.groups_ = static_cast<size_t>(classes);
  }

  HONE_ASSIGN_OR_RETURN(const Json* content, Member(*booster, "model"));
  HONE_ASSIGN_OR_RETURN(const Json* trees, Member(*content, "trees"));
  if (!trees->is_array()) return Fail(Bad("trees is not an array"));
  HONE_ASSIGN_OR_RETURN(std::vector<int64_t> tree_info,
                        Integers(*content, "tree_info", trees->size()));
  for (size_t t = 0; t < trees->size(); ++t) {
    if (tree_info[t] < 0 || static_cast<size_t>(tree_info[t]) >= flat.groups_) {
      return Fail(Bad("tree " + std::to_string(t) + "'s output group is out of range"));
    }
    HONE_TRY(
        flat.AddJsonTree((*trees)[t], static_cast<uint32_t>(tree_info[t]))
            .map_error([t](const Error& e) { return e.WithContext("tree " + std::to_string(t)); }));
  }
  flat.Compile();
  return flat;
}

void FlatTrees::Compile() {
  // The categories a categorical split sends right: its set, as XGBoost's Decision reads it.
  auto categories_of = [&](const Node& n) {
    std::vector<uint32_t> out;
    const CategorySet& set = category_sets_[std::bit_cast<uint32_t>(n.value)];
    const auto words = static_cast<uint32_t>(set.end) / 32;
    for (uint32_t w = 0; w < words; ++w) {
      for (uint32_t bits = category_words_[set.begin + w]; bits != 0; bits &= bits - 1) {
        out.push_back(w * 32 + static_cast<uint32_t>(std::countr_zero(bits)));
      }
    }
    return out;
  };
  // A feature has as many categories as the largest one a split names, plus one: any larger
  // value is in no set, and goes left as an unknown one does.
  std::vector<uint32_t> categories(num_features_, 0);
  for (const Node& n : nodes_) {
    if (!(n.feature & kCategorical)) continue;
    uint32_t& k = categories[n.feature & kFeatureMask];
    k = std::max(k, 1u);
    for (uint32_t c : categories_of(n)) k = std::max(k, c + 1);
  }
  heap_ = HeapTrees(std::move(categories));
  heap_of_.assign(trees_.size(), -1);
  std::vector<HeapTrees::Node> nodes;
  for (size_t t = 0; t < trees_.size(); ++t) {
    const uint32_t first = trees_[t].first;
    const uint32_t end = t + 1 < trees_.size() ? trees_[t + 1].first : nodes_.size();
    nodes.clear();
    for (uint32_t i = 0; i < end - first; ++i) {
      const Node& n = nodes_[first + i];
      HeapTrees::Node h;
      if (n.child[0] == i) {  // a leaf loops to itself
        h.leaf = true;
        h.value = std::bit_cast<uint32_t>(n.value);
        nodes.push_back(std::move(h));
        continue;
      }
      h.feature = n.feature & kFeatureMask;
      h.default_left = (n.feature & kDefaultLeft) != 0;
      h.left = n.child[0];
      h.right = n.child[1];
      if (n.feature & kCategorical) {
        // Categories in the set go right; any other value but NaN goes left.
        h.categorical = true;
        h.right_codes = categories_of(n);
        h.missing_right = !h.default_left;
      } else {
        h.threshold = n.value;
      }
      nodes.push_back(std::move(h));
    }
    heap_of_[t] = static_cast<int32_t>(heap_.Add(nodes));
  }
}

Result<void> FlatTrees::AddJsonTree(const Json& tree, uint32_t group) {
  HONE_ASSIGN_OR_RETURN(std::vector<int64_t> left, Integers(tree, "left_children"));
  const size_t n = left.size();
  if (n == 0 || n > (size_t{1} << 28)) return Fail(Bad("a tree has no nodes or too many"));
  HONE_ASSIGN_OR_RETURN(std::vector<int64_t> right, Integers(tree, "right_children", n));
  HONE_ASSIGN_OR_RETURN(std::vector<int64_t> feature, Integers(tree, "split_indices", n));
  HONE_ASSIGN_OR_RETURN(std::vector<int64_t> split_type, Integers(tree, "split_type", n));
  HONE_ASSIGN_OR_RETURN(std::vector<int64_t> default_left, Integers(tree, "default_left", n));
  HONE_ASSIGN_OR_RETURN(std::vector<float> condition, Floats(tree, "split_conditions", n));
  HONE_ASSIGN_OR_RETURN(std::vector<int64_t> cat_nodes, Integers(tree, "categories_nodes"));
  HONE_ASSIGN_OR_RETURN(std::vector<int64_t> cat_begin,
                        Integers(tree, "categories_segments", cat_nodes.size()));
  HONE_ASSIGN_OR_RETURN(std::vector<int64_t> cat_size,
                        Integers(tree, "categories_sizes", cat_nodes.size()));
  HONE_ASSIGN_OR_RETURN(std::vector<int64_t> categories, Integers(tree, "categories"));
  if (category_sets_.empty()) {
    category_sets_.push_back({0, 0.0f});
    category_words_.push_back(0);
  }

  // The category set of each categorical node, as XGBoost's LoadCategoricalSplit builds it.
  std::vector<int64_t> set_of(n, -1);
  for (size_t k = 0; k < cat_nodes.size(); ++k) {
    const int64_t node = cat_nodes[k], begin = cat_begin[k], size = cat_size[k];
    if (node < 0 || static_cast<size_t>(node) >= n || begin < 0 || size < 1 ||
        static_cast<size_t>(begin) > categories.size() ||
        static_cast<size_t>(size) > categories.size() - static_cast<size_t>(begin)) {
      return Fail(Bad("a categorical split's categories are out of range"));
    }
    int64_t largest = 0;
    for (int64_t i = begin; i < begin + size; ++i) {
      if (categories[i] < 0 || categories[i] >= static_cast<int64_t>(kMaxCategory)) {
        return Fail(Bad("a categorical split names an invalid category"));
      }
      largest = std::max(largest, categories[i]);
    }
    const auto words = static_cast<size_t>(largest / 32 + 1);
    CategorySet set{static_cast<uint32_t>(category_words_.size()), static_cast<float>(words * 32)};
    category_words_.resize(category_words_.size() + words, 0);
    for (int64_t i = begin; i < begin + size; ++i) {
      category_words_[set.begin + categories[i] / 32] |= 1u << (categories[i] % 32);
    }
    set_of[node] = static_cast<int64_t>(category_sets_.size());
    category_sets_.push_back(set);
  }

  // Breadth-first from the root, renumbered; unreachable (deleted) nodes are dropped.
  Tree out{static_cast<uint32_t>(nodes_.size()), 0, group, false};
  std::vector<int64_t> order = {0};
  std::vector<uint32_t> depth = {0};
  std::vector<uint8_t> seen(n, 0);
  seen[0] = 1;
  for (size_t i = 0; i < order.size(); ++i) {
    const auto id = static_cast<size_t>(order[i]);
    const auto self = static_cast<uint32_t>(i);
    if (left[id] == -1) {
      nodes_.push_back({condition[id], 0, {self, self}});
      out.depth = std::max(out.depth, depth[i]);
      continue;
    }
    for (int64_t child : {left[id], right[id]}) {
      if (child <= 0 || static_cast<size_t>(child) >= n || seen[child]) {
        return Fail(Bad("a tree's children do not form a tree"));
      }
      seen[child] = 1;
    }
    if (feature[id] < 0 || static_cast<size_t>(feature[id]) >= num_features_) {
      return Fail(Bad("a split names a feature past num_feature"));
    }
    Node node{condition[id],
              static_cast<uint32_t>(feature[id]),
              {static_cast<uint32_t>(order.size()), static_cast<uint32_t>(order.size() + 1)}};
    if (default_left[id] == 1) node.feature |= kDefaultLeft;
    if (split_type[id] != 0) {
      if (split_type[id] != 1 || set_of[id] < 0) {
        return Fail(Bad("a categorical split has no categories"));
      }
      node.feature |= kCategorical;
      node.value = std::bit_cast<float>(static_cast<uint32_t>(set_of[id]));
      out.categorical = true;
    } else if (right[id] != left[id] + 1) {
      // XGBoost 1.7 steps to left + 1 for a numeric split's right side, whatever right says.
      return Fail(Unsupported("a numeric split whose right child is not next to its left"));
    }
    nodes_.push_back(node);
    order.push_back(left[id]);
    order.push_back(right[id]);
    depth.push_back(depth[i] + 1);
    depth.push_back(depth[i] + 1);
  }
  has_categories_ = has_categories_ || out.categorical;
  trees_.push_back(out);
  return {};
}

// One level of a walk, without a branch (the direction of a split is a coin toss for the
// branch predictor): the side is computed, then used as an index.
// One level of a walk. The side is used as an index into the node's children rather than
// branched on (a split's direction is a coin toss for the branch predictor). A fully
// integer-arithmetic form measured slower here; compilers turn these selects into cmov or
// short branches as they see fit.
template <bool kCategories>
inline uint32_t FlatTrees::Step(const Node* tree, uint32_t at, const float* row) const {
  const Node& n = tree[at];
  const uint32_t bits = n.feature;
  const float x = row[bits & kFeatureMask];
  const bool missing = std::isnan(x);
  bool left = x < n.value;
  if constexpr (kCategories) {
    // XGBoost 1.7's Decision: a category in the set goes right; one not in it, an invalid
    // one (negative, infinite, 2^24 and above) and one past the bit set go left. Numeric nodes
    // read the empty set 0.
    const bool categorical = (bits & kCategorical) != 0;
    const uint32_t index =
        std::bit_cast<uint32_t>(n.value) & (0u - static_cast<uint32_t>(categorical));
    const CategorySet& set = category_sets_[index];
    const bool in_range = (x >= 0.0f) & (x < set.end);
    const auto c = static_cast<uint32_t>(in_range ? x : 0.0f);
    const bool in_set = in_range & ((category_words_[set.begin + c / 32] >> (c % 32)) & 1);
    left = categorical ? !in_set : left;
  }
  left = missing ? (bits & kDefaultLeft) != 0 : left;
  return n.child[left ? 0 : 1];
}

template <bool kCategories>
void FlatTrees::AddTreeTo(const Tree& tree, const float* rows, size_t count, float* margins) const {
  const Node* nodes = nodes_.data() + tree.first;
  const size_t width = num_features_, groups = groups_;
  float* sums = margins + tree.group;
  size_t r = 0;
  for (; r + kLanes <= count; r += kLanes) {
    uint32_t at[kLanes] = {};
    const float* base = rows + r * width;
    for (uint32_t d = 0; d < tree.depth; ++d) {
      for (size_t k = 0; k < kLanes; ++k) at[k] = Step<kCategories>(nodes, at[k], base + k * width);
    }
    for (size_t k = 0; k < kLanes; ++k) sums[(r + k) * groups] += nodes[at[k]].value;
  }
  for (; r < count; ++r) {
    uint32_t at = 0;
    for (uint32_t d = 0; d < tree.depth; ++d) at = Step<kCategories>(nodes, at, rows + r * width);
    sums[r * groups] += nodes[at].value;
  }
}

void FlatTrees::CopyRows(const float* data, size_t count, size_t row_stride, size_t col_stride,
                         float* buffer) const {
  const size_t width = num_features_;
  for (size_t j = 0; j < width; ++j) {
    const float* column = data + j * col_stride;
    for (size_t r = 0; r < count; ++r) buffer[r * width + j] = column[r * row_stride];
  }
  if (!has_missing_) return;
  for (size_t j = 0; j < width; ++j) {
    const std::vector<uint8_t>& missing = missing_[j];
    if (missing.empty()) continue;
    for (size_t r = 0; r < count; ++r) {
      float& v = buffer[r * width + j];
      if (v >= 0 && v < static_cast<float>(missing.size()) && missing[static_cast<size_t>(v)]) {
        v = std::numeric_limits<float>::quiet_NaN();
      }
    }
  }
}

void FlatTrees::Finish(float* margins, size_t rows) const {
  switch (transform_) {
    case Transform::kIdentity:
      return;
    case Transform::kSigmoid:
      for (size_t i = 0; i < rows; ++i) margins[i] = 1.0f / (1.0f + std::exp(-margins[i]));
      return;
    case Transform::kSoftmax:
      // XGBoost's common::Softmax: exponents in float, their sum in double.
      for (size_t r = 0; r < rows; ++r) {
        float* v = margins + r * groups_;
        float largest = v[0];
        for (size_t g = 1; g < groups_; ++g) largest = std::fmax(v[g], largest);
        double sum = 0;
        for (size_t g = 0; g < groups_; ++g) {
          v[g] = std::exp(v[g] - largest);
          sum += v[g];
        }
        for (size_t g = 0; g < groups_; ++g) v[g] /= static_cast<float>(sum);
      }
      return;
  }
}

void FlatTrees::Predict(const float* data, size_t rows, size_t row_stride, size_t col_stride,
                        float* out) const {
  static_assert(kBlockRows <= HeapTrees::kMaxBlockRows);
  const size_t block = std::min(rows, kBlockRows);
  std::vector<float> buffer(block * num_features_);
  std::vector<uint32_t> encoded(block * heap_.encoded_width());
  uint32_t leaves[kBlockRows];
  for (size_t begin = 0; begin < rows; begin += kBlockRows) {
    const size_t count = std::min(kBlockRows, rows - begin);
    CopyRows(data + begin * row_stride, count, row_stride, col_stride, buffer.data());
    heap_.EncodeRows(buffer.data(), count, num_features_, 1, encoded.data());
    float* margins = out + begin * groups_;
    std::fill_n(margins, count * groups_, base_margin_);
    for (size_t t = 0; t < trees_.size(); ++t) {
      const Tree& tree = trees_[t];
      if (heap_of_[t] >= 0) {
        heap_.Leaves(static_cast<size_t>(heap_of_[t]), encoded.data(), count, leaves);
        float* sums = margins + tree.group;
        for (size_t r = 0; r < count; ++r) sums[r * groups_] += std::bit_cast<float>(leaves[r]);
      } else if (tree.categorical) {
        AddTreeTo<true>(tree, buffer.data(), count, margins);
      } else {
        AddTreeTo<false>(tree, buffer.data(), count, margins);
      }
    }
    Finish(margins, count);
  }
}

void FlatTrees::PredictRow(const float* row, float* out) const {
  std::vector<float> copy;
  if (has_missing_) {
    copy.resize(num_features_);
    CopyRows(row, 1, num_features_, 1, copy.data());
    row = copy.data();
  }
  // The leaf of every tree: from heap_ for the trees it holds, walked here for the others
  // (kLanes trees in lockstep, each for the deepest one's steps, as leaves loop to
  // themselves); then added in tree order, as XGBoost adds them.
  std::vector<uint32_t> scratch(heap_.encoded_width() + heap_.num_trees());
  uint32_t* encoded = scratch.data();
  uint32_t* heap_leaves = encoded + heap_.encoded_width();
  heap_.EncodeRows(row, 1, num_features_, 1, encoded);
  heap_.LeavesOfRow(encoded, heap_leaves);
  std::fill_n(out, groups_, base_margin_);
  uint32_t lane_tree[kLanes];
  uint32_t at[kLanes];
  size_t lanes = 0;
  auto walk_lanes = [&] {
    uint32_t depth = 0;
    for (size_t l = 0; l < lanes; ++l) depth = std::max(depth, trees_[lane_tree[l]].depth);
    for (uint32_t d = 0; d < depth; ++d) {
      for (size_t l = 0; l < lanes; ++l) {
        const Node* nodes = nodes_.data() + trees_[lane_tree[l]].first;
        at[l] = has_categories_ ? Step<true>(nodes, at[l], row) : Step<false>(nodes, at[l], row);
      }
    }
  };
  // Trees walked here are gathered kLanes at a time; the sums wait until their lanes end.
  size_t added = 0;  // trees [0, added) are in out
  auto add_through = [&](size_t end) {
    size_t l = 0;
    for (; added < end; ++added) {
      const Tree& tree = trees_[added];
      if (heap_of_[added] >= 0) {
        out[tree.group] += std::bit_cast<float>(heap_leaves[heap_of_[added]]);
      } else {
        out[tree.group] += nodes_[tree.first + at[l++]].value;
      }
    }
  };
  for (size_t t = 0; t < trees_.size(); ++t) {
    if (heap_of_[t] >= 0) continue;
    if (lanes == 0) add_through(t);
    lane_tree[lanes] = static_cast<uint32_t>(t);
    at[lanes++] = 0;
    if (lanes == kLanes) {
      walk_lanes();
      add_through(t + 1);
      lanes = 0;
    }
  }
  if (lanes > 0) walk_lanes();
  add_through(trees_.size());
  Finish(out, 1);
}

}  // namespace hone::learn::xgb
