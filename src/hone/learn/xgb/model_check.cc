#include "hone/learn/xgb/model_check.h"

#include <charconv>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hone/learn/xgb/ubjson.h"

namespace hone::learn::xgb {
namespace {

using Json = nlohmann::json;

// XGBoost reads categories as floats and treats 2^24 and above as not a category.
constexpr int64_t kMaxCategory = int64_t{1} << 24;
constexpr int64_t kMaxIndex = std::numeric_limits<int32_t>::max();

Error Bad(const std::string& why) {
  return Error(ErrorCode::kInvalidData, "not a model XGBoost can load safely: " + why);
}

// The member `key` of object `json`, or null.
const Json* Member(const Json& json, const char* key) {
  if (!json.is_object()) return nullptr;
  auto it = json.find(key);
  return it == json.end() ? nullptr : &*it;
}

// XGBoost writes its parameters as decimal text: {"num_nodes": "7"}.
Result<int64_t> TextNumber(const Json& object, const char* key) {
  const Json* v = Member(object, key);
  int64_t n = -1;
  if (v != nullptr && v->is_string()) {
    const std::string& text = v->get_ref<const std::string&>();
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size()) n = -1;
  }
  if (n < 0 || n > kMaxIndex) return Fail(Bad(std::string(key) + " is not a number in range"));
  return n;
}

// The integer array `key` of `object` with `size` entries (any size when size < 0).
Result<std::vector<int64_t>> Integers(const Json& object, const char* key, int64_t size) {
  const Json* v = Member(object, key);
  if (v == nullptr || !v->is_array() || (size >= 0 && v->size() != static_cast<size_t>(size))) {
    return Fail(Bad(std::string("the tree's ") + key + " is missing or has the wrong length"));
  }
  std::vector<int64_t> out;
  out.reserve(v->size());
  for (const Json& e : *v) {
    if (!e.is_number_integer()) return Fail(Bad(std::string(key) + " holds a non-integer"));
    out.push_back(e.get<int64_t>());
  }
  return out;
}

Result<void> CheckNumbers(const Json& object, const char* key, int64_t size) {
  const Json* v = Member(object, key);
  if (v == nullptr || !v->is_array() || v->size() != static_cast<size_t>(size)) {
    return Fail(Bad(std::string("the tree's ") + key + " is missing or has the wrong length"));
  }
  for (const Json& e : *v) {
    if (!e.is_number()) return Fail(Bad(std::string(key) + " holds a non-number"));
  }
  return {};
}

Result<void> CheckTree(const Json& tree, int64_t num_feature) {
  const Json* param = Member(tree, "tree_param");
  if (param == nullptr) return Fail(Bad("a tree has no tree_param"));
  HONE_ASSIGN_OR_RETURN(int64_t n, TextNumber(*param, "num_nodes"));
  if (n == 0) return Fail(Bad("a tree has no nodes"));
  HONE_ASSIGN_OR_RETURN(int64_t leaf_vector, TextNumber(*param, "size_leaf_vector"));
  if (leaf_vector != 0) return Fail(Bad("a tree has leaf vectors"));
  HONE_ASSIGN_OR_RETURN(auto left, Integers(tree, "left_children", n));
  HONE_ASSIGN_OR_RETURN(auto right, Integers(tree, "right_children", n));
  HONE_ASSIGN_OR_RETURN(auto parents, Integers(tree, "parents", n));
  HONE_ASSIGN_OR_RETURN(auto split_index, Integers(tree, "split_indices", n));
  HONE_ASSIGN_OR_RETURN(auto split_type, Integers(tree, "split_type", n));
  HONE_ASSIGN_OR_RETURN(auto default_left, Integers(tree, "default_left", n));
  for (const char* key : {"split_conditions", "base_weights", "loss_changes", "sum_hessian"}) {
    HONE_TRY(CheckNumbers(tree, key, n));
  }
  // LoadModel looks up the parent of every node but the root, reachable or not.
  for (int64_t i = 1; i < n; ++i) {
    if (parents[i] < 0 || parents[i] >= n) return Fail(Bad("a node's parent is out of range"));
  }

  HONE_ASSIGN_OR_RETURN(auto cat_nodes, Integers(tree, "categories_nodes", -1));
  const auto num_cat_nodes = static_cast<int64_t>(cat_nodes.size());
  HONE_ASSIGN_OR_RETURN(auto cat_begin, Integers(tree, "categories_segments", num_cat_nodes));
  HONE_ASSIGN_OR_RETURN(auto cat_size, Integers(tree, "categories_sizes", num_cat_nodes));
  HONE_ASSIGN_OR_RETURN(auto categories, Integers(tree, "categories", -1));
  const auto num_categories = static_cast<int64_t>(categories.size());
  std::vector<uint8_t> listed(n, 0);
  for (size_t k = 0; k < cat_nodes.size(); ++k) {
    if (cat_nodes[k] < 0 || cat_nodes[k] >= n || (k > 0 && cat_nodes[k] <= cat_nodes[k - 1])) {
      return Fail(Bad("the categorical split nodes are out of range or order"));
    }
    if (cat_begin[k] < 0 || cat_size[k] < 1 || cat_begin[k] > num_categories ||
        cat_size[k] > num_categories - cat_begin[k]) {
      return Fail(Bad("a categorical split's categories are out of range"));
    }
    for (int64_t j = cat_begin[k]; j < cat_begin[k] + cat_size[k]; ++j) {
      if (categories[j] < 0 || categories[j] >= kMaxCategory) {
        return Fail(Bad("a categorical split names an invalid category"));
      }
    }
    listed[cat_nodes[k]] = 1;
  }

  // Prediction walks from the root until a node without a left child, and WalkTree visits every
  // child: the nodes they reach must form a tree, or a walk would leave the arrays or never end.
  std::vector<uint8_t> reached(n, 0);
  std::vector<int64_t> stack = {0};
  reached[0] = 1;
  while (!stack.empty()) {
    int64_t i = stack.back();
    stack.pop_back();
    if (left[i] == -1) {
      // A leaf. Prediction stops at it, but WalkTree (feature importance) follows any child.
      if (right[i] != -1) return Fail(Bad("a leaf has a right child"));
      continue;
    }
    for (int64_t child : {left[i], right[i]}) {
      if (child <= 0 || child >= n || reached[child] || parents[child] != i) {
        return Fail(Bad("a tree's children do not form a tree"));
      }
      reached[child] = 1;
      stack.push_back(child);
    }
    if (split_index[i] < 0 || split_index[i] >= num_feature) {
      return Fail(Bad("a split names a feature past num_feature"));
    }
    if (split_type[i] != 0 && (split_type[i] != 1 || !listed[i])) {
      return Fail(Bad("a categorical split has no categories"));
    }
    if (default_left[i] != 0 && default_left[i] != 1) {
      return Fail(Bad("a split's default direction is not 0 or 1"));
    }
  }
  return {};
}

Result<void> CheckTrees(const Json& model, int64_t num_feature, int64_t groups) {
  const Json* param = Member(model, "gbtree_model_param");
  if (param == nullptr) return Fail(Bad("the gbtree model has no gbtree_model_param"));
  HONE_ASSIGN_OR_RETURN(int64_t num_trees, TextNumber(*param, "num_trees"));
  HONE_ASSIGN_OR_RETURN(int64_t parallel, TextNumber(*param, "num_parallel_tree"));
  if (parallel != 1) return Fail(Bad("num_parallel_tree is not 1"));
  HONE_ASSIGN_OR_RETURN(auto tree_info, Integers(model, "tree_info", num_trees));
  for (int64_t group : tree_info) {
    if (group < 0 || group >= groups) return Fail(Bad("a tree's output group is out of range"));
  }
  const Json* trees = Member(model, "trees");
  if (trees == nullptr || !trees->is_array() || trees->size() != static_cast<size_t>(num_trees)) {
    return Fail(Bad("the number of trees differs from num_trees"));
  }
  for (size_t t = 0; t < trees->size(); ++t) {
    const Json* id = Member((*trees)[t], "id");
    if (id == nullptr || !id->is_number_integer() ||
        id->get<int64_t>() != static_cast<int64_t>(t)) {
      return Fail(Bad("tree " + std::to_string(t) + " has another id"));
    }
    HONE_TRY(CheckTree((*trees)[t], num_feature));
  }
  return {};
}

}  // namespace

