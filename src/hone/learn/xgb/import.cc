// An outside model becomes a hone model in four steps: its bytes are read into one document
// (JSON text by ReadXgboostJson, UBJSON only after CheckUbjson); a dart booster becomes the
// gbtree it predicts like; the document, written as UBJSON in XGBoost's layout, passes
// CheckModelBytes; and it is checked against the schema and target and normalised (no feature
// names, hone's feature types, the objective hone serves) before GbdtModel::Create hands it to
// XGBoost. XGBoost never parses the user's bytes themselves, only the checked document.
#include "hone/learn/xgb/import.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "hone/learn/xgb/gbdt_model.h"
#include "hone/learn/xgb/model_check.h"
#include "hone/learn/xgb/ubjson.h"
#include "hone/learn/xgb/xgboost_json.h"

namespace hone::learn::xgb {
namespace {

using Json = nlohmann::json;

// Regression objectives whose predictions are the raw sum of the trees, like
// reg:squarederror's: only the training loss differs, so the model serves as reg:squarederror.
constexpr const char* kIdentityRegression[] = {"reg:squarederror", "reg:linear",
                                               "reg:squaredlogerror", "reg:pseudohubererror",
                                               "reg:absoluteerror"};

Json* Member(Json& json, const char* key) {
  if (!json.is_object()) return nullptr;
  auto it = json.find(key);
  return it == json.end() ? nullptr : &*it;
}

// A decimal parameter XGBoost writes as text ({"num_feature": "4"}), or -1.
int64_t TextNumber(Json* object, const char* key) {
  Json* v = object != nullptr ? Member(*object, key) : nullptr;
  if (v == nullptr || !v->is_string()) return -1;
  const std::string& text = v->get_ref<const std::string&>();
  int64_t n = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  return ec == std::errc() && end == text.data() + text.size() ? n : -1;
}

float ToFloat(double v) {
  constexpr double kMax = std::numeric_limits<float>::max();
  if (std::isfinite(v) && std::abs(v) > kMax) return v > 0 ? INFINITY : -INFINITY;
  return static_cast<float>(v);
}

// "a, b, c", at most 10 names.
std::string NameList(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < 10; ++i) out += (i > 0 ? ", " : "") + names[i];
  if (names.size() > 10) out += ", … (" + std::to_string(names.size()) + " in all)";
  return names.empty() ? "(none)" : out;
}

void PutLength(std::string& out, uint64_t n) {
  out += 'L';
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((n >> shift) & 0xff);
}

// The document as XGBoost 1.7's UBJSON reader takes it (see CheckUbjson): keys and lengths as
// 'L' int64, arrays counted, integers as 'L', other numbers as float32 'd', like XGBoost's own
// numbers. Depth is bounded by the readers that built the document.
void WriteUbjson(const Json& v, std::string& out) {
  switch (v.type()) {
    case Json::value_t::object:
      out += '{';
      for (auto it = v.begin(); it != v.end(); ++it) {
        PutLength(out, it.key().size());
        out += it.key();
        WriteUbjson(it.value(), out);
      }
      out += '}';
      return;
    case Json::value_t::array:
      out += "[#";
      PutLength(out, v.size());
      for (const Json& e : v) WriteUbjson(e, out);
      return;
    case Json::value_t::string:
      out += 'S';
      PutLength(out, v.get_ref<const std::string&>().size());
      out += v.get_ref<const std::string&>();
      return;
    case Json::value_t::boolean:
      out += v.get<bool>() ? 'T' : 'F';
      return;
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      // Unsigned values come from UBJSON's uint8, so they fit.
      PutLength(out, static_cast<uint64_t>(v.get<int64_t>()));
      return;
    case Json::value_t::number_float: {
      uint32_t bits = std::bit_cast<uint32_t>(ToFloat(v.get<double>()));
      out += 'd';
      for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((bits >> shift) & 0xff);
      return;
    }
    default:
      out += 'Z';
      return;
  }
}

std::string Ubjson(const Json& doc) {
  std::string out;
  WriteUbjson(doc, out);
  return out;
}

// The model's bytes as a document. UBJSON starts "{L" (a key) or "{}"; JSON text with '{'.
Result<Json> ReadDocument(std::string_view bytes) {
  if (bytes.size() >= 2 && bytes[0] == '{' && (bytes[1] == 'L' || bytes[1] == '}')) {
    HONE_TRY(CheckUbjson(bytes));
    Json doc = Json::from_ubjson(bytes, /*strict=*/true, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return Fail(ErrorCode::kInvalidData, "UBJSON that does not parse");
    return doc;
  }
  size_t first = bytes.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || bytes[first] != '{') {
    return Fail(ErrorCode::kInvalidData,
                "neither XGBoost's JSON nor its UBJSON (XGBoost's old binary format is not read: "
                "save the model with Booster.save_model('model.json') or 'model.ubj')");
  }
  return ReadXgboostJson(bytes);
}

// A dart booster predicts (outside training) with tree i's leaves scaled by weight_drop[i];
// as a gbtree the weights go into the leaves. XGBoost multiplies in float32 too, so the
// predictions are the same.
Result<void> DartToGbtree(Json& booster) {
  auto bad = [](const std::string& why) {
    return Fail(ErrorCode::kInvalidData, "the dart booster " + why);
  };
  Json* inner = Member(booster, "gbtree");
  Json* weights = Member(booster, "weight_drop");
  Json* model = inner != nullptr ? Member(*inner, "model") : nullptr;
  Json* trees = model != nullptr ? Member(*model, "trees") : nullptr;
  if (weights == nullptr || !weights->is_array() || trees == nullptr || !trees->is_array()) {
    return bad("lacks its trees or their weight_drop");
  }
  if (weights->size() != trees->size()) {
    return bad("has " + std::to_string(weights->size()) + " weights for " +
               std::to_string(trees->size()) + " trees");
  }
  for (size_t t = 0; t < trees->size(); ++t) {
    if (!(*weights)[t].is_number()) return bad("has a weight that is not a number");
    float w = ToFloat((*weights)[t].get<double>());
    Json* left = Member((*trees)[t], "left_children");
    Json* values = Member((*trees)[t], "split_conditions");
    if (left == nullptr || values == nullptr || !left->is_array() || !values->is_array()) continue;
    for (size_t i = 0; i < left->size() && i < values->size(); ++i) {
      // A leaf keeps its value where a split keeps its threshold.
      if ((*left)[i] == -1 && (*values)[i].is_number()) {
        (*values)[i] = static_cast<double>(ToFloat((*values)[i].get<double>()) * w);
      }
    }
  }
  Json gbtree = Json::object();
  gbtree["name"] = "gbtree";
  gbtree["model"] = std::move(*model);
  booster = std::move(gbtree);
  return {};
}

// Checks the objective against the target and sets the one hone serves in its place.
Result<void> FitObjective(Json& learner, int64_t num_class, const TargetInfo& target) {
  Json* objective = Member(learner, "objective");
  Json* name_json = objective != nullptr ? Member(*objective, "name") : nullptr;
  if (name_json == nullptr || !name_json->is_string()) {
    return Fail(ErrorCode::kInvalidData, "the model names no objective");
  }
  const std::string name = name_json->get<std::string>();
  auto mismatch = [&](const std::string& why) {
    return Fail(ErrorCode::kInvalidData, "objective '" + name + "' does not fit " +
                                             TaskName(target.task) + " target '" + target.name +
                                             "': " + why);
  };
  switch (target.task) {
    case Task::kRegression:
      for (const char* identity : kIdentityRegression) {
        if (name == identity) {
          (*objective) =
              Json{{"name", "reg:squarederror"}, {"reg_loss_param", {{"scale_pos_weight", "1"}}}};
          return {};
        }
      }
      return mismatch(
          "hone serves regression models that predict the trees' sum as it is (reg:squarederror, "
          "reg:squaredlogerror, reg:pseudohubererror, reg:absoluteerror); one with a link "
          "function (reg:logistic, reg:gamma, reg:tweedie, count:poisson) is not served");
    case Task::kBinary:
      if (name == "binary:logistic") return {};
      return mismatch(
          "hone serves two classes as binary:logistic probabilities (binary:logitraw predicts "
          "margins and binary:hinge labels): train with objective='binary:logistic'");
    case Task::kMulticlass:
      if (name != "multi:softprob" && name != "multi:softmax") {
        return mismatch("hone serves several classes as multi:softprob (or multi:softmax)");
      }
      if (num_class != static_cast<int64_t>(target.num_classes())) {
        return mismatch("the model has num_class " + std::to_string(num_class) +
                        " but the target " + std::to_string(target.num_classes()) + " classes (" +
                        NameList(target.classes) + ")");
      }
      // The same trees; softprob predicts the probabilities softmax takes the largest of.
      (*objective)["name"] = "multi:softprob";
      return {};
  }
  return {};
}

// The model's feature names and types, when it has them, against the schema's; sets them as
// hone's trained models have them (no names: XGBoost's feature importance then names features
// by index; "q" or "c" types).
Result<void> FitFeatures(Json& learner, const FeatureSchema& schema,
                         const std::vector<bool>& categorical_splits) {
  auto strings = [&](const char* key) -> Result<std::vector<std::string>> {
    std::vector<std::string> out;
    Json* list = Member(learner, key);
    if (list == nullptr) return out;
    if (!list->is_array()) return Fail(ErrorCode::kInvalidData, std::string(key) + " is no list");
    for (const Json& e : *list) {
      if (!e.is_string()) {
        return Fail(ErrorCode::kInvalidData, std::string(key) + " holds a non-text");
      }
      out.push_back(e.get<std::string>());
    }
    if (!out.empty() && out.size() != schema.size()) {
      return Fail(ErrorCode::kInvalidData, std::string(key) + " has " + std::to_string(out.size()) +
                                               " entries for " + std::to_string(schema.size()) +
                                               " features");
    }
    return out;
  };
  std::vector<std::string> wanted;
  for (const FeatureInfo& f : schema.features()) wanted.push_back(f.name);
  HONE_ASSIGN_OR_RETURN(std::vector<std::string> names, strings("feature_names"));
  if (!names.empty() && names != wanted) {
    size_t i = 0;
    while (names[i] == wanted[i]) ++i;
    return Fail(ErrorCode::kInvalidData,
                "feature " + std::to_string(i + 1) + " is '" + names[i] + "' in the model but '" +
                    wanted[i] + "' in the schema (the model's features: " + NameList(names) +
                    "; the schema's: " + NameList(wanted) + ")");
  }
  HONE_ASSIGN_OR_RETURN(std::vector<std::string> types, strings("feature_types"));
  Json hone_types = Json::array();
  for (size_t j = 0; j < schema.size(); ++j) {
    const FeatureInfo& f = schema.features()[j];
    bool is_category = categorical_splits[j] || (!types.empty() && types[j] == "c");
    if (!types.empty() && types[j] != "c" && types[j] != "q" && types[j] != "float" &&
        types[j] != "int" && types[j] != "i") {
      return Fail(ErrorCode::kInvalidData, "feature '" + f.name + "' has type '" + types[j] +
                                               "'; known: q, float, int, i, c");
    }
    if (is_category && f.type != core::ColumnType::kCategorical) {
      return Fail(ErrorCode::kInvalidData,
                  "feature '" + f.name + "' is categorical in the model but numeric in the schema");
    }
    hone_types.push_back(is_category ? "c" : "q");
  }
  learner["feature_names"] = Json::array();
  learner["feature_types"] = std::move(hone_types);
  return {};
}

// Per feature, whether a tree splits it by category; fails when a split names a category the
// schema does not have (the model was then trained with other categories, coded otherwise).
Result<std::vector<bool>> CategoricalSplits(Json& trees, const FeatureSchema& schema) {
  std::vector<bool> split(schema.size(), false);
  // CheckModelBytes has checked every array's shape and every index below.
  for (Json& tree : trees) {
    const Json& nodes = tree["categories_nodes"];
    for (size_t k = 0; k < nodes.size(); ++k) {
      auto feature = tree["split_indices"][nodes[k].get<size_t>()].get<int64_t>();
      // A node no walk from the root reaches may name anything; it is never used.
      if (feature < 0 || static_cast<size_t>(feature) >= schema.size()) continue;
      const FeatureInfo& f = schema.features()[feature];
      split[feature] = true;
      auto begin = tree["categories_segments"][k].get<size_t>();
      auto size = tree["categories_sizes"][k].get<size_t>();
      for (size_t c = begin; c < begin + size; ++c) {
        auto category = tree["categories"][c].get<int64_t>();
        if (f.type == core::ColumnType::kCategorical &&
            static_cast<size_t>(category) >= f.categories.size()) {
          return Fail(ErrorCode::kInvalidData,
                      "feature '" + f.name + "' splits on category index " +
                          std::to_string(category) + " but the schema has " +
                          std::to_string(f.categories.size()) + " categories (" +
                          NameList(f.categories) +
                          "): code categories as their index among these, sorted, as pandas "
                          "does");
        }
      }
    }
  }
  return split;
}

Result<std::unique_ptr<Model>> Import(std::string_view bytes, const FeatureSchema& schema,
                                      const TargetInfo& target) {
  auto bad = [](const std::string& why) { return Fail(ErrorCode::kInvalidData, why); };
  HONE_ASSIGN_OR_RETURN(Json doc, ReadDocument(bytes));
  Json* learner = Member(doc, "learner");
  Json* booster = learner != nullptr ? Member(*learner, "gradient_booster") : nullptr;
  Json* kind = booster != nullptr ? Member(*booster, "name") : nullptr;
  if (kind == nullptr || !kind->is_string()) return bad("no learner with a named booster");
  const std::string name = kind->get<std::string>();
  if (name == "dart") HONE_TRY(DartToGbtree(*booster));
  if (name != "gbtree" && name != "dart") {
    return bad("booster '" + name + "': hone imports tree models (gbtree, dart)");
  }
  // From here on every index in the trees is known to be in range.
  HONE_TRY(CheckModelBytes(Ubjson(doc)));

  Json* param = Member(*learner, "learner_model_param");
  int64_t num_feature = TextNumber(param, "num_feature");
  int64_t num_class = TextNumber(param, "num_class");
  if (num_feature != static_cast<int64_t>(schema.size())) {
    std::vector<std::string> names;
    for (const FeatureInfo& f : schema.features()) names.push_back(f.name);
    return bad("the model reads " + std::to_string(num_feature) + " features but the schema has " +
               std::to_string(schema.size()) + " (" + NameList(names) + ")");
  }
  Json& model = (*booster)["model"];
  HONE_ASSIGN_OR_RETURN(std::vector<bool> categorical, CategoricalSplits(model["trees"], schema));
  HONE_TRY(FitFeatures(*learner, schema, categorical));
  HONE_TRY(FitObjective(*learner, num_class, target));

  // Booster.predict uses every tree, a scikit-learn model after early stopping only the best
  // iteration's: a model holding trees past it would be served unlike either way it was judged.
  int64_t best = TextNumber(Member(*learner, "attributes"), "best_iteration");
  int64_t rounds = TextNumber(Member(model, "gbtree_model_param"), "num_trees") /
                   std::max<int64_t>(1, num_class);
  if (best >= 0 && best + 1 < rounds) {
    return bad("the model has " + std::to_string(rounds) +
               " boosting rounds but its best_iteration is " + std::to_string(best) +
               " (early stopping): save the rounds it chose, "
               "booster[: booster.best_iteration + 1].save_model(...)");
  }

  // XGBoost reads the document as checked; GbdtModel checks it once more before loading.
  HONE_ASSIGN_OR_RETURN(
      std::unique_ptr<GbdtModel> imported,
      GbdtModel::Create(Ubjson(doc), CategoryGaps(schema.size()), schema, target));
  return std::unique_ptr<Model>(std::move(imported));
}

}  // namespace

Result<std::unique_ptr<Model>> ImportXgboostModel(std::string_view bytes, std::string_view source,
                                                  const FeatureSchema& schema,
                                                  const TargetInfo& target) {
  return Import(bytes, schema, target).map_error([&](const Error& e) {
    return e.WithContext("XGBoost model '" + std::string(source) + "'");
  });
}

}  // namespace hone::learn::xgb
