#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/core/random.h"
#include "hone/learn/forest/forest_model.h"
#include "hone/learn/forest/forest_trainer.h"

namespace hone::learn {
namespace {

using ::testing::HasSubstr;

struct Data {
  FeatureSchema schema;
  FeatureMatrix x;
  std::vector<float> y;
  TargetInfo target;
};

// y = sin(x0) * 3 + x1^2 + city effect, with 5% of x0 missing (the effect then is 0).
Data Regression(size_t n, uint64_t seed) {
  core::Rng rng(seed);
  Data d{FeatureSchema({{"x0", core::ColumnType::kNumeric, {}},
                        {"x1", core::ColumnType::kNumeric, {}},
                        {"city", core::ColumnType::kCategorical, {"a", "b", "c", "d", "e"}}}),
         FeatureMatrix(n, 3), std::vector<float>(n), TargetInfo{"y", Task::kRegression, {}}};
  const float effect[] = {0, 4, -2, 6, 1};  // not monotone in the category index
  for (size_t i = 0; i < n; ++i) {
    float x0 = static_cast<float>(rng.Uniform() * 6 - 3);
    float x1 = static_cast<float>(rng.Uniform() * 4 - 2);
    auto c = static_cast<size_t>(rng.Below(5));
    bool missing = rng.Uniform() < 0.05;
    d.x.mutable_column(0)[i] = missing ? NAN : x0;
    d.x.mutable_column(1)[i] = x1;
    d.x.mutable_column(2)[i] = static_cast<float>(c);
    d.y[i] = (missing ? 0 : 3 * std::sin(x0)) + x1 * x1 + effect[c];
  }
  return d;
}

// Three classes by region of (x0, x1); x2 is noise.
Data Multiclass(size_t n, uint64_t seed) {
  core::Rng rng(seed);
  Data d{FeatureSchema({{"x0", core::ColumnType::kNumeric, {}},
                        {"x1", core::ColumnType::kNumeric, {}},
                        {"x2", core::ColumnType::kNumeric, {}}}),
         FeatureMatrix(n, 3), std::vector<float>(n),
         TargetInfo{"label", Task::kMulticlass, {"p", "q", "r"}}};
  for (size_t i = 0; i < n; ++i) {
    float x0 = static_cast<float>(rng.Uniform());
    float x1 = static_cast<float>(rng.Uniform());
    d.x.mutable_column(0)[i] = x0;
    d.x.mutable_column(1)[i] = x1;
    d.x.mutable_column(2)[i] = static_cast<float>(rng.Uniform());
    d.y[i] = x0 + x1 < 0.7f ? 0.0f : (x0 > x1 ? 1.0f : 2.0f);
  }
  return d;
}

std::unique_ptr<Model> Train(const Data& d, std::vector<std::pair<std::string, std::string>> kv,
                             unsigned threads = 2, uint64_t seed = 42) {
  auto params = RandomForestTrainer().params().Resolve(kv);
  EXPECT_TRUE(params) << params.error().message();
  auto model = RandomForestTrainer().Train({d.schema, d.x, d.y, d.target}, *params,
                                           {.threads = threads, .seed = seed});
  EXPECT_TRUE(model) << model.error().message();
  return std::move(*model);
}

std::vector<float> PredictAll(const Model& m, const FeatureMatrix& x) {
  std::vector<float> out(x.num_rows() * m.num_outputs());
  auto r = m.Predict(x, out, 2);
  EXPECT_TRUE(r) << r.error().message();
  return out;
}

double R2(const std::vector<float>& y, const std::vector<float>& p) {
  double mean = 0;
  for (float v : y) mean += v;
  mean /= static_cast<double>(y.size());
  double ss_res = 0, ss_tot = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    ss_res += (y[i] - p[i]) * (y[i] - p[i]);
    ss_tot += (y[i] - mean) * (y[i] - mean);
  }
  return 1 - ss_res / ss_tot;
}

TEST(RandomForestTest, LearnsRegressionWithCategoriesAndMissingValues) {
  Data train = Regression(3000, 1), test = Regression(1000, 2);
  auto model = Train(train, {{"n_estimators", "40"}});
  EXPECT_GT(R2(test.y, PredictAll(*model, test.x)), 0.95);
}

TEST(RandomForestTest, LearnsMulticlass) {
  Data train = Multiclass(3000, 3), test = Multiclass(1000, 4);
  auto model = Train(train, {{"n_estimators", "40"}});
  ASSERT_EQ(model->num_outputs(), 3u);
  auto proba = PredictAll(*model, test.x);
  size_t correct = 0;
  for (size_t i = 0; i < test.y.size(); ++i) {
    const float* row = &proba[i * 3];
    EXPECT_NEAR(row[0] + row[1] + row[2], 1.0f, 1e-5);
    size_t best = static_cast<size_t>(std::max_element(row, row + 3) - row);
    correct += best == static_cast<size_t>(test.y[i]);
  }
  EXPECT_GT(static_cast<double>(correct) / 1000.0, 0.95);
}

TEST(RandomForestTest, GrownToPurityFitsTrainingDataExactly) {
  Data d = Regression(250, 5);  // fewer rows than bins: every value has its own bin
  auto model = Train(d, {{"n_estimators", "3"}, {"bootstrap", "false"}});
  auto pred = PredictAll(*model, d.x);
  for (size_t i = 0; i < d.y.size(); ++i) EXPECT_FLOAT_EQ(pred[i], d.y[i]) << "row " << i;
}

// The least squared error any single split of d's rows can reach, by trying them all: every
// threshold of a numeric feature with missing values on either side, every subset of the
// categories of a categorical one. Each side keeps at least min_leaf rows.
double BestSplitError(const Data& d, size_t min_leaf) {
  const size_t n = d.y.size();
  auto side_error = [&](const std::vector<bool>& left) {
    double sum[2] = {0, 0}, sq[2] = {0, 0}, count[2] = {0, 0};
    for (size_t i = 0; i < n; ++i) {
      int s = left[i] ? 0 : 1;
      sum[s] += d.y[i];
      sq[s] += static_cast<double>(d.y[i]) * d.y[i];
      ++count[s];
    }
    if (count[0] < static_cast<double>(min_leaf) || count[1] < static_cast<double>(min_leaf)) {
      return std::numeric_limits<double>::infinity();
    }
    return sq[0] - sum[0] * sum[0] / count[0] + sq[1] - sum[1] * sum[1] / count[1];
  };
  std::vector<bool> all(n, true);
  double best = std::numeric_limits<double>::infinity();
  for (size_t f = 0; f < d.x.num_features(); ++f) {
    auto col = d.x.column(f);
    std::vector<bool> left(n);
    if (d.schema.features()[f].type == core::ColumnType::kCategorical) {
      for (uint32_t subset = 1; subset < 31; ++subset) {  // five categories
        for (size_t i = 0; i < n; ++i) left[i] = (subset >> static_cast<int>(col[i])) & 1;
        best = std::min(best, side_error(left));
      }
      continue;
    }
    for (size_t t = 0; t < n; ++t) {
      for (bool missing_left : {false, true}) {
        for (size_t i = 0; i < n; ++i) {
          left[i] = std::isnan(col[i]) ? missing_left : !std::isnan(col[t]) && col[i] <= col[t];
        }
        best = std::min(best, side_error(left));
      }
    }
  }
  return best;
}

// A single split (max_depth 1, no bootstrap) must be the best one, whichever way the tree
// finds it: small nodes without histograms and with an early stop, larger ones with them.
// Labels and feature values repeat, and values go missing, to reach every case of both.
TEST(RandomForestTest, OneSplitIsTheBestSplitAtEveryNodeSize) {
  for (size_t n : {3, 4, 5, 7, 9, 12, 16, 17, 23, 40, 130}) {
    for (uint64_t seed = 1; seed <= 12; ++seed) {
      for (size_t min_leaf : {1, 2}) {
        Data d = Regression(n, seed * 100 + n);
        core::Rng rng(seed);
        for (size_t i = 0; i < n; ++i) {
          float& x0 = d.x.mutable_column(0)[i];
          if (!std::isnan(x0)) x0 = std::round(x0);  // few distinct values
          if (rng.Uniform() < 0.15) d.x.mutable_column(1)[i] = NAN;
          d.y[i] = std::round(d.y[i] * 2) / 2;  // tied labels
        }
        auto model = Train(d, {{"n_estimators", "1"},
                               {"bootstrap", "false"},
                               {"max_depth", "1"},
                               {"min_samples_leaf", std::to_string(min_leaf)}});
        auto pred = PredictAll(*model, d.x);
        double error = 0, mean = 0;
        for (float y : d.y) mean += y;
        mean /= static_cast<double>(n);
        double total = 0;
        for (size_t i = 0; i < n; ++i) {
          error +=
              (d.y[i] - static_cast<double>(pred[i])) * (d.y[i] - static_cast<double>(pred[i]));
          total += (d.y[i] - mean) * (d.y[i] - mean);
        }
        double best = BestSplitError(d, min_leaf);
        if (std::isinf(best)) best = total;  // no split possible: one leaf
        EXPECT_NEAR(error, best, 1e-4 * (1 + total))
            << "n=" << n << " seed=" << seed << " min_samples_leaf=" << min_leaf;
      }
    }
  }
}

TEST(RandomForestTest, MaxDepthAndMinSamplesLeafLimitTrees) {
  Data d = Regression(2000, 6);
  auto shallow = Train(d, {{"n_estimators", "5"}, {"max_depth", "3"}});
  const auto& forest = dynamic_cast<const forest::ForestModel&>(*shallow);
  for (const auto& tree : forest.trees()) EXPECT_LE(tree.nodes.size(), 7u);  // splits only

  // Without bootstrap every training row reaches a leaf; each leaf must hold >= 50 of them.
  auto leafy = Train(d, {{"n_estimators", "2"}, {"min_samples_leaf", "50"}, {"bootstrap", "no"}});
  const auto& f2 = dynamic_cast<const forest::ForestModel&>(*leafy);
  std::vector<float> row(3);
  for (const auto& tree : f2.trees()) {
    std::map<std::pair<int64_t, bool>, int> hits;
    for (size_t i = 0; i < d.x.num_rows(); ++i) {
      d.x.CopyRow(i, row);
      auto exit = tree.Walk(row, f2.category_bins());
      hits[{exit.node, exit.left}]++;
    }
    for (const auto& [leaf, n] : hits) EXPECT_GE(n, 50);
  }
}

TEST(RandomForestTest, SameSeedSameBytesOnAnyThreadCount) {
  Data d = Regression(1500, 7);
  auto a = Train(d, {{"n_estimators", "12"}}, 1, 9)->Serialize();
  auto b = Train(d, {{"n_estimators", "12"}}, 3, 9)->Serialize();
  auto c = Train(d, {{"n_estimators", "12"}}, 1, 10)->Serialize();
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
}

TEST(RandomForestTest, SerializeRoundTripPredictsTheSame) {
  Data d = Multiclass(1000, 8);
  auto model = Train(d, {{"n_estimators", "10"}});
  auto bytes = model->Serialize();
  ASSERT_TRUE(bytes);
  auto loaded = RandomForestTrainer().Load(*bytes, d.schema, d.target);
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(PredictAll(*model, d.x), PredictAll(**loaded, d.x));
}

TEST(RandomForestTest, PredictRowMatchesBatch) {
  Data d = Regression(800, 9);
  auto model = Train(d, {{"n_estimators", "10"}});
  auto batch = PredictAll(*model, d.x);
  std::vector<float> row(3), out(1);
  for (size_t i = 0; i < d.x.num_rows(); ++i) {
    d.x.CopyRow(i, row);
    ASSERT_TRUE(model->PredictRow(row, out));
    EXPECT_EQ(out[0], batch[i]);
  }
  std::vector<float> short_row(2);
  auto bad = model->PredictRow(short_row, out);
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message(), HasSubstr("2 features"));
}

