#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <numeric>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/learn/xgb/model_envelope.h"
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
using xgb::testing::RSquared;
using xgb::testing::Slice;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

ParamValues Params(const std::vector<std::pair<std::string, std::string>>& assignments = {}) {
  auto values = GbdtTrainer().params().Resolve(assignments);
  EXPECT_TRUE(values) << values.error().message();
  return *values;
}

std::unique_ptr<Model> Train(const Problem& p, const ParamValues& params,
                             TrainOptions options = {.threads = 1}) {
  auto model = GbdtTrainer().Train(p.data(), params, options);
  EXPECT_TRUE(model) << model.error().message();
  return model ? std::move(*model) : nullptr;
}

// A valid gbdt envelope header for `p`, to wrap bytes that are not a model.
nlohmann::json GbdtHeader(const Problem& p) {
  nlohmann::json header = xgb::BasicHeader("gbdt", p.schema, p.target);
  header["categories_without_rows"] = std::vector<std::vector<int>>(p.schema.size());
  return header;
}

// y = sin(3 x0) + x1² + 0.5 x2 + noise; x3 is irrelevant.
Problem Smooth(size_t n, uint64_t seed) {
  return Make({Numeric("x0"), Numeric("x1"), Numeric("x2"), Numeric("x3")}, Regression(), n, seed,
              [](core::Rng& rng, std::vector<float>& row) {
                for (float& v : row) v = static_cast<float>(2 * rng.Uniform() - 1);
                return static_cast<float>(std::sin(3 * row[0]) + row[1] * row[1] + 0.5 * row[2] +
                                          0.05 * Normal(rng));
              });
}

// Class 1 with probability sigmoid(4 x0 - 3 x1² + 1), with a categorical nuisance feature.
Problem Binary(size_t n, uint64_t seed) {
  return Make({Numeric("x0"), Numeric("x1"), Categorical("c", 5)}, Classes(2), n, seed,
              [](core::Rng& rng, std::vector<float>& row) {
                row[0] = static_cast<float>(2 * rng.Uniform() - 1);
                row[1] = static_cast<float>(2 * rng.Uniform() - 1);
                row[2] = static_cast<float>(rng.Below(5));
                double logit = 4 * row[0] - 3 * row[1] * row[1] + 1;
                return rng.Uniform() < 1 / (1 + std::exp(-logit)) ? 1.0f : 0.0f;
              });
}

// Three classes by region of the plane.
Problem ThreeClasses(size_t n, uint64_t seed) {
  return Make({Numeric("x0"), Numeric("x1")}, Classes(3), n, seed,
              [](core::Rng& rng, std::vector<float>& row) {
                row[0] = static_cast<float>(2 * rng.Uniform() - 1);
                row[1] = static_cast<float>(2 * rng.Uniform() - 1);
                if (row[0] * row[0] + row[1] * row[1] < 0.35) return 0.0f;
                return row[0] > row[1] ? 1.0f : 2.0f;
              });
}

// y depends only on a 10-level category, in an order unrelated to the category index.
Problem CategoryEffect(size_t n, uint64_t seed, core::ColumnType type) {
  FeatureInfo city = Categorical("city", 10);
  if (type == core::ColumnType::kNumeric) city = Numeric("city");
  return Make({city, Numeric("noise")}, Regression(), n, seed,
              [](core::Rng& rng, std::vector<float>& row) {
                static constexpr float kEffect[10] = {3, 7, 1, 9, 0, 5, 2, 8, 4, 6};
                size_t c = rng.Below(10);
                row[0] = static_cast<float>(c);
                row[1] = static_cast<float>(rng.Uniform());
                return kEffect[c] + static_cast<float>(0.1 * Normal(rng));
              });
}

TEST(GbdtTrainerTest, RegressionLearnsNonlinearFunction) {
  Problem all = Smooth(3000, 1);
  Problem train = Slice(all, 0, 2000), test = Slice(all, 2000, 3000);
  auto model = Train(train, Params());
  ASSERT_TRUE(model);
  EXPECT_EQ(model->num_outputs(), 1u);
  EXPECT_GT(RSquared(PredictAll(*model, test), test.y), 0.9);
}

