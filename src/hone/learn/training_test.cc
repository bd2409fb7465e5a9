#include "hone/learn/training.h"

#include <cmath>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/core/random.h"
#include "hone/learn/evaluate.h"
#include "hone/learn/split.h"

namespace hone::learn {
namespace {

using core::Column;
using core::Table;
using ::testing::HasSubstr;

// price = 100 * size + district effect + noise; every 20th price missing; a day column.
Table Houses(size_t n, uint64_t seed) {
  core::Rng rng(seed);
  std::vector<float> size(n), price(n), day(n);
  std::vector<int32_t> district(n);
  const float effect[] = {0, 5000, -3000};
  for (size_t i = 0; i < n; ++i) {
    size[i] = static_cast<float>(50 + rng.Uniform() * 150);
    district[i] = static_cast<int32_t>(rng.Below(3));
    day[i] = static_cast<float>(i % 365);
    price[i] = i % 20 == 7
                   ? NAN
                   : 100 * size[i] + effect[district[i]] + static_cast<float>(rng.Uniform() * 500);
  }
  std::vector<Column> cols;
  cols.push_back(Column::Numeric("size", size));
  cols.push_back(Column::Categorical("district", district, {"north", "south", "east"}));
  cols.push_back(Column::Numeric("day", day));
  cols.push_back(Column::Numeric("price", price));
  return *Table::Create(std::move(cols));
}

// label "good" when x > 0.5, "bad" otherwise.
Table Labels(size_t n, uint64_t seed) {
  core::Rng rng(seed);
  std::vector<float> x(n);
  std::vector<int32_t> label(n);
  for (size_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(rng.Uniform());
    label[i] = x[i] > 0.5f ? 1 : 0;
  }
  std::vector<Column> cols;
  cols.push_back(Column::Numeric("x", x));
  cols.push_back(Column::Categorical("label", label, {"bad", "good"}));
  return *Table::Create(std::move(cols));
}

TrainRequest Request(std::string target) {
  TrainRequest r;
  r.target = std::move(target);
  r.params = {{"n_estimators", "20"}};
  r.threads = 2;
  return r;
}

double Metric(const MetricList& m, const std::string& name) {
  for (const auto& [k, v] : m) {
    if (k == name) return v;
  }
  ADD_FAILURE() << "no metric " << name;
  return NAN;
}

TEST(TrainingTest, RegressionEndToEnd) {
  Table t = Houses(1000, 1);
  auto out = TrainOnTable(t, Request("price"));
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->evaluated_on, "test");
  EXPECT_EQ(out->rows_dropped, 50u);
  EXPECT_EQ(out->rows_test, 190u);  // ceil(0.2 * 950)
  EXPECT_EQ(out->rows_train, 760u);
  EXPECT_GT(Metric(out->metrics, "r2"), 0.9);
  const Bundle& b = out->bundle;
  EXPECT_EQ(b.model_kind, "random_forest");
  EXPECT_EQ(b.target.task, Task::kRegression);
  EXPECT_EQ(b.features.size(), 3u);
  EXPECT_TRUE(b.metrics["test"].contains("rmse"));
  EXPECT_EQ(b.training["train_rows"], 760);
  EXPECT_EQ(b.params["n_estimators"], 20);
  EXPECT_EQ(b.profile["columns"].size(), 4u);  // 3 features and the target
  EXPECT_EQ(b.feature_importance.size(), 3u);
  EXPECT_GT(b.feature_importance["size"].get<double>(), 0.5);
}

TEST(TrainingTest, SameRequestSameBundleBytes) {
  Table t = Houses(400, 2);
  auto a = TrainOnTable(t, Request("price"));
  auto b = TrainOnTable(t, Request("price"));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(EncodeBundle(a->bundle), EncodeBundle(b->bundle));
  TrainRequest other = Request("price");
  other.seed = 7;
  auto c = TrainOnTable(t, other);
  ASSERT_TRUE(c);
  EXPECT_NE(EncodeBundle(a->bundle), EncodeBundle(c->bundle));
}

TEST(TrainingTest, ClassificationWithStratifiedSplitAndCrossValidation) {
  Table t = Labels(600, 3);
  TrainRequest r = Request("label");
  r.split.kind = SplitSpec::Kind::kStratified;
  r.cv_folds = 3;
  auto out = TrainOnTable(t, r);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->bundle.target.task, Task::kBinary);
  EXPECT_GT(Metric(out->metrics, "accuracy"), 0.95);
  ASSERT_TRUE(out->cv);
  EXPECT_EQ(out->cv->per_fold.size(), 3u);
  EXPECT_EQ(out->bundle.metrics["cv"]["folds"], 3);
  EXPECT_GT(out->bundle.metrics["cv"]["mean"]["roc_auc"].get<double>(), 0.95);
}

TEST(TrainingTest, NoTestSplitReportsCrossValidationOrTraining) {
  Table t = Labels(300, 4);
  TrainRequest r = Request("label");
  r.test_size = 0;
  auto out = TrainOnTable(t, r);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->evaluated_on, "train");
  EXPECT_EQ(out->rows_train, 300u);
  r.cv_folds = 2;
  out = TrainOnTable(t, r);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->evaluated_on, "cv");
}

