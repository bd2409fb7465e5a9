#include "hone/learn/xgb/import.h"

#include <cmath>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/core/csv.h"
#include "hone/core/file.h"
#include "hone/learn/xgb/test_problems.h"
#include "hone/learn/xgb/xgb_api.h"

namespace hone::learn::xgb {
namespace {

using testing::Categorical;
using testing::Classes;
using ::testing::HasSubstr;
using testing::Make;
using testing::Numeric;
using testing::Problem;
using testing::Regression;

using Params = std::vector<std::pair<std::string, std::string>>;

// x, a categorical c with 6 levels, and z; the label depends on x and c.
Problem Mixed(TargetInfo target) {
  const size_t k = target.num_classes();
  return Make({Numeric("x"), Categorical("c", 6), Numeric("z")}, std::move(target), 300, 11,
              [k](core::Rng& rng, std::vector<float>& row) {
                row[0] = static_cast<float>(rng.Uniform());
                row[1] = static_cast<float>(rng.Below(6));
                row[2] = static_cast<float>(rng.Uniform());
                float y = 2 * row[0] + (static_cast<int>(row[1]) % 3 == 0 ? 1.0f : 0.0f);
                return k == 0 ? y : static_cast<float>(static_cast<int>(y * 1.4f) % k);
              });
}

// A team's own training, through XGBoost itself: the problem's features, the parameters given,
// the model in `format` ("json" or "ubj"), and XGBoost's own predictions of the training rows
// (rows × groups, values or margins).
struct Trained {
  std::string bytes;
  std::vector<float> values;
  std::vector<float> margins;
};

Trained TrainOutside(const Problem& p, const Params& params, int rounds, std::string_view format) {
  Trained out;
  const size_t rows = p.x.num_rows(), cols = p.x.num_features();
  auto matrix = DMatrix::FromDense(DenseView::ColumnMajor(p.x.column(0).data(), rows, cols), 1);
  EXPECT_TRUE(matrix) << matrix.error().message();
  EXPECT_TRUE(matrix->SetLabels(p.y));
  std::vector<std::string> types;
  for (const FeatureInfo& f : p.schema.features()) {
    types.push_back(f.type == core::ColumnType::kCategorical ? "c" : "q");
  }
  EXPECT_TRUE(matrix->SetFeatureTypes(types));
  auto booster = Booster::ForTraining(*matrix);
  EXPECT_TRUE(booster) << booster.error().message();
  EXPECT_TRUE(booster->SetParam("tree_method", "hist"));
  EXPECT_TRUE(booster->SetParam("nthread", "1"));
  EXPECT_TRUE(booster->SetParam("max_depth", "3"));
  for (const auto& [name, value] : params) EXPECT_TRUE(booster->SetParam(name, value)) << name;
  for (int i = 0; i < rounds; ++i) EXPECT_TRUE(booster->UpdateOneIter(i, *matrix));
  out.bytes = booster->Save(format).value_or("");
  size_t groups = 1;
  bool labels = false;  // multi:softmax predicts a class per row
  for (const auto& [name, value] : params) {
    if (name == "num_class") groups = std::stoul(value);
    if (value == "multi:softmax") labels = true;
  }
  out.values.resize(rows * (labels ? 1 : groups));
  out.margins.resize(rows * groups);
  EXPECT_TRUE(booster->PredictDMatrix(*matrix, PredictKind::kValue, out.values));
  EXPECT_TRUE(booster->PredictDMatrix(*matrix, PredictKind::kMargin, out.margins));
  return out;
}

std::unique_ptr<Model> MustImport(std::string_view bytes, const Problem& p) {
  auto model = ImportXgboostModel(bytes, "model.json", p.schema, p.target);
  EXPECT_TRUE(model) << model.error().message();
  return model ? std::move(*model) : nullptr;
}

std::vector<float> PredictAll(const Model& model, const FeatureMatrix& x) {
  std::vector<float> out(x.num_rows() * model.num_outputs());
  auto done = model.Predict(x, out, 1);
  EXPECT_TRUE(done) << done.error().message();
  return out;
}

std::string ImportError(std::string_view bytes, const FeatureSchema& schema,
                        const TargetInfo& target) {
  auto model = ImportXgboostModel(bytes, "team/model.json", schema, target);
  if (model) return "(imported)";
  EXPECT_EQ(model.error().code(), ErrorCode::kInvalidData) << model.error().message();
  EXPECT_THAT(model.error().message(), HasSubstr("XGBoost model 'team/model.json': "));
  return model.error().message();
}

// `text` with the first `from` after `after` replaced by `to`.
std::string Replaced(std::string text, const std::string& after, const std::string& from,
                     const std::string& to) {
  size_t at = text.find(after);
  EXPECT_NE(at, std::string::npos) << after;
  at = text.find(from, at + after.size());
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(ImportXgboostModelTest, RegressionFromJsonAndUbjsonPredictsAsXgboostDoes) {
  Problem p = Mixed(Regression());
  for (const char* format : {"json", "ubj"}) {
    Trained outside = TrainOutside(p, {{"objective", "reg:squarederror"}}, 8, format);
    auto model = MustImport(outside.bytes, p);
    ASSERT_NE(model, nullptr) << format;
    EXPECT_EQ(model->num_outputs(), 1u);
    std::vector<float> hone = PredictAll(*model, p.x);
    for (size_t r = 0; r < hone.size(); ++r) {
      ASSERT_NEAR(hone[r], outside.values[r], 1e-6) << format << " row " << r;
    }
  }
}

TEST(ImportXgboostModelTest, TheImportedModelLoadsAgainAsAnyGbdtModel) {
  Problem p = Mixed(Regression());
  Trained outside = TrainOutside(p, {{"objective", "reg:pseudohubererror"}}, 6, "json");
  auto model = MustImport(outside.bytes, p);
  ASSERT_NE(model, nullptr);
  auto bytes = model->Serialize();
  ASSERT_TRUE(bytes) << bytes.error().message();
  auto gbdt = FindTrainer("gbdt");
  ASSERT_TRUE(gbdt);
  auto loaded = (*gbdt)->Load(*bytes, p.schema, p.target);
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(PredictAll(**loaded, p.x), PredictAll(*model, p.x));
  std::vector<float> row = p.Row(3);
  float one = 0;
  ASSERT_TRUE((*loaded)->PredictRow(row, std::span<float>(&one, 1)));
  EXPECT_NEAR(one, outside.values[3], 1e-6);
  // Importance by feature index, although the model named its features.
  std::vector<double> importance = (*loaded)->FeatureImportance();
  ASSERT_EQ(importance.size(), 3u);
  EXPECT_NEAR(importance[0] + importance[1] + importance[2], 1.0, 1e-9);
  EXPECT_GT(importance[0], importance[2]);
}

TEST(ImportXgboostModelTest, BinaryLogisticPredictsBothClassProbabilities) {
  Problem p = Mixed(Classes(2));
  Trained outside = TrainOutside(p, {{"objective", "binary:logistic"}}, 5, "ubj");
  auto model = MustImport(outside.bytes, p);
  ASSERT_NE(model, nullptr);
  ASSERT_EQ(model->num_outputs(), 2u);
  std::vector<float> hone = PredictAll(*model, p.x);
  for (size_t r = 0; r < p.x.num_rows(); ++r) {
    ASSERT_NEAR(hone[2 * r + 1], outside.values[r], 1e-6) << r;
    ASSERT_NEAR(hone[2 * r], 1 - outside.values[r], 1e-6) << r;
  }
}

TEST(ImportXgboostModelTest, MulticlassSoftmaxIsServedAsProbabilities) {
  Problem p = Mixed(Classes(3));
  for (const char* objective : {"multi:softprob", "multi:softmax"}) {
    Trained outside = TrainOutside(p, {{"objective", objective}, {"num_class", "3"}}, 4, "json");
    auto model = MustImport(outside.bytes, p);
    ASSERT_NE(model, nullptr) << objective;
    ASSERT_EQ(model->num_outputs(), 3u);
    std::vector<float> hone = PredictAll(*model, p.x);
    for (size_t r = 0; r < p.x.num_rows(); ++r) {
      const float* m = &outside.margins[3 * r];
      double top = std::max({m[0], m[1], m[2]});
      double sum = std::exp(m[0] - top) + std::exp(m[1] - top) + std::exp(m[2] - top);
      for (size_t k = 0; k < 3; ++k) {
        ASSERT_NEAR(hone[3 * r + k], std::exp(m[k] - top) / sum, 1e-6) << objective << r;
      }
    }
  }
}

TEST(ImportXgboostModelTest, DartPredictsAsXgboostDoes) {
  Problem p = Mixed(Regression());
  Trained outside = TrainOutside(
      p, {{"booster", "dart"}, {"rate_drop", "0.5"}, {"skip_drop", "0"}, {"seed", "3"}}, 10, "ubj");
  auto model = MustImport(outside.bytes, p);
  ASSERT_NE(model, nullptr);
  std::vector<float> hone = PredictAll(*model, p.x);
  for (size_t r = 0; r < hone.size(); ++r) ASSERT_NEAR(hone[r], outside.values[r], 1e-5) << r;
}

// The model make_import_fixture.py trained with xgboost-python on a pandas DataFrame, and the
// predictions xgboost-python made of the rows in import_rows.csv.
TEST(ImportXgboostModelTest, PythonModelPredictsAsXgboostPythonDid) {
  auto python = testing::LoadPythonModel();
  ASSERT_TRUE(python) << python.error().message();
  const FeatureSchema& schema = python->schema;
  const TargetInfo& target = python->target;
  const core::Table* rows = &python->rows;
  auto model = ImportXgboostModel(python->bytes, "import_regression.json", schema, target);
  ASSERT_TRUE(model) << model.error().message();
  auto x = schema.Encode(*rows);
  ASSERT_TRUE(x) << x.error().message();
  ASSERT_EQ(x->num_rows(), 8u);
  EXPECT_TRUE(std::isnan(x->at(2, 2)));  // a missing age
  EXPECT_TRUE(std::isnan(x->at(5, 1)));  // a missing colour
  std::vector<float> hone = PredictAll(**model, *x);
  auto want = rows->column(*rows->FindColumn("xgboost_prediction")).values();
  for (size_t r = 0; r < hone.size(); ++r) EXPECT_NEAR(hone[r], want[r], 1e-5) << "row " << r;
  // Served like any gbdt model once stored.
  auto bytes_again = (*model)->Serialize();
  ASSERT_TRUE(bytes_again);
  auto loaded = (*FindTrainer("gbdt"))->Load(*bytes_again, schema, target);
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(PredictAll(**loaded, *x), hone);
}

TEST(ImportXgboostModelTest, RefusesAModelForAnotherNumberOfFeatures) {
  Problem p = Mixed(Regression());
  Trained outside = TrainOutside(p, {}, 2, "json");
  FeatureSchema fewer({Numeric("x"), Categorical("c", 6)});
  std::string error = ImportError(outside.bytes, fewer, p.target);
  EXPECT_THAT(error, HasSubstr("the model reads 3 features but the schema has 2 (x, c)"));
}

TEST(ImportXgboostModelTest, ChecksTheModelsFeatureNames) {
  Problem p = Mixed(Regression());
  Trained outside = TrainOutside(p, {}, 2, "json");
  // As xgboost-python saves a model trained on a DataFrame.
  std::string named = Replaced(outside.bytes, "\"feature_names\":", "[]", R"(["x","c","z"])");
  EXPECT_TRUE(ImportXgboostModel(named, "m", p.schema, p.target));
  FeatureSchema renamed({Numeric("x"), Categorical("c", 6), Numeric("zz")});
  std::string error = ImportError(named, renamed, p.target);
  EXPECT_THAT(error, HasSubstr("feature 3 is 'z' in the model but 'zz' in the schema"));
  EXPECT_THAT(error, HasSubstr("the model's features: x, c, z; the schema's: x, c, zz"));
  std::string two = Replaced(outside.bytes, "\"feature_names\":", "[]", R"(["x","c"])");
  EXPECT_THAT(ImportError(two, p.schema, p.target),
              HasSubstr("feature_names has 2 entries for 3 features"));
}

TEST(ImportXgboostModelTest, RefusesCategoriesTheSchemaDoesNotCode) {
  Problem p = Mixed(Regression());
  Trained outside = TrainOutside(p, {{"max_cat_to_onehot", "1"}}, 4, "json");
  // The model splits c as a category: c cannot be a number in the schema...
  FeatureSchema numeric({Numeric("x"), Numeric("c"), Numeric("z")});
  EXPECT_THAT(ImportError(outside.bytes, numeric, p.target),
              HasSubstr("feature 'c' is categorical in the model but numeric in the schema"));
  // ...nor have fewer categories than the model splits on.
  FeatureSchema fewer({Numeric("x"), Categorical("c", 2), Numeric("z")});
  EXPECT_THAT(ImportError(outside.bytes, fewer, p.target),
              HasSubstr("but the schema has 2 categories (c0, c1)"));
}

TEST(ImportXgboostModelTest, RefusesAnObjectiveThatDoesNotFitTheTarget) {
  Problem reg = Mixed(Regression());
  Problem bin = Mixed(Classes(2));
  Problem three = Mixed(Classes(3));
  Trained squared = TrainOutside(reg, {{"objective", "reg:squarederror"}}, 2, "json");
  EXPECT_THAT(ImportError(squared.bytes, bin.schema, bin.target),
              HasSubstr("objective 'reg:squarederror' does not fit binary target 'y'"));
  Trained poisson = TrainOutside(reg, {{"objective", "count:poisson"}}, 2, "json");
  EXPECT_THAT(ImportError(poisson.bytes, reg.schema, reg.target),
              HasSubstr("link function (reg:logistic, reg:gamma"));
  Trained raw = TrainOutside(bin, {{"objective", "binary:logitraw"}}, 2, "json");
  EXPECT_THAT(ImportError(raw.bytes, bin.schema, bin.target),
              HasSubstr("train with objective='binary:logistic'"));
  Trained softprob =
      TrainOutside(three, {{"objective", "multi:softprob"}, {"num_class", "3"}}, 2, "json");
  Problem four = Mixed(Classes(4));
  EXPECT_THAT(ImportError(softprob.bytes, four.schema, four.target),
              HasSubstr("num_class 3 but the target 4 classes (0, 1, 2, 3)"));
}

TEST(ImportXgboostModelTest, RefusesTreesPastTheBestIteration) {
  Problem p = Mixed(Regression());
  Trained outside = TrainOutside(p, {}, 5, "json");
  std::string stopped = Replaced(outside.bytes, "\"attributes\":", "{}",
                                 R"({"best_iteration":"2","best_ntree_limit":"3"})");
  EXPECT_THAT(ImportError(stopped, p.schema, p.target),
              HasSubstr("5 boosting rounds but its best_iteration is 2"));
  std::string last = Replaced(outside.bytes, "\"attributes\":", "{}", R"({"best_iteration":"4"})");
  EXPECT_TRUE(ImportXgboostModel(last, "m", p.schema, p.target));
}

TEST(ImportXgboostModelTest, RefusesBytesThatAreNoModel) {
  Problem p = Mixed(Regression());
  EXPECT_THAT(ImportError("", p.schema, p.target), HasSubstr("neither XGBoost's JSON nor"));
  EXPECT_THAT(ImportError("binf\x01\x02garbage", p.schema, p.target),
              HasSubstr("old binary format"));
  EXPECT_THAT(ImportError("{\"learner\": [1, 2", p.schema, p.target),
              HasSubstr("not JSON as XGBoost writes it"));
  EXPECT_THAT(ImportError("{\"learner\": {}}", p.schema, p.target),
              HasSubstr("no learner with a named booster"));
  EXPECT_THAT(ImportError(R"({"a": 1, "a": 2})", p.schema, p.target),
              HasSubstr("the key 'a' appears twice"));
  // Deep nesting is refused, not recursed into.
  EXPECT_THAT(ImportError("{\"a\":" + std::string(100000, '['), p.schema, p.target),
              HasSubstr("nest too deeply"));
  Trained linear = TrainOutside(p, {{"booster", "gblinear"}}, 2, "json");
  EXPECT_THAT(ImportError(linear.bytes, p.schema, p.target),
              HasSubstr("booster 'gblinear': hone imports tree models"));
}

TEST(ImportXgboostModelTest, RefusesATruncatedUbjsonModel) {
  Problem p = Mixed(Regression());
  Trained outside = TrainOutside(p, {}, 3, "ubj");
  for (size_t keep : {outside.bytes.size() / 3, outside.bytes.size() - 1}) {
    EXPECT_THAT(ImportError(outside.bytes.substr(0, keep), p.schema, p.target),
                HasSubstr("not UBJSON as XGBoost writes it"))
        << keep;
  }
}

TEST(ImportXgboostModelTest, RefusesAJsonTreeWithAChildOutOfRange) {
  Problem p = Mixed(Regression());
  Trained outside = TrainOutside(p, {}, 3, "json");
  ASSERT_TRUE(ImportXgboostModel(outside.bytes, "m", p.schema, p.target));
  std::string bad = Replaced(outside.bytes, "\"left_children\":[", "1", "9999");
  EXPECT_THAT(ImportError(bad, p.schema, p.target),
              HasSubstr("not a model XGBoost can load safely: a tree's children do not form a "
                        "tree"));
}

TEST(ImportXgboostModelTest, ReadsJsonEscapesAndSpecialNumbers) {
  Problem p = Mixed(Regression());
  Trained outside = TrainOutside(p, {}, 2, "json");
  // An attribute with escapes, as scikit-learn's wrapper stores its parameters.
  std::string escaped = Replaced(outside.bytes, "\"attributes\":", "{}",
                                 R"({"note":"a \"quoted\" \\ \/ \u00e9\ud83d\ude00\n"})");
  EXPECT_TRUE(ImportXgboostModel(escaped, "m", p.schema, p.target));
  std::string lone = Replaced(outside.bytes, "\"attributes\":", "{}", R"({"note":"\ud83d"})");
  EXPECT_THAT(ImportError(lone, p.schema, p.target), HasSubstr("lone UTF-16 surrogate"));
  // XGBoost writes NaN and infinities as bare words, in a leaf's statistics for instance.
  std::string words = Replaced(outside.bytes, "\"loss_changes\":[", "", "NaN,Infinity,-Infinity,");
  EXPECT_THAT(ImportError(words, p.schema, p.target),
              HasSubstr("loss_changes is missing or has the wrong length"));
}

}  // namespace
}  // namespace hone::learn::xgb