TEST(GbdtTrainerTest, ImportanceIsTheShareOfSplitGain) {
  auto model = Train(Smooth(2000, 15), Params({{"n_estimators", "30"}}));
  ASSERT_TRUE(model);
  std::vector<double> importance = model->FeatureImportance();
  ASSERT_EQ(importance.size(), 4u);
  EXPECT_NEAR(std::accumulate(importance.begin(), importance.end(), 0.0), 1.0, 1e-9);
  EXPECT_GT(importance[0], 0.3);   // sin(3 x0), the largest effect
  EXPECT_LT(importance[3], 0.02);  // x3 is noise
}

TEST(GbdtTrainerTest, BinaryGivesTwoProbabilities) {
  Problem all = Binary(3000, 2);
  Problem train = Slice(all, 0, 2000), test = Slice(all, 2000, 3000);
  auto model = Train(train, Params({{"n_estimators", "50"}, {"max_depth", "3"}}));
  ASSERT_TRUE(model);
  ASSERT_EQ(model->num_outputs(), 2u);
  std::vector<float> probs = PredictAll(*model, test);
  for (size_t i = 0; i < test.y.size(); ++i) {
    EXPECT_NEAR(probs[2 * i] + probs[2 * i + 1], 1.0f, 1e-6);
    EXPECT_GE(probs[2 * i + 1], 0.0f);
  }
  // The Bayes rate of this problem is about 0.84.
  EXPECT_GT(Accuracy(probs, test.y, 2), 0.78);
}

TEST(GbdtTrainerTest, MulticlassLearnsRegions) {
  Problem all = ThreeClasses(3000, 3);
  Problem train = Slice(all, 0, 2000), test = Slice(all, 2000, 3000);
  auto model = Train(train, Params());
  ASSERT_TRUE(model);
  ASSERT_EQ(model->num_outputs(), 3u);
  std::vector<float> probs = PredictAll(*model, test);
  for (size_t i = 0; i < test.y.size(); ++i) {
    EXPECT_NEAR(probs[3 * i] + probs[3 * i + 1] + probs[3 * i + 2], 1.0f, 1e-5);
  }
  EXPECT_GT(Accuracy(probs, test.y, 3), 0.93);
}

// XGBoost 1.7 honours the "c" feature type through the C API: shallow trees split the
// categories into any two groups, which a threshold on the codes cannot do.
TEST(GbdtTrainerTest, NativeCategoricalSplitsBeatCodesAsNumbers) {
  ParamValues shallow = Params({{"n_estimators", "10"}, {"max_depth", "2"}});
  auto r2 = [&](core::ColumnType type) {
    Problem all = CategoryEffect(3000, 4, type);
    Problem train = Slice(all, 0, 2000), test = Slice(all, 2000, 3000);
    auto model = Train(train, shallow);
    return model ? RSquared(PredictAll(*model, test), test.y) : -1.0;
  };
  double native = r2(core::ColumnType::kCategorical);
  double codes = r2(core::ColumnType::kNumeric);
  EXPECT_GT(native, 0.99);
  EXPECT_LT(codes, native - 0.1);
}

TEST(GbdtTrainerTest, LearnsWhereValuesAreMissing) {
  // x0 is missing in a third of the rows, where y is 5; elsewhere y = x0.
  Problem p = Make({Numeric("x0"), Numeric("x1")}, Regression(), 2000, 5,
                   [](core::Rng& rng, std::vector<float>& row) {
                     row[1] = static_cast<float>(rng.Uniform());
                     row[0] = rng.Below(3) == 0 ? kNaN : static_cast<float>(rng.Uniform());
                     return std::isnan(row[0]) ? 5.0f : row[0];
                   });
  auto model = Train(p, Params());
  ASSERT_TRUE(model);
  float out = 0;
  ASSERT_TRUE(model->PredictRow(std::vector<float>{kNaN, 0.5f}, {&out, 1}));
  EXPECT_NEAR(out, 5.0, 0.05);
  ASSERT_TRUE(model->PredictRow(std::vector<float>{0.25f, kNaN}, {&out, 1}));
  EXPECT_NEAR(out, 0.25, 0.05);
}

