// Tree-ensemble prediction on one core: one row (the serving path, Model::PredictRow) and a
// batch of 1000 rows (Model::Predict), for
//   gbdt_flat     hone's FlatTrees evaluator of an XGBoost model,
//   gbdt_xgboost  the same model through XGBoost's own in-place prediction (libxgboost 1.7.4),
//   forest        hone's random forest,
// each 100 trees of depth 8, trained here on a generated regression set (12 numeric features
// with some missing values, 3 categorical ones of 12 levels), so the benchmark needs no files;
// and gbdt_wide, forest_wide: the same with a 16th feature of 500 categories (a zip code, a
// date read as text), whose splits take HeapTrees' table lookup.
//
//   build/h-trees-rel/bench/hone_bench_tree_predict
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "hone/core/random.h"
#include "hone/learn/model.h"
#include "hone/learn/xgb/gbdt_model.h"
#include "hone/learn/xgb/model_envelope.h"

namespace hone::learn {
namespace {

constexpr size_t kNumeric = 12;
constexpr size_t kCategorical = 3;
constexpr size_t kLevels = 12;
constexpr size_t kWideLevels = 500;

struct Data {
  FeatureSchema schema;
  FeatureMatrix x;
  std::vector<float> y;
  TargetInfo target{"y", Task::kRegression, {}};
};

Data MakeData(size_t rows, uint64_t seed, bool wide) {
  std::vector<FeatureInfo> features;
  for (size_t j = 0; j < kNumeric; ++j) {
    features.push_back({"x" + std::to_string(j), core::ColumnType::kNumeric, {}});
  }
  for (size_t j = 0; j < kCategorical; ++j) {
    FeatureInfo f{"c" + std::to_string(j), core::ColumnType::kCategorical, {}};
    for (size_t c = 0; c < kLevels; ++c) f.categories.push_back("v" + std::to_string(c));
    features.push_back(std::move(f));
  }
  if (wide) {
    FeatureInfo f{"zip", core::ColumnType::kCategorical, {}};
    for (size_t c = 0; c < kWideLevels; ++c) f.categories.push_back("z" + std::to_string(c));
    features.push_back(std::move(f));
  }
  Data d;
  d.schema = FeatureSchema(std::move(features));
  d.x = FeatureMatrix(rows, d.schema.size());
  core::Rng rng(seed);
  for (size_t r = 0; r < rows; ++r) {
    double y = 0;
    for (size_t j = 0; j < kNumeric; ++j) {
      float v = static_cast<float>(rng.Uniform() * 4 - 2);
      y += std::sin(v * static_cast<double>(j + 1)) / static_cast<double>(j + 1);
      d.x.mutable_column(j)[r] = rng.Below(20) == 0 ? NAN : v;
    }
    for (size_t j = 0; j < kCategorical; ++j) {
      size_t c = rng.Below(kLevels);
      y += static_cast<double>((c * 7 + j) % kLevels) / kLevels;
      d.x.mutable_column(kNumeric + j)[r] = static_cast<float>(c);
    }
    if (wide) {
      size_t c = rng.Below(kWideLevels);
      y += (c * 2654435761u) % 97 < 30 ? 0.8 : 0.0;  // a scattered set of categories
      d.x.mutable_column(kNumeric + kCategorical)[r] = static_cast<float>(c);
    }
    d.y.push_back(static_cast<float>(y + 0.1 * (rng.Uniform() - 0.5)));
  }
  return d;
}

const Data& TrainData(bool wide) {
  static const Data narrow_data = MakeData(20000, 1, false);
  static const Data wide_data = MakeData(20000, 1, true);
  return wide ? wide_data : narrow_data;
}
const Data& TestData(bool wide) {
  static const Data narrow_data = MakeData(1000, 2, false);
  static const Data wide_data = MakeData(1000, 2, true);
  return wide ? wide_data : narrow_data;
}

std::unique_ptr<Model> TrainModel(const std::string& kind, bool wide) {
  const Data& d = TrainData(wide);
  const Trainer* trainer = *FindTrainer(kind);
  auto params = trainer->params().Resolve({{"n_estimators", "100"}, {"max_depth", "8"}});
  if (!params) std::abort();
  auto model = trainer->Train({d.schema, d.x, d.y, d.target}, *params, {.threads = 1});
  if (!model) {
    std::fprintf(stderr, "training %s: %s\n", kind.c_str(), model.error().message().c_str());
    std::abort();
  }
  return std::move(*model);
}

// The gbdt model again, predicted by XGBoost.
std::unique_ptr<Model> XgboostTwin(const Model& model) {
  const Data& d = TrainData(false);
  auto envelope = xgb::ReadEnvelope(*model.Serialize(), "gbdt", d.schema, d.target);
  auto gaps = xgb::GbdtModel::GapsFromHeader(envelope->header, d.schema);
  auto twin = xgb::GbdtModel::Create(envelope->payload, *gaps, d.schema, d.target,
                                     xgb::GbdtEvaluator::kXgboost);
  if (!twin) std::abort();
  return std::move(*twin);
}

const char* kNames[] = {"gbdt_flat", "gbdt_xgboost", "forest", "gbdt_wide", "forest_wide"};
bool IsWide(int which) { return which >= 3; }

// Each model is trained the first time a benchmark asks for it.
const Model& Get(int which) {
  switch (which) {
    case 0: {
      static const std::unique_ptr<Model> gbdt = TrainModel("gbdt", false);
      return *gbdt;
    }
    case 1: {
      static const std::unique_ptr<Model> xgboost = XgboostTwin(Get(0));
      return *xgboost;
    }
    case 2: {
      static const std::unique_ptr<Model> forest = TrainModel("random_forest", false);
      return *forest;
    }
    case 3: {
      static const std::unique_ptr<Model> gbdt = TrainModel("gbdt", true);
      return *gbdt;
    }
    default: {
      static const std::unique_ptr<Model> forest = TrainModel("random_forest", true);
      return *forest;
    }
  }
}

void BM_SingleRow(benchmark::State& state) {
  const Model& model = Get(static_cast<int>(state.range(0)));
  state.SetLabel(kNames[state.range(0)]);
  const FeatureMatrix& x = TestData(IsWide(static_cast<int>(state.range(0)))).x;
  std::vector<std::vector<float>> rows(x.num_rows(), std::vector<float>(x.num_features()));
  for (size_t r = 0; r < rows.size(); ++r) x.CopyRow(r, rows[r]);
  std::vector<float> out(model.num_outputs());
  size_t r = 0;
  for (auto _ : state) {
    auto ok = model.PredictRow(rows[r], out);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(out.data());
    r = r + 1 == rows.size() ? 0 : r + 1;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SingleRow)->DenseRange(0, 4)->Unit(benchmark::kMicrosecond);

void BM_Batch1000(benchmark::State& state) {
  const Model& model = Get(static_cast<int>(state.range(0)));
  state.SetLabel(kNames[state.range(0)]);
  const FeatureMatrix& x = TestData(IsWide(static_cast<int>(state.range(0)))).x;
  std::vector<float> out(x.num_rows() * model.num_outputs());
  for (auto _ : state) {
    auto ok = model.Predict(x, out, 1);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(x.num_rows()));
}
BENCHMARK(BM_Batch1000)->DenseRange(0, 4)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace hone::learn

BENCHMARK_MAIN();