// What the model predicts, by walking every tree node by node (Tree::Predict) and averaging
// the leaves in tree order, as ForestModel does: the reference for its heap layout.
std::vector<float> WalkEveryTree(const forest::ForestModel& m, const std::vector<float>& row) {
  std::vector<float> out(m.num_outputs(), 0.0f);
  for (const forest::Tree& t : m.trees()) {
    const forest::LeafValue leaf = t.Predict(row, m.category_bins());
    if (m.num_outputs() == 1) {
      out[0] += std::bit_cast<float>(leaf);
    } else if (leaf & forest::kPureClass) {
      out[leaf & ~forest::kPureClass] += 1.0f;
    } else {
      for (size_t k = 0; k < out.size(); ++k) out[k] += t.distributions[leaf + k];
    }
  }
  for (float& v : out) v *= 1.0f / static_cast<float>(m.trees().size());
  return out;
}

// Rows of `d`, then rows of odd values in every column: NaN, infinities, both zeros,
// categories past the schema and past HeapTrees::kCategoryLimit, negatives, fractions.
FeatureMatrix ProbeRows(const Data& d) {
  const float odd[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1,     2.5f,  4,    5,
                       29,  30,       39,        45,   -1,    -0.5f, 1e30f, 0.25f};
  const size_t f = d.schema.size(), n = d.x.num_rows(), extra = std::size(odd) * f;
  FeatureMatrix x(n + extra, f);
  for (size_t j = 0; j < f; ++j) {
    for (size_t r = 0; r < n; ++r) x.mutable_column(j)[r] = d.x.column(j)[r];
    for (size_t r = 0; r < extra; ++r) {
      x.mutable_column(j)[n + r] = r % f == j ? odd[r / f] : d.x.column(j)[r % n];
    }
  }
  return x;
}