TEST(GbdtTrainerTest, UnseenCategoriesPredictLikeMissing) {
  // The schema has 12 categories; training sees 10. Unseen ones arrive as NaN, or (present in
  // the schema but not in training) as an index no split knows.
  Problem p = CategoryEffect(2000, 6, core::ColumnType::kCategorical);
  std::vector<FeatureInfo> features = p.schema.features();
  features[0] = Categorical("city", 12);
  p.schema = FeatureSchema(features);
  auto model = Train(p, Params());
  ASSERT_TRUE(model);
  float missing = 0, unknown = 0, seen = 0;
  ASSERT_TRUE(model->PredictRow(std::vector<float>{kNaN, 0.5f}, {&missing, 1}));
  ASSERT_TRUE(model->PredictRow(std::vector<float>{11.0f, 0.5f}, {&unknown, 1}));
  ASSERT_TRUE(model->PredictRow(std::vector<float>{3.0f, 0.5f}, {&seen, 1}));
  EXPECT_TRUE(std::isfinite(missing));
  EXPECT_FLOAT_EQ(unknown, missing);
  // The batch path agrees, and so does a loaded model.
  Problem rows = Slice(p, 0, 600);
  rows.x.mutable_column(0)[5] = 10.0f;
  rows.x.mutable_column(0)[6] = kNaN;
  rows.x.mutable_column(1)[5] = rows.x.mutable_column(1)[6] = 0.5f;
  std::vector<float> batch = PredictAll(*model, rows, 2);
  EXPECT_FLOAT_EQ(batch[5], batch[6]);
  auto loaded = GbdtTrainer().Load(model->Serialize().value(), p.schema, p.target);
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(PredictAll(**loaded, rows), batch);
  EXPECT_NEAR(seen, 9.0, 0.2);
}

TEST(GbdtTrainerTest, SerializeLoadRoundTripPredictsIdentically) {
  for (const Problem& p : {Smooth(1000, 7), Binary(1000, 7), ThreeClasses(1000, 7)}) {
    auto model = Train(p, Params({{"n_estimators", "20"}}));
    ASSERT_TRUE(model);
    auto bytes = model->Serialize();
    ASSERT_TRUE(bytes) << bytes.error().message();
    auto loaded = GbdtTrainer().Load(*bytes, p.schema, p.target);
    ASSERT_TRUE(loaded) << loaded.error().message();
    EXPECT_EQ(PredictAll(*model, p), PredictAll(**loaded, p));
    std::vector<float> a(model->num_outputs()), b(model->num_outputs());
    ASSERT_TRUE(model->PredictRow(p.Row(17), a));
    ASSERT_TRUE((*loaded)->PredictRow(p.Row(17), b));
    EXPECT_EQ(a, b);
    EXPECT_EQ((*loaded)->Serialize().value(), *bytes);
  }
}

TEST(GbdtTrainerTest, LoadRejectsBadBytesAndMismatches) {
  Problem p = Binary(500, 8);
  auto model = Train(p, Params({{"n_estimators", "5"}}));
  ASSERT_TRUE(model);
  std::string bytes = model->Serialize().value();
  auto fails = [&](std::string_view b, const FeatureSchema& s, const TargetInfo& t) {
    auto r = GbdtTrainer().Load(b, s, t);
    return r ? std::string("loaded") : r.error().message();
  };
  EXPECT_THAT(fails("", p.schema, p.target), HasSubstr("not a hone XGBoost model"));
  EXPECT_THAT(fails(std::string(5000, 'x'), p.schema, p.target), HasSubstr("gbdt model"));
  EXPECT_THAT(fails(bytes.substr(0, bytes.size() / 2), p.schema, p.target), HasSubstr("checksum"));
  std::string flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x10;
  EXPECT_THAT(fails(flipped, p.schema, p.target), HasSubstr("checksum"));
  EXPECT_THAT(fails(bytes, p.schema, Classes(3)), HasSubstr("task binary"));
  EXPECT_THAT(fails(bytes, FeatureSchema({Numeric("x0"), Numeric("x1")}), p.target),
              HasSubstr("3 features but the schema has 2"));
  EXPECT_THAT(fails(bytes, FeatureSchema({Numeric("x0"), Numeric("x1"), Numeric("c")}), p.target),
              HasSubstr("feature 'c' has a different type"));
  std::string bad_payload = xgb::WriteEnvelope(GbdtHeader(p), "{\"learner\": 1}");
  EXPECT_THAT(fails(bad_payload, p.schema, p.target),
              HasSubstr("xgboost: loading the model failed: not UBJSON"));
  EXPECT_EQ(fails(bytes, p.schema, p.target), "loaded");
}