TEST(TrainingTest, TimeSplitHoldsOutTheLatestRowsAndDropsTheTimeColumn) {
  Table t = Houses(730, 5);
  TrainRequest r = Request("price");
  r.split = *ParseSplitSpec("time:day");
  auto out = TrainOnTable(t, r);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->bundle.features.size(), 2u);
  EXPECT_EQ(out->bundle.training["split"], "time:day");
  EXPECT_GE(out->rows_test, TestCount(out->rows_train + out->rows_test, 0.2));
}

TEST(TrainingTest, IgnoredColumnsAreNotFeatures) {
  TrainRequest r = Request("price");
  r.ignore = {"day", "district"};
  auto out = TrainOnTable(Houses(200, 6), r);
  ASSERT_TRUE(out);
  ASSERT_EQ(out->bundle.features.size(), 1u);
  EXPECT_EQ(out->bundle.features.features()[0].name, "size");
}

TEST(TrainingTest, BadRequestsNameWhatIsWrong) {
  Table t = Houses(100, 7);
  auto expect_error = [&](TrainRequest r, const std::string& text) {
    auto out = TrainOnTable(t, r);
    ASSERT_FALSE(out) << "expected an error containing: " << text;
    EXPECT_THAT(out.error().message(), HasSubstr(text));
  };
  expect_error(Request("cost"),
               "target column 'cost' is not in the data; columns: size, "
               "district, day, price");
  TrainRequest r = Request("price");
  r.model = "svm";
  expect_error(r, "unknown model 'svm'; known: random_forest, gbdt, linear");
  r = Request("price");
  r.params = {{"depth", "3"}};
  expect_error(r, "unknown parameter 'depth'");
  r = Request("price");
  r.split.kind = SplitSpec::Kind::kStratified;
  expect_error(r, "needs a classification target");
  r = Request("price");
  r.split = *ParseSplitSpec("time:when");
  expect_error(r, "time column 'when' is not in the data");
  r = Request("price");
  r.test_size = 1;
  expect_error(r, "--test-size must be in [0, 1)");
  r = Request("price");
  r.cv_folds = 1;
  expect_error(r, "--cv must be 0");
  r = Request("price");
  r.ignore = {"nope"};
  expect_error(r, "ignored column 'nope'");
  r = Request("district");
  r.task = TaskRequest::kRegression;
  expect_error(r, "is not numeric");
  EXPECT_FALSE(ParseSplitSpec("chronological"));
}

TEST(TrainingTest, EveryModelKindRefusesInputOfTheWrongShape) {
  for (const char* kind : {"random_forest", "gbdt", "linear"}) {
    TrainRequest r;
    r.target = "label";
    r.model = kind;
    r.threads = 1;
    auto trained = TrainOnTable(Labels(200, 3), r);
    ASSERT_TRUE(trained.has_value()) << kind << ": " << trained.error().message();
    const Model& model = *trained->model;
    ASSERT_EQ(model.num_outputs(), 2u) << kind;
    std::vector<float> wide_row(2, 0.5f), out(2);
    auto row = model.PredictRow(wide_row, out);
    ASSERT_FALSE(row.has_value()) << kind;
    EXPECT_EQ(row.error().message(),
              std::string(kind) +
                  ": predicting needs 1 features and 2 outputs per row; got 2 features and room "
                  "for 2 values for 1 rows");
    FeatureMatrix x(3, 1);
    std::vector<float> short_out(5);
    auto batch = model.Predict(x, short_out, 1);
    ASSERT_FALSE(batch.has_value()) << kind;
    EXPECT_THAT(batch.error().message(), HasSubstr("room for 5 values for 3 rows")) << kind;
  }
}

TEST(TrainingTest, EvaluateAndPredictWithTheTrainedModel) {
  Table t = Labels(400, 8);
  auto out = TrainOnTable(t, Request("label"));
  ASSERT_TRUE(out);
  LoadedModel loaded{out->bundle, std::move(out->model), ""};
  auto eval = EvaluateOnTable(loaded, Labels(200, 9), 1);
  ASSERT_TRUE(eval) << eval.error().message();
  EXPECT_EQ(eval->rows, 200u);
  EXPECT_GT(Metric(eval->metrics, "accuracy"), 0.95);

  auto no_target = EvaluateOnTable(loaded, Labels(10, 9).Drop("label"), 1);
  ASSERT_FALSE(no_target);
  EXPECT_THAT(no_target.error().message(), HasSubstr("no target column 'label'"));

  auto outputs = PredictTable(*loaded.model, loaded.bundle.features, Labels(5, 10), 1);
  ASSERT_TRUE(outputs);
  auto table = PredictionTable(loaded.bundle.target, *outputs, true);
  ASSERT_TRUE(table);
  EXPECT_EQ(table->num_columns(), 3u);
  EXPECT_EQ(table->column(1).name(), "proba_bad");
  auto regression = PredictionTable({"y", Task::kRegression, {}}, std::vector<float>{1.0f}, true);
  ASSERT_FALSE(regression);
  EXPECT_THAT(regression.error().message(), HasSubstr("--proba needs a classification model"));
}

}  // namespace
}  // namespace hone::learn