void ExpectPredictsAsEveryTreeWalks(const Model& model, const FeatureMatrix& x) {
  const auto& m = dynamic_cast<const forest::ForestModel&>(model);
  const size_t k = m.num_outputs();
  std::vector<float> batch(x.num_rows() * k), row(x.num_features()), one(k);
  ASSERT_TRUE(m.Predict(x, batch, 1));
  for (size_t r = 0; r < x.num_rows(); ++r) {
    x.CopyRow(r, row);
    const std::vector<float> want = WalkEveryTree(m, row);
    ASSERT_TRUE(m.PredictRow(row, one));
    for (size_t c = 0; c < k; ++c) {
      ASSERT_EQ(batch[r * k + c], want[c]) << "Predict, row " << r << " output " << c;
      ASSERT_EQ(one[c], want[c]) << "PredictRow, row " << r << " output " << c;
    }
  }
  // Rows exactly on a threshold (x <= threshold goes left), for the splits of a few trees.
  size_t on_threshold = 0;
  for (size_t t = 0; t < std::min<size_t>(m.trees().size(), 4); ++t) {
    for (const forest::Node& n : m.trees()[t].nodes) {
      if (n.bits & forest::Node::kCategorical) continue;
      x.CopyRow(on_threshold++ % x.num_rows(), row);
      row[n.feature()] = n.threshold;
      ASSERT_TRUE(m.PredictRow(row, one));
      ASSERT_EQ(one, WalkEveryTree(m, row)) << "a row on tree " << t << "'s threshold";
    }
  }
  EXPECT_GT(on_threshold, 0u);
}

