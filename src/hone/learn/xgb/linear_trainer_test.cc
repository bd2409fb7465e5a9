#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/learn/xgb/test_problems.h"
#include "hone/learn/xgb/xgb_trainers.h"

namespace hone::learn {
namespace {

using ::testing::HasSubstr;
using xgb::testing::Accuracy;
using xgb::testing::Categorical;
using xgb::testing::Classes;
using xgb::testing::Make;
using xgb::testing::Normal;
using xgb::testing::Numeric;
using xgb::testing::PredictAll;
using xgb::testing::Problem;
using xgb::testing::Regression;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

ParamValues Params(const std::vector<std::pair<std::string, std::string>>& assignments = {}) {
  auto values = LinearTrainer().params().Resolve(assignments);
  EXPECT_TRUE(values) << values.error().message();
  return *values;
}

std::unique_ptr<Model> Train(const Problem& p, const ParamValues& params = Params(),
                             TrainOptions options = {.threads = 1}) {
  auto model = LinearTrainer().Train(p.data(), params, options);
  EXPECT_TRUE(model) << model.error().message();
  return model ? std::move(*model) : nullptr;
}

// The margin (regression value, or logit of class 1) at one row.
double Margin(const Model& model, const std::vector<float>& row) {
  std::vector<float> out(model.num_outputs());
  EXPECT_TRUE(model.PredictRow(row, out));
  if (out.size() == 1) return out[0];
  return std::log(static_cast<double>(out[1]) / out[0]);
}

// Intercept and coefficients on the original scale: margins at 0 and at each unit vector.
std::vector<double> Coefficients(const Model& model, size_t features) {
  std::vector<float> row(features, 0.0f);
  double intercept = Margin(model, row);
  std::vector<double> out = {intercept};
  for (size_t j = 0; j < features; ++j) {
    row[j] = 1;
    out.push_back(Margin(model, row) - intercept);
    row[j] = 0;
  }
  return out;
}

// The problem testdata/linear_reference.py fits with scikit-learn; keep the two in step.
enum class Label { kRegression, kBinary, kMulticlass };
Problem ReferenceProblem(Label label) {
  TargetInfo target = label == Label::kRegression ? Regression()
                      : label == Label::kBinary   ? Classes(2)
                                                  : Classes(3);
  size_t i = 0;
  return Make({Numeric("x0"), Numeric("x1"), Numeric("x2"), Numeric("x3")}, target, 400, 0,
              [&](core::Rng&, std::vector<float>& row) {
                double k = static_cast<double>(i++);
                row[0] = static_cast<float>(std::sin(0.7 * k) * 3 + 1);
                row[1] = static_cast<float>(std::cos(1.3 * k) * 10 + 50);
                row[2] = static_cast<float>(std::fmod(k * 37, 101) / 101.0 - 0.5);
                row[3] = static_cast<float>(row[0] * 0.5 + std::sin(2.1 * k));
                double x0 = row[0], x1 = row[1], x2 = row[2], x3 = row[3];
                if (label == Label::kRegression) {
                  return static_cast<float>(2 + 1.5 * x0 - 0.2 * x1 + 4 * x2 + 0.5 * x3 +
                                            0.3 * std::sin(5.3 * k));
                }
                if (label == Label::kBinary) {
                  double score =
                      0.8 * x0 - 0.1 * (x1 - 50) + 3 * x2 + 1.5 * std::sin(3.7 * k + 0.3);
                  return score > 0 ? 1.0f : 0.0f;
                }
                double s1 = x0 - x2 * 2 + std::sin(1.7 * k);
                double s2 = -0.5 * x0 + 0.1 * (x1 - 50) + std::sin(4.1 * k);
                return s1 > 0 && s1 >= s2 ? 1.0f : (s2 > 0 ? 2.0f : 0.0f);
              });
}

// Values printed by testdata/linear_reference.py (scikit-learn 1.2.1).
constexpr double kRidge[] = {1.98514343, 1.49593116, -0.199703712, 3.98901024, 0.505153491};
constexpr double kLogistic[] = {11.8027014, 0.948247485, -0.226275935, 3.85097805, 0.634537159};
constexpr double kSoftmaxRows0To2[] = {0.00372000414,  0.960957023, 0.0353229729,
                                       0.000404897883, 0.999379488, 0.000215614157,
                                       0.000631085901, 0.999363256, 5.65801313e-06};

TEST(LinearTrainerTest, RidgeMatchesScikitLearn) {
  auto model = Train(ReferenceProblem(Label::kRegression));
  ASSERT_TRUE(model);
  std::vector<double> c = Coefficients(*model, 4);
  for (size_t k = 0; k < c.size(); ++k) EXPECT_NEAR(c[k], kRidge[k], 1e-3) << "coefficient " << k;
}

TEST(LinearTrainerTest, LogisticMatchesScikitLearn) {
  auto model = Train(ReferenceProblem(Label::kBinary));
  ASSERT_TRUE(model);
  ASSERT_EQ(model->num_outputs(), 2u);
  std::vector<double> c = Coefficients(*model, 4);
  for (size_t k = 0; k < c.size(); ++k) {
    EXPECT_NEAR(c[k], kLogistic[k], 2e-3 * (1 + std::abs(kLogistic[k]))) << "coefficient " << k;
  }
}

TEST(LinearTrainerTest, SoftmaxMatchesScikitLearn) {
  Problem p = ReferenceProblem(Label::kMulticlass);
  auto model = Train(p);
  ASSERT_TRUE(model);
  ASSERT_EQ(model->num_outputs(), 3u);
  std::vector<float> probs = PredictAll(*model, p);
  for (size_t k = 0; k < std::size(kSoftmaxRows0To2); ++k) {
    EXPECT_NEAR(probs[k], kSoftmaxRows0To2[k], 2e-3) << "value " << k;
  }
  EXPECT_GT(Accuracy(probs, p.y, 3), 0.85);
}

TEST(LinearTrainerTest, RecoversCoefficientsOfALinearModel) {
  // Features on very different scales; standardising makes that irrelevant to convergence.
  Problem p = Make({Numeric("a"), Numeric("b"), Numeric("c")}, Regression(), 2000, 1,
                   [](core::Rng& rng, std::vector<float>& row) {
                     row[0] = static_cast<float>(Normal(rng));
                     row[1] = static_cast<float>(1000 + 200 * Normal(rng));
                     row[2] = static_cast<float>(0.01 * Normal(rng));
                     return static_cast<float>(3 + 2 * row[0] - 0.01 * row[1] + 100 * row[2] +
                                               0.1 * Normal(rng));
                   });
  auto model = Train(p, Params({{"reg_lambda", "0"}}));
  ASSERT_TRUE(model);
  std::vector<double> c = Coefficients(*model, 3);
  EXPECT_NEAR(c[1], 2, 0.01);
  EXPECT_NEAR(c[2], -0.01, 1e-4);
  EXPECT_NEAR(c[3], 100, 1.0);
  EXPECT_NEAR(c[0], 3, 0.1);

  // Contributions' standard deviations are 2, 200 * 0.01 and 0.01 * 100.
  std::vector<double> importance = model->FeatureImportance();
  ASSERT_EQ(importance.size(), 3u);
  EXPECT_NEAR(importance[0], 0.4, 0.01);
  EXPECT_NEAR(importance[1], 0.4, 0.01);
  EXPECT_NEAR(importance[2], 0.2, 0.01);
}

// y = effect[category] + x: one-hot recovers every category's effect.
Problem CategoryProblem(size_t n, size_t levels, uint64_t seed) {
  return Make({Categorical("shop", levels), Numeric("x")}, Regression(), n, seed,
              [levels](core::Rng& rng, std::vector<float>& row) {
                size_t c = rng.Below(levels);
                row[0] = static_cast<float>(c);
                row[1] = static_cast<float>(Normal(rng));
                return static_cast<float>((c * 7 % 10) + row[1] + 0.05 * Normal(rng));
              });
}

TEST(LinearTrainerTest, OneHotLearnsEachCategory) {
  // Without the ridge penalty, which shrinks each effect by about reg_lambda / frequency.
  auto model = Train(CategoryProblem(2000, 10, 2), Params({{"reg_lambda", "0"}}));
  ASSERT_TRUE(model);
  double base = Margin(*model, {0.0f, 0.0f});
  for (size_t c = 1; c < 10; ++c) {
    EXPECT_NEAR(Margin(*model, {static_cast<float>(c), 0.0f}) - base, c * 7 % 10, 0.05)
        << "category " << c;
  }
}

// Missing values and unseen categories are imputed with the training mean: for a category,
// the average of the categories' effects weighted by their training frequencies.
TEST(LinearTrainerTest, CategoricalImportanceIsTheSpreadOfItsEffects) {
  // Effects c * 7 % 10 over 10 equally likely categories: standard deviation sqrt(8.25),
  // against 1 for x.
  auto model = Train(CategoryProblem(4000, 10, 6), Params({{"reg_lambda", "0"}}));
  ASSERT_TRUE(model);
  std::vector<double> importance = model->FeatureImportance();
  ASSERT_EQ(importance.size(), 2u);
  EXPECT_NEAR(importance[0] / importance[1], std::sqrt(8.25), 0.15);
}

TEST(LinearTrainerTest, MissingAndUnseenMeanTheTrainingMean) {
  Problem p = CategoryProblem(2000, 10, 3);
  std::vector<FeatureInfo> features = p.schema.features();
  features[0] = Categorical("shop", 12);  // categories 10 and 11 have no training rows
  p.schema = FeatureSchema(features);
  auto model = Train(p);
  ASSERT_TRUE(model);
  double mean = 0;
  for (float v : p.x.column(1)) mean += v;
  mean /= 2000;
  EXPECT_NEAR(Margin(*model, {4.0f, kNaN}), Margin(*model, {4.0f, static_cast<float>(mean)}), 1e-5);

  double average = 0;
  for (float c : p.x.column(0)) average += Margin(*model, {c, 0.0f}) / 2000;
  double missing = Margin(*model, {kNaN, 0.0f});
  EXPECT_NEAR(missing, average, 1e-4);
  EXPECT_DOUBLE_EQ(Margin(*model, {11.0f, 0.0f}), missing);
  EXPECT_DOUBLE_EQ(Margin(*model, {-3.0f, 0.0f}), missing);
}

TEST(LinearTrainerTest, RareCategoriesShareAColumnBeyondTheCap) {
  auto model = Train(CategoryProblem(2000, 40, 4), Params({{"max_categories", "5"}}));
  ASSERT_TRUE(model);
  std::string bytes = model->Serialize().value();
  // The encoding in the header keeps 5 columns plus the shared one for 40 categories.
  EXPECT_THAT(bytes, HasSubstr("\"columns\":[["));
  auto loaded = LinearTrainer().Load(bytes, CategoryProblem(10, 40, 4).schema, Regression());
  ASSERT_TRUE(loaded) << loaded.error().message();
}

TEST(LinearTrainerTest, SerializeLoadRoundTripPredictsIdentically) {
  for (Label label : {Label::kRegression, Label::kBinary, Label::kMulticlass}) {
    Problem p = ReferenceProblem(label);
    auto model = Train(p, Params({{"n_estimators", "20"}}));
    ASSERT_TRUE(model);
    std::string bytes = model->Serialize().value();
    auto loaded = LinearTrainer().Load(bytes, p.schema, p.target);
    ASSERT_TRUE(loaded) << loaded.error().message();
    EXPECT_EQ(PredictAll(*model, p), PredictAll(**loaded, p));
    EXPECT_EQ((*loaded)->Serialize().value(), bytes);
  }
}

TEST(LinearTrainerTest, LoadRejectsBadBytesAndMismatches) {
  Problem p = CategoryProblem(300, 4, 5);
  auto model = Train(p);
  ASSERT_TRUE(model);
  std::string bytes = model->Serialize().value();
  auto fails = [&](std::string_view b, const FeatureSchema& s, const TargetInfo& t) {
    auto r = LinearTrainer().Load(b, s, t);
    return r ? std::string("loaded") : r.error().message();
  };
  EXPECT_THAT(fails("\x89PNG", p.schema, p.target), HasSubstr("linear model: not a hone"));
  EXPECT_THAT(fails(bytes.substr(0, bytes.size() - 1), p.schema, p.target), HasSubstr("checksum"));
  EXPECT_THAT(fails(bytes, p.schema, Classes(2)), HasSubstr("task regression"));
  EXPECT_THAT(fails(bytes, FeatureSchema({Categorical("shop", 3), Numeric("x")}), p.target),
              HasSubstr("unknown or used twice"));

  // A gbdt model is not a linear one.
  auto trees =
      GbdtTrainer().Train(p.data(), GbdtTrainer().params().Resolve({}).value(), {.threads = 1});
  ASSERT_TRUE(trees);
  EXPECT_THAT(fails((*trees)->Serialize().value(), p.schema, p.target),
              HasSubstr("the bytes hold a 'gbdt' model"));
  EXPECT_EQ(fails(bytes, p.schema, p.target), "loaded");
}

TEST(LinearTrainerTest, ParamsRejectBadValuesAndCombinations) {
  auto negative = LinearTrainer().params().Resolve({{"reg_lambda", "-1"}});
  ASSERT_FALSE(negative);
  EXPECT_THAT(negative.error().message(), HasSubstr("reg_lambda"));
  auto combo = LinearTrainer().Train(
      ReferenceProblem(Label::kRegression).data(),
      Params({{"updater", "shotgun"}, {"feature_selector", "greedy"}}), {.threads = 1});
  ASSERT_FALSE(combo);
  EXPECT_THAT(combo.error().message(), HasSubstr("needs updater coord_descent"));
}

TEST(LinearTrainerTest, EveryUpdaterAndSelectorConverges) {
  Problem p = ReferenceProblem(Label::kRegression);
  for (auto [updater, selector] :
       std::vector<std::pair<std::string, std::string>>{{"shotgun", "cyclic"},
                                                        {"shotgun", "shuffle"},
                                                        {"coord_descent", "shuffle"},
                                                        {"coord_descent", "random"},
                                                        {"coord_descent", "greedy"},
                                                        {"coord_descent", "thrifty"}}) {
    auto model = Train(
        p,
        Params({{"updater", updater}, {"feature_selector", selector}, {"n_estimators", "2000"}}));
    ASSERT_TRUE(model);
    std::vector<double> c = Coefficients(*model, 4);
    for (size_t k = 0; k < c.size(); ++k) {
      EXPECT_NEAR(c[k], kRidge[k], 5e-3) << updater << "/" << selector << " coefficient " << k;
    }
  }
}

TEST(LinearTrainerTest, SameSeedSameBytes) {
  // Two threads: coord_descent sums gradients in parallel, and the same thread count must
  // give the same bytes. (Kept small: OpenMP's spinning threads crawl when the machine is
  // busy, see PITFALLS.md.)
  Problem p = ReferenceProblem(Label::kMulticlass);
  ParamValues shuffled =
      Params({{"feature_selector", "shuffle"}, {"n_estimators", "6"}, {"tolerance", "0"}});
  auto bytes = [&](uint64_t seed) {
    auto model = Train(p, shuffled, {.threads = 2, .seed = seed});
    return model ? model->Serialize().value() : std::string();
  };
  std::string first = bytes(1);
  EXPECT_EQ(first, bytes(1));
  EXPECT_NE(first, bytes(2));
}

TEST(LinearTrainerTest, PredictIsThreadSafeAndThreadCountFree) {
  Problem p = ReferenceProblem(Label::kMulticlass);
  auto model = Train(p);
  ASSERT_TRUE(model);
  std::vector<float> expected = PredictAll(*model, p, 1);
  EXPECT_EQ(PredictAll(*model, p, 3), expected);
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      std::vector<float> out(3);
      for (size_t r = static_cast<size_t>(t); r < p.y.size(); r += 5) {
        if (!model->PredictRow(p.Row(r), out) ||
            !std::equal(out.begin(), out.end(), expected.begin() + 3 * r)) {
          ++mismatches;
        }
      }
      if (PredictAll(*model, p, 2) != expected) ++mismatches;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(LinearTrainerTest, RejectsInfiniteFeatureValues) {
  Problem p = ReferenceProblem(Label::kRegression);
  p.x.mutable_column(2)[9] = std::numeric_limits<float>::infinity();
  auto model = LinearTrainer().Train(p.data(), Params(), {.threads = 1});
  ASSERT_FALSE(model);
  EXPECT_THAT(model.error().message(), HasSubstr("feature 'x2' holds an infinite value (row 10)"));
}

}  // namespace
}  // namespace hone::learn
