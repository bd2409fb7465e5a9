#include "hone/learn/xgb/flat_trees.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/core/csv.h"
#include "hone/core/file.h"
#include "hone/learn/xgb/gbdt_model.h"
#include "hone/learn/xgb/import.h"
#include "hone/learn/xgb/model_envelope.h"
#include "hone/learn/xgb/test_problems.h"
#include "hone/learn/xgb/xgb_trainers.h"

namespace hone::learn::xgb {
namespace {

using testing::Categorical;
using testing::Classes;
using ::testing::HasSubstr;
using testing::Make;
using testing::Numeric;
using testing::Problem;
using testing::Regression;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();
// The 8-level feature's category that no training row has (a "gap").
constexpr int kGap = 5;

// x0, x1 numeric with 10% missing; c8, 8 levels (partition splits) without category kGap and
// 5% missing; c3, 3 levels (one-hot splits). Labels from all four, for `target`.
Problem Mixed(TargetInfo target, size_t n, uint64_t seed) {
  const size_t k = target.num_classes();
  return Make({Numeric("x0"), Categorical("c8", 8), Numeric("x1"), Categorical("c3", 3)},
              std::move(target), n, seed, [k](core::Rng& rng, std::vector<float>& row) {
                static constexpr float kEffect[8] = {1.5f, -1, 0.3f, 2, -2, 0, 0.8f, -0.6f};
                row[0] = rng.Uniform() < 0.1 ? kNaN : static_cast<float>(2 * rng.Uniform() - 1);
                size_t c = rng.Below(7);
                if (c >= kGap) ++c;
                row[1] = rng.Uniform() < 0.05 ? kNaN : static_cast<float>(c);
                row[2] = rng.Uniform() < 0.1 ? kNaN : static_cast<float>(rng.Uniform());
                row[3] = static_cast<float>(rng.Below(3));
                double y = kEffect[c] + (std::isnan(row[0]) ? 0.7 : std::sin(3 * row[0])) +
                           (std::isnan(row[2]) ? -0.5 : row[2] * row[2]) + 0.4 * row[3] +
                           0.2 * testing::Normal(rng);
                if (k == 0) return static_cast<float>(y);
                return static_cast<float>(static_cast<size_t>(std::clamp(y + 2.5, 0.0, 5.99) *
                                                              static_cast<double>(k) / 6));
              });
}

// Rows that exercise every path: the training rows, then rows whose categories are missing,
// the gap, unseen (past the schema, past a split's bit set, past 2^24), negative, fractional,
// and numbers that are infinite or missing.
FeatureMatrix Probe(const Problem& p) {
  std::vector<std::vector<float>> rows;
  for (size_t r = 0; r < p.x.num_rows(); ++r) rows.push_back(p.Row(r));
  const float odd[] = {kNaN, kGap,  8,    9,    31,   32,   33,   39,          40,
                       63,   64,    100,  4095, 4999, 5000, 1e7f, 16777216.0f, 3e9f,
                       -1,   -0.5f, 2.5f, 0,    7,    kInf, -kInf};
  const size_t width = p.schema.size();
  for (size_t i = 0; i < std::size(odd); ++i) {
    for (float x : {-0.3f, 0.6f, kNaN, -0.0f}) {
      // Odd values in the odd columns, then in the even ones.
      for (size_t parity : {0, 1}) {
        std::vector<float> row(width);
        for (size_t j = 0; j < width; ++j) {
          row[j] = j % 2 == parity ? (j < 2 ? x : 0.5f) : odd[(i + 3 * j) % std::size(odd)];
        }
        rows.push_back(std::move(row));
      }
    }
  }
  FeatureMatrix x(rows.size(), p.schema.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t j = 0; j < rows[r].size(); ++j) x.mutable_column(j)[r] = rows[r][j];
  }
  return x;
}

std::unique_ptr<GbdtModel> TrainFlat(const Problem& p, int trees, int depth) {
  auto params = GbdtTrainer().params().Resolve(
      {{"n_estimators", std::to_string(trees)}, {"max_depth", std::to_string(depth)}});
  EXPECT_TRUE(params);
  auto model = GbdtTrainer().Train(p.data(), *params, {.threads = 1});
  EXPECT_TRUE(model) << model.error().message();
  if (!model) return nullptr;
  return std::unique_ptr<GbdtModel>(dynamic_cast<GbdtModel*>(model->release()));
}

// The same model, predicted by XGBoost.
std::unique_ptr<GbdtModel> Reference(const Model& model, const Problem& p) {
  auto bytes = model.Serialize();
  EXPECT_TRUE(bytes);
  auto envelope = ReadEnvelope(*bytes, "gbdt", p.schema, p.target);
  EXPECT_TRUE(envelope) << envelope.error().message();
  auto gaps = GbdtModel::GapsFromHeader(envelope->header, p.schema);
  EXPECT_TRUE(gaps);
  auto reference =
      GbdtModel::Create(envelope->payload, *gaps, p.schema, p.target, GbdtEvaluator::kXgboost);
  EXPECT_TRUE(reference) << reference.error().message();
  return reference ? std::move(*reference) : nullptr;
}

void ExpectClose(float got, float want, const std::string& where) {
  ASSERT_NEAR(got, want, 1e-5 * std::max(1.0f, std::fabs(want))) << where;
}

// Model::Predict (1 and 2 threads) and PredictRow of every row of `x` against `reference`.
void ExpectSamePredictions(const Model& flat, const Model& reference, const FeatureMatrix& x) {
  const size_t k = flat.num_outputs();
  ASSERT_EQ(reference.num_outputs(), k);
  std::vector<float> want(x.num_rows() * k), got(want.size()), got2(want.size()), one(k);
  ASSERT_TRUE(reference.Predict(x, want, 1));
  ASSERT_TRUE(flat.Predict(x, got, 1));
  ASSERT_TRUE(flat.Predict(x, got2, 2));
  EXPECT_EQ(got, got2);
  std::vector<float> row(x.num_features());
  for (size_t r = 0; r < x.num_rows(); ++r) {
    x.CopyRow(r, row);
    ASSERT_TRUE(flat.PredictRow(row, one));
    for (size_t c = 0; c < k; ++c) {
      const std::string where = "row " + std::to_string(r) + " output " + std::to_string(c);
      ExpectClose(got[r * k + c], want[r * k + c], "Predict, " + where);
      ExpectClose(one[c], want[r * k + c], "PredictRow, " + where);
    }
  }
}

class FlatTreesTaskTest : public ::testing::TestWithParam<int> {};

TEST_P(FlatTreesTaskTest, PredictsAsXgboostDoes) {
  const int classes = GetParam();
  Problem p = Mixed(classes == 0 ? Regression() : Classes(classes), 1500, 7 + classes);
  auto flat = TrainFlat(p, 40, 6);
  ASSERT_TRUE(flat);
  ASSERT_TRUE(flat->uses_flat_trees());
  // Depth 6 and 8 categories: every tree is in the heap layout.
  EXPECT_EQ(flat->flat_trees()->heap_trees().num_trees(), flat->flat_trees()->num_trees());
  auto reference = Reference(*flat, p);
  ASSERT_TRUE(reference);
  ASSERT_FALSE(reference->uses_flat_trees());
  ExpectSamePredictions(*flat, *reference, Probe(p));
}

INSTANTIATE_TEST_SUITE_P(Tasks, FlatTreesTaskTest, ::testing::Values(0, 2, 4),
                         [](const auto& param_info) {
                           return param_info.param == 0   ? std::string("Regression")
                                  : param_info.param == 2 ? std::string("Binary")
                                                          : std::string("Multiclass");
                         });

TEST(FlatTreesTest, MarginsMatchXgboostsOwnPredictionWithoutGaps) {
  // No gaps: Booster::PredictDense on the raw rows is the reference, values and all.
  Problem p = Make({Numeric("x0"), Categorical("c", 6), Numeric("x1")}, Classes(2), 800, 3,
                   [](core::Rng& rng, std::vector<float>& row) {
                     row[0] = rng.Uniform() < 0.2 ? kNaN : static_cast<float>(rng.Uniform());
                     row[1] = static_cast<float>(rng.Below(6));
                     row[2] = static_cast<float>(rng.Uniform());
                     return (row[0] > 0.4f) ^ (static_cast<int>(row[1]) % 2 == 0) ? 1.0f : 0.0f;
                   });
  auto flat = TrainFlat(p, 25, 8);
  ASSERT_TRUE(flat && flat->uses_flat_trees());
  const size_t rows = p.x.num_rows();
  std::vector<float> want(rows), got(rows * 2);
  ASSERT_TRUE(flat->booster().PredictDense(
      DenseView::ColumnMajor(p.x.column(0).data(), rows, p.x.num_features()), PredictKind::kValue,
      want));
  ASSERT_TRUE(flat->Predict(p.x, got, 1));
  for (size_t r = 0; r < rows; ++r) ExpectClose(got[r * 2 + 1], want[r], std::to_string(r));
}

// Categorical features of 40 and of 5000 categories beside numeric ones: splits on the first
// are wide (HeapTrees::kNarrowCategories), splits on the second name categories past
// HeapTrees::kMaxWideCategories and keep their trees outside the heap layout. The sums still
// follow tree order.
TEST(FlatTreesTest, WideSplitsAndTreesOutsideTheHeapLayout) {
  Problem p = Make({Numeric("x0"), Categorical("c40", 40), Numeric("x1"), Categorical("c5k", 5000)},
                   Regression(), 3000, 5, [](core::Rng& rng, std::vector<float>& row) {
                     row[0] = rng.Uniform() < 0.1 ? kNaN : static_cast<float>(rng.Uniform());
                     row[1] = rng.Uniform() < 0.05 ? kNaN : static_cast<float>(rng.Below(40));
                     row[2] = static_cast<float>(rng.Uniform());
                     row[3] = static_cast<float>(rng.Below(5000));
                     const double c = std::isnan(row[1]) ? 0 : row[1];
                     return static_cast<float>(
                         3 * std::sin(5 * row[2]) + (c > 33 || static_cast<int>(c) % 5 == 0) +
                         (std::isnan(row[0]) ? 1 : row[0]) + 0.3 * (static_cast<int>(row[3]) % 3));
                   });
  auto model = TrainFlat(p, 60, 3);
  ASSERT_TRUE(model && model->uses_flat_trees());
  const FlatTrees& flat = *model->flat_trees();
  EXPECT_GT(flat.heap_trees().num_wide_trees(), 0u);
  EXPECT_LT(flat.heap_trees().num_trees(), flat.num_trees());
  FeatureMatrix x = Probe(p);
  ExpectSamePredictions(*model, *Reference(*model, p), x);
}

TEST(FlatTreesTest, DeepTreesAndOneLeafTrees) {
  Problem p = Mixed(Regression(), 600, 21);
  auto deep = TrainFlat(p, 10, 0);  // no depth limit
  ASSERT_TRUE(deep && deep->uses_flat_trees());
  // Some are deeper than the layout holds.
  EXPECT_LT(deep->flat_trees()->heap_trees().num_trees(), 10u);
  ExpectSamePredictions(*deep, *Reference(*deep, p), Probe(p));
  auto stumps = TrainFlat(p, 5, 1);
  ASSERT_TRUE(stumps && stumps->uses_flat_trees());
  ExpectSamePredictions(*stumps, *Reference(*stumps, p), Probe(p));
}

TEST(FlatTreesTest, ImportedModelPredictsAsXgboostDoes) {
  auto python = testing::LoadPythonModel();
  ASSERT_TRUE(python) << python.error().message();
  auto model =
      ImportXgboostModel(python->bytes, "import_regression.json", python->schema, python->target);
  ASSERT_TRUE(model) << model.error().message();
  const auto* gbdt = dynamic_cast<const GbdtModel*>(model->get());
  ASSERT_TRUE(gbdt && gbdt->uses_flat_trees());
  auto reference = Reference(**model, {python->schema, FeatureMatrix(), {}, python->target});
  ASSERT_TRUE(reference);
  const core::Table* rows = &python->rows;
  auto x = python->schema.Encode(*rows);
  ASSERT_TRUE(x) << x.error().message();
  ExpectSamePredictions(**model, *reference, *x);
  // And as xgboost-python predicted them.
  std::vector<float> got(x->num_rows());
  ASSERT_TRUE((*model)->Predict(*x, got, 1));
  auto want = rows->column(*rows->FindColumn("xgboost_prediction")).values();
  for (size_t r = 0; r < got.size(); ++r) ExpectClose(got[r], static_cast<float>(want[r]), "");
}

// A model document with one tree: a categorical split of feature 0 on {1, 40} (bit set of two
// words), missing values right, leaves -1 (left) and +1 (right); base_score 0.5.
nlohmann::json OneSplit(const std::string& objective) {
  nlohmann::json tree = {
      {"left_children", {1, -1, -1}}, {"right_children", {2, -1, -1}},
      {"split_indices", {0, 0, 0}},   {"split_type", {1, 0, 0}},
      {"default_left", {0, 0, 0}},    {"split_conditions", {0.0, -1.0, 1.0}},
      {"categories_nodes", {0}},      {"categories_segments", {0}},
      {"categories_sizes", {2}},      {"categories", {1, 40}},
  };
  return {
      {"learner",
       {{"learner_model_param", {{"base_score", "5E-1"}, {"num_class", "0"}, {"num_feature", "1"}}},
        {"objective", {{"name", objective}}},
        {"gradient_booster",
         {{"name", "gbtree"}, {"model", {{"tree_info", {0}}, {"trees", {tree}}}}}}}}};
}

// What libxgboost 1.7.4's in-place prediction does (the Mixed problems above compare every
// such case with XGBoost itself).
TEST(FlatTreesTest, CategoricalDecisionFollowsXgboost17) {
  auto flat = FlatTrees::Build(OneSplit("reg:squarederror"), 1);
  ASSERT_TRUE(flat) << flat.error().message();
  auto predict = [&](float x) {
    float out = 0;
    flat->PredictRow(&x, &out);
    return out;
  };
  EXPECT_EQ(predict(1), 1.5f);      // in the set: right
  EXPECT_EQ(predict(40), 1.5f);     // in the set: right
  EXPECT_EQ(predict(1.7f), 1.5f);   // truncated to 1
  EXPECT_EQ(predict(0), -0.5f);     // not in the set: left
  EXPECT_EQ(predict(63), -0.5f);    // inside the 64-bit set, not in it: left
  EXPECT_EQ(predict(64), -0.5f);    // past the bit set: left, as if not in the set
  EXPECT_EQ(predict(-1), -0.5f);    // invalid: left
  EXPECT_EQ(predict(kInf), -0.5f);  // invalid: left
  EXPECT_EQ(predict(3e7f), -0.5f);  // past 2^24: left
  EXPECT_EQ(predict(kNaN), 1.5f);   // missing: the default side
}

TEST(FlatTreesTest, RefusesWhatItDoesNotHandle) {
  auto logistic = FlatTrees::Build(OneSplit("reg:logistic"), 1);
  ASSERT_FALSE(logistic);
  EXPECT_EQ(logistic.error().code(), ErrorCode::kUnsupported);
  EXPECT_THAT(logistic.error().message(), HasSubstr("the objective 'reg:logistic'"));

  nlohmann::json swapped = OneSplit("reg:squarederror");
  nlohmann::json& tree = swapped["learner"]["gradient_booster"]["model"]["trees"][0];
  tree["split_type"] = {0, 0, 0};
  tree["categories_nodes"] = tree["categories_segments"] = tree["categories_sizes"] =
      tree["categories"] = nlohmann::json::array();
  tree["left_children"] = {2, -1, -1};
  tree["right_children"] = {1, -1, -1};
  auto refused = FlatTrees::Build(swapped, 1);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kUnsupported);

  nlohmann::json bad = OneSplit("reg:squarederror");
  bad["learner"]["gradient_booster"]["model"]["trees"][0]["left_children"] = {1, 1, -1};
  auto invalid = FlatTrees::Build(bad, 1);
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().code(), ErrorCode::kInvalidData);
  EXPECT_FALSE(FlatTrees::Build(OneSplit("reg:squarederror"), 2));  // num_feature differs
}

}  // namespace
}  // namespace hone::learn::xgb