// `d` with one more categorical feature of `levels` categories (5% missing) whose category c
// adds effect(c) to the target.
Data WithCategorical(Data d, const std::string& name, int levels, float (*effect)(int)) {
  FeatureInfo info{name, core::ColumnType::kCategorical, {}};
  for (int c = 0; c < levels; ++c) info.categories.push_back(name + std::to_string(c));
  std::vector<FeatureInfo> features = d.schema.features();
  features.push_back(std::move(info));
  d.schema = FeatureSchema(std::move(features));
  const size_t f = d.x.num_features();
  FeatureMatrix x(d.x.num_rows(), f + 1);
  core::Rng rng(static_cast<uint64_t>(levels));
  for (size_t r = 0; r < d.x.num_rows(); ++r) {
    for (size_t j = 0; j < f; ++j) x.mutable_column(j)[r] = d.x.column(j)[r];
    const auto c = static_cast<int>(rng.Below(static_cast<uint64_t>(levels)));
    x.mutable_column(f)[r] = rng.Below(20) == 0 ? NAN : static_cast<float>(c);
    d.y[r] += effect(c);
  }
  d.x = std::move(x);
  return d;
}

TEST(RandomForestTest, HeapLayoutPredictsAsEveryTreeWalks) {
  // 40 categories: splits on them are wide (categories past HeapTrees::kNarrowCategories go
  // their own ways), still in the layout.
  Data d = WithCategorical(Regression(1500, 21), "wide", 40,
                           [](int c) { return c > 33 || c % 5 == 0 ? 0.5f : 0.0f; });
  auto model = Train(d, {{"n_estimators", "40"}, {"max_depth", "6"}, {"max_features", "0.5"}});
  ASSERT_TRUE(model);
  const auto& m = dynamic_cast<const forest::ForestModel&>(*model);
  EXPECT_EQ(m.heap_trees().num_trees(), m.trees().size());
  EXPECT_GT(m.heap_trees().num_wide_trees(), 0u);
  ExpectPredictsAsEveryTreeWalks(m, ProbeRows(d));

  // Trees deeper than HeapTrees::kMaxDepth stay outside the layout.
  auto deep = Train(d, {{"n_estimators", "20"}, {"max_depth", "0"}});
  ASSERT_TRUE(deep);
  const auto& dm = dynamic_cast<const forest::ForestModel&>(*deep);
  EXPECT_LT(dm.heap_trees().num_trees(), dm.trees().size());
  ExpectPredictsAsEveryTreeWalks(dm, ProbeRows(d));

  // 5000 categories share at most 255 bins, and a category's code is its bin: splits on them
  // fit in tables too.
  Data huge = WithCategorical(Regression(1500, 23), "huge", 5000,
                              [](int c) { return c % 7 == 0 ? 1.0f : 0.0f; });
  auto binned = Train(huge, {{"n_estimators", "40"}, {"max_depth", "5"}, {"max_features", "0.5"}});
  ASSERT_TRUE(binned);
  const auto& bm = dynamic_cast<const forest::ForestModel&>(*binned);
  EXPECT_EQ(bm.heap_trees().num_trees(), bm.trees().size());
  EXPECT_GT(bm.heap_trees().num_wide_trees(), 0u);
  ExpectPredictsAsEveryTreeWalks(bm, ProbeRows(huge));

  Data classes = Multiclass(1200, 22);
  auto classifier =
      Train(classes, {{"n_estimators", "30"}, {"max_depth", "8"}, {"min_samples_leaf", "5"}});
  ASSERT_TRUE(classifier);
  EXPECT_EQ(dynamic_cast<const forest::ForestModel&>(*classifier).heap_trees().num_trees(), 30u);
  ExpectPredictsAsEveryTreeWalks(*classifier, ProbeRows(classes));
}

