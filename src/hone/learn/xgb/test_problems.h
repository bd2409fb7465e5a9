// Generated learning problems and quality measures for the trainer tests (test-only).
#ifndef HONE_LEARN_XGB_TEST_PROBLEMS_H_
#define HONE_LEARN_XGB_TEST_PROBLEMS_H_

#include <cmath>
#include <functional>
#include <numbers>
#include <string>
#include <vector>

#include "hone/core/csv.h"
#include "hone/core/file.h"
#include "hone/core/random.h"
#include "hone/learn/features.h"
#include "hone/learn/model.h"
#include "hone/learn/target.h"

namespace hone::learn::xgb::testing {

/// A feature matrix with its schema, labels and target. Build with Make().
struct Problem {
  FeatureSchema schema;
  FeatureMatrix x;
  std::vector<float> y;
  TargetInfo target;

  TrainingData data() const { return {schema, x, y, target}; }
  std::vector<float> Row(size_t r) const {
    std::vector<float> row(x.num_features());
    x.CopyRow(r, row);
    return row;
  }
};

inline double Normal(core::Rng& rng) {
  double u = 1 - rng.Uniform(), v = rng.Uniform();
  return std::sqrt(-2 * std::log(u)) * std::cos(2 * std::numbers::pi * v);
}

inline FeatureInfo Numeric(std::string name) {
  return {std::move(name), core::ColumnType::kNumeric, {}};
}
inline FeatureInfo Categorical(std::string name, size_t levels) {
  FeatureInfo f{std::move(name), core::ColumnType::kCategorical, {}};
  for (size_t c = 0; c < levels; ++c) f.categories.push_back("c" + std::to_string(c));
  return f;
}

inline TargetInfo Regression() { return {"y", Task::kRegression, {}}; }
inline TargetInfo Classes(size_t k) {
  TargetInfo t{"y", k == 2 ? Task::kBinary : Task::kMulticlass, {}};
  for (size_t c = 0; c < k; ++c) t.classes.push_back(std::to_string(c));
  return t;
}

/// `n` rows of `features`; `draw(rng, row)` fills one row of feature values (categorical ones
/// as category indices) and returns its label.
inline Problem Make(std::vector<FeatureInfo> features, TargetInfo target, size_t n, uint64_t seed,
                    const std::function<float(core::Rng&, std::vector<float>&)>& draw) {
  Problem p;
  p.schema = FeatureSchema(std::move(features));
  p.x = FeatureMatrix(n, p.schema.size());
  p.target = std::move(target);
  core::Rng rng(seed);
  std::vector<float> row(p.schema.size());
  for (size_t i = 0; i < n; ++i) {
    p.y.push_back(draw(rng, row));
    for (size_t j = 0; j < row.size(); ++j) p.x.mutable_column(j)[i] = row[j];
  }
  return p;
}

/// Rows [begin, end) of `p`.
inline Problem Slice(const Problem& p, size_t begin, size_t end) {
  std::vector<uint32_t> rows;
  for (size_t r = begin; r < end; ++r) rows.push_back(static_cast<uint32_t>(r));
  return {p.schema, p.x.Take(rows), {p.y.begin() + begin, p.y.begin() + end}, p.target};
}

/// Predictions of every row of `p`, row-major.
inline std::vector<float> PredictAll(const Model& model, const Problem& p, unsigned threads = 1) {
  std::vector<float> out(p.x.num_rows() * model.num_outputs());
  auto r = model.Predict(p.x, out, threads);
  if (!r) out.clear();
  return out;
}

inline double RSquared(std::span<const float> predicted, std::span<const float> y) {
  double mean = 0;
  for (float v : y) mean += v;
  mean /= static_cast<double>(y.size());
  double sse = 0, sst = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    sse += (predicted[i] - y[i]) * (predicted[i] - y[i]);
    sst += (y[i] - mean) * (y[i] - mean);
  }
  return 1 - sse / sst;
}

/// Share of rows whose most probable class is the label; `probs` is rows × classes.
inline double Accuracy(std::span<const float> probs, std::span<const float> y, size_t classes) {
  size_t right = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    size_t best = 0;
    for (size_t c = 1; c < classes; ++c) {
      if (probs[i * classes + c] > probs[i * classes + best]) best = c;
    }
    right += best == static_cast<size_t>(y[i]);
  }
  return static_cast<double>(right) / static_cast<double>(y.size());
}

/// A model saved by xgboost-python (testdata/import_regression.json), the rows it predicted
/// (testdata/import_rows.csv, its predictions in column xgboost_prediction), and their schema:
/// categories sorted by their bytes, as pandas sorts them.
struct PythonModel {
  std::string bytes;
  core::Table rows;
  FeatureSchema schema;
  TargetInfo target;
};
inline Result<PythonModel> LoadPythonModel() {
  const std::string dir = HONE_SOURCE_DIR "/src/hone/learn/xgb/testdata/";
  HONE_ASSIGN_OR_RETURN(std::string bytes, core::ReadFile(dir + "import_regression.json"));
  HONE_ASSIGN_OR_RETURN(core::Table rows, core::ReadCsv(dir + "import_rows.csv"));
  FeatureSchema schema(
      {Numeric("size"),
       {"colour", core::ColumnType::kCategorical, {"blue", "green", "red", "violet", "yellow"}},
       Numeric("age"),
       Numeric("weight")});
  return PythonModel{std::move(bytes), std::move(rows), std::move(schema),
                     TargetInfo{"y", Task::kRegression, {}}};
}

}  // namespace hone::learn::xgb::testing

#endif  // HONE_LEARN_XGB_TEST_PROBLEMS_H_
