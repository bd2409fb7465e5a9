// One training run: a table and a request in; a model, its metrics and its bundle out.
// This is everything `hone train` does; the CLI only parses flags and prints.
#ifndef HONE_LEARN_TRAINING_H_
#define HONE_LEARN_TRAINING_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hone/core/table.h"
#include "hone/learn/bundle.h"
#include "hone/learn/metrics.h"
#include "hone/learn/model.h"
#include "hone/learn/params.h"
#include "hone/learn/split.h"
#include "hone/learn/task.h"

namespace hone::learn {

struct SplitSpec {
  enum class Kind { kRandom, kStratified, kTime };
  Kind kind = Kind::kRandom;
  /// kTime: the column that orders rows. It is not used as a feature.
  std::string time_column;

  /// "random", "stratified" or "time:COL".
  std::string ToString() const;
};
/// Parses "random", "stratified", "time:COL"; the error lists the forms.
Result<SplitSpec> ParseSplitSpec(std::string_view text);

struct TrainRequest {
  std::string target;
  TaskRequest task = TaskRequest::kAuto;
  std::string model = "random_forest";
  /// --param KEY=VALUE assignments, in order.
  std::vector<std::pair<std::string, std::string>> params;
  /// Fraction of rows held out for testing, in [0, 1); 0 trains on every row.
  double test_size = 0.2;
  SplitSpec split;
  /// Cross-validation folds on the training rows: 0 (none) or at least 2.
  int cv_folds = 0;
  uint64_t seed = 42;
  /// 0 = every hardware thread.
  unsigned threads = 0;
  /// Columns left out of the features (identifiers, leaks).
  std::vector<std::string> ignore;
  /// Lineage recorded in the bundle: where the data came from and its digest.
  std::string data_source;
  std::string data_sha256;
  /// The pii record of the data's transform (BundlePiiJson), kept in the bundle so that raw
  /// rows are transformed the same way; empty when the data went through none.
  nlohmann::json pii = nlohmann::json::object();
};

struct CrossValidation {
  int folds = 0;
  /// Metric → (mean, standard deviation) over folds.
  std::vector<std::pair<std::string, std::pair<double, double>>> summary;
  std::vector<MetricList> per_fold;
};

struct TrainOutcome {
  Bundle bundle;
  std::unique_ptr<Model> model;
  /// The headline metrics: on the test rows, else the cross-validation means, else on the
  /// training rows (which flatter the model; `evaluated_on` says which).
  MetricList metrics;
  std::string evaluated_on;
  std::optional<CrossValidation> cv;
  size_t rows_total = 0;
  size_t rows_dropped = 0;  // rows without a target value
  size_t rows_train = 0;
  size_t rows_test = 0;
  double train_seconds = 0;  // fitting the final model
  /// The holdout: rows of the input table, their labels (values or class indices) and the
  /// model's outputs on them (row-major, num_outputs per row). Empty with test_size 0.
  std::vector<uint32_t> test_rows;
  std::vector<float> test_y;
  std::vector<float> test_outputs;
};

/// A table checked against a request and split: everything a training needs before fitting.
struct PreparedData {
  TargetInfo target;
  const Trainer* trainer = nullptr;
  ParamValues params;
  /// The labelled rows' feature columns (target, ignored and time columns left out).
  core::Table features;
  std::vector<float> y;  // one label per labelled row
  /// The input table's row of each labelled row.
  std::vector<uint32_t> labelled;
  Split split;  // indices into the labelled rows
  size_t rows_total = 0;

  /// The input table's rows of split.train / split.test.
  std::vector<uint32_t> TableRows(std::span<const uint32_t> labelled_rows) const;
};

/// Validates the request against the table (columns, parameters, test size, folds, split) and
/// splits. Fails with kInvalidArgument or kInvalidData before any training.
Result<PreparedData> PrepareTraining(const core::Table& table, const TrainRequest& request);

/// K-fold cross-validation (stratified for classification) on the training rows of `data`,
/// with its trainer and parameters, or `params` instead when given.
Result<CrossValidation> CrossValidate(const PreparedData& data, int folds, uint64_t seed,
                                      unsigned threads, const ParamValues* params = nullptr);

/// A model fitted outside TrainOnTable (a command stage, an imported model) for `data`.
struct FittedModel {
  std::unique_ptr<Model> model;
  FeatureSchema schema;
  std::string kind;  // the bundle's model_kind
  nlohmann::json params = nlohmann::json::object();
  double train_seconds = 0;
};

/// What TrainOnTable does after fitting: scores the holdout (else the cross-validation, else
/// the training rows), profiles the training rows and assembles the bundle.
Result<TrainOutcome> FinishTraining(const core::Table& table, const TrainRequest& request,
                                    const PreparedData& data, FittedModel fitted,
                                    std::optional<CrossValidation> cv);

/// Validates the request against the table, splits, optionally cross-validates, trains,
/// evaluates and assembles the bundle. Bad requests (unknown column, parameter, split) fail
/// with kInvalidArgument or kInvalidData before any training starts.
Result<TrainOutcome> TrainOnTable(const core::Table& table, const TrainRequest& request);

/// The hone version recorded in bundles.
const char* HoneVersion();

}  // namespace hone::learn

#endif  // HONE_LEARN_TRAINING_H_