TEST(RandomForestTest, UnseenAndMissingValuesPredict) {
  Data d = Regression(800, 11);
  auto model = Train(d, {{"n_estimators", "5"}});
  std::vector<float> out(1);
  for (auto row : {std::vector<float>{NAN, NAN, NAN}, std::vector<float>{1e30f, -1e30f, 99.0f},
                   std::vector<float>{0, 0, -3.0f}}) {
    ASSERT_TRUE(model->PredictRow(row, out));
    EXPECT_TRUE(std::isfinite(out[0]));
  }
}

TEST(RandomForestTest, ConcurrentPredictionsAgree) {
  Data d = Regression(800, 12);
  auto model = Train(d, {{"n_estimators", "8"}});
  auto expected = PredictAll(*model, d.x);
  std::vector<std::jthread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      std::vector<float> row(3), out(1);
      for (size_t i = 0; i < d.x.num_rows(); ++i) {
        d.x.CopyRow(i, row);
        if (!model->PredictRow(row, out) || out[0] != expected[i]) mismatches++;
      }
    });
  }
  threads.clear();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(RandomForestTest, MalformedBytesFailCleanly) {
  Data d = Multiclass(300, 13);
  auto bytes = *Train(d, {{"n_estimators", "2"}})->Serialize();
  const auto& trainer = RandomForestTrainer();
  EXPECT_FALSE(trainer.Load("", d.schema, d.target));
  EXPECT_FALSE(trainer.Load("garbage bytes", d.schema, d.target));
  for (size_t cut : {size_t{4}, size_t{30}, bytes.size() / 2, bytes.size() - 1}) {
    auto r = trainer.Load(bytes.substr(0, cut), d.schema, d.target);
    ASSERT_FALSE(r) << "cut at " << cut;
    EXPECT_EQ(r.error().code(), ErrorCode::kCorrupt);
  }
  // Flipping any single byte either fails cleanly or loads a model that still predicts.
  core::Rng rng(1);
  std::vector<float> row(3), out(3);
  for (int i = 0; i < 300; ++i) {
    std::string mutated = bytes;
    mutated[rng.Below(mutated.size())] ^= static_cast<char>(1 + rng.Below(255));
    auto r = trainer.Load(mutated, d.schema, d.target);
    if (r) {
      d.x.CopyRow(0, row);
      EXPECT_TRUE((*r)->PredictRow(row, out));
    }
  }
  TargetInfo other{"label", Task::kBinary, {"p", "q"}};
  auto wrong = trainer.Load(bytes, d.schema, other);
  ASSERT_FALSE(wrong);
  EXPECT_THAT(wrong.error().message(), HasSubstr("3 classes"));
}

TEST(RandomForestTest, ParameterTableValidates) {
  const auto& table = RandomForestTrainer().params();
  EXPECT_TRUE(table.Resolve({{"max_features", "sqrt"}}));
  EXPECT_TRUE(table.Resolve({{"max_features", "0.5"}}));
  EXPECT_TRUE(table.Resolve({{"max_features", "2"}}));
  EXPECT_FALSE(table.Resolve({{"max_features", "2.5"}}));
  EXPECT_FALSE(table.Resolve({{"max_features", "most"}}));
  EXPECT_FALSE(table.Resolve({{"max_bins", "256"}}));
  EXPECT_FALSE(table.Resolve({{"n_trees", "5"}}));
}

}  // namespace
}  // namespace hone::learn