TEST(GbdtTrainerTest, ParamTableRejectsUnknownAndOutOfRange) {
  const ParamTable& table = GbdtTrainer().params();
  auto unknown = table.Resolve({{"n_trees", "10"}});
  ASSERT_FALSE(unknown);
  EXPECT_THAT(unknown.error().message(), HasSubstr("n_estimators"));
  auto range = table.Resolve({{"subsample", "0"}});
  ASSERT_FALSE(range);
  EXPECT_THAT(range.error().message(), HasSubstr("subsample"));
}

TEST(GbdtTrainerTest, RejectsLabelsThatAreNotClasses) {
  Problem p = ThreeClasses(200, 10);
  p.y[7] = 3;
  auto model = GbdtTrainer().Train(p.data(), Params(), {.threads = 1});
  ASSERT_FALSE(model);
  EXPECT_THAT(model.error().message(), HasSubstr("gbdt: label 3 of row 8 is not a class index"));
}

TEST(GbdtTrainerTest, SameSeedSameBytes) {
  // Two threads: the same thread count must give the same bytes. (Kept small: OpenMP's
  // spinning threads crawl when the machine is busy, see PITFALLS.md.)
  Problem p = Binary(600, 11);
  ParamValues sampled = Params({{"n_estimators", "8"},
                                {"max_depth", "4"},
                                {"subsample", "0.7"},
                                {"colsample_bynode", "0.5"}});
  auto bytes = [&](uint64_t seed) {
    auto model = Train(p, sampled, {.threads = 2, .seed = seed});
    return model ? model->Serialize().value() : std::string();
  };
  std::string first = bytes(5);
  EXPECT_EQ(first, bytes(5));
  EXPECT_NE(first, bytes(6));
}

TEST(GbdtTrainerTest, PredictIsThreadSafeAndThreadCountFree) {
  Problem p = ThreeClasses(2000, 12);
  auto model = Train(p, Params({{"n_estimators", "30"}}));
  ASSERT_TRUE(model);
  std::vector<float> expected = PredictAll(*model, p, 1);
  EXPECT_EQ(PredictAll(*model, p, 4), expected);

  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      std::vector<float> out(3);
      for (size_t r = static_cast<size_t>(t); r < p.y.size(); r += 7) {
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

TEST(GbdtTrainerTest, PredictChecksShapes) {
  Problem p = Smooth(200, 13);
  auto model = Train(p, Params({{"n_estimators", "3"}}));
  ASSERT_TRUE(model);
  float out[2];
  auto r = model->PredictRow(std::vector<float>{1, 2, 3}, {out, 1});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("needs 4 features"));
  EXPECT_FALSE(model->Predict(p.x, {out, 2}, 1));
}

TEST(GbdtTrainerTest, PrintsNothing) {
  Problem p = Binary(300, 14);
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  auto model = GbdtTrainer().Train(p.data(), Params({{"n_estimators", "5"}}), {.threads = 1});
  std::thread other([&] {
    std::vector<float> out(2);
    if (model) (void)(*model)->PredictRow(p.Row(0), out);
    (void)GbdtTrainer().Load(xgb::WriteEnvelope(GbdtHeader(p), "garbage"), p.schema, p.target);
  });
  other.join();
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
  EXPECT_TRUE(model);
}

}  // namespace
}  // namespace hone::learn