Result<void> CheckModelBytes(std::string_view bytes) {
  HONE_TRY(CheckUbjson(bytes));
  Json model = Json::from_ubjson(bytes, /*strict=*/true, /*allow_exceptions=*/false);
  const Json* learner = Member(model, "learner");
  const Json* param = learner != nullptr ? Member(*learner, "learner_model_param") : nullptr;
  const Json* booster = learner != nullptr ? Member(*learner, "gradient_booster") : nullptr;
  if (param == nullptr || booster == nullptr) {
    return Fail(Bad("no learner with model parameters and a booster"));
  }
  HONE_ASSIGN_OR_RETURN(int64_t num_feature, TextNumber(*param, "num_feature"));
  HONE_ASSIGN_OR_RETURN(int64_t num_class, TextNumber(*param, "num_class"));
  HONE_ASSIGN_OR_RETURN(int64_t num_target, TextNumber(*param, "num_target"));
  if (num_target != 1) return Fail(Bad("num_target is not 1"));
  const int64_t groups = num_class > 0 ? num_class : 1;
  const Json* name = Member(*booster, "name");
  const Json* content = Member(*booster, "model");
  if (name == nullptr || content == nullptr) return Fail(Bad("the booster has no name or model"));
  if (*name == "gbtree") return CheckTrees(*content, num_feature, groups);
  if (*name == "gblinear") {
    const Json* weights = Member(*content, "weights");
    if (weights == nullptr || !weights->is_array() ||
        weights->size() != static_cast<size_t>((num_feature + 1) * groups)) {
      return Fail(Bad("the linear model does not have (num_feature + 1) x groups weights"));
    }
    for (const Json& w : *weights) {
      if (!w.is_number()) return Fail(Bad("a linear weight is not a number"));
    }
    return {};
  }
  return Fail(Bad("the booster is neither gbtree nor gblinear"));
}

}  // namespace hone::learn::xgb
