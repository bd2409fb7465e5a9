// A trained model and the trainers that make and load them.
#ifndef HONE_LEARN_MODEL_H_
#define HONE_LEARN_MODEL_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hone/core/error.h"
#include "hone/learn/features.h"
#include "hone/learn/params.h"
#include "hone/learn/target.h"

namespace hone::learn {

/// A trained model. Immutable after training or loading; every method is safe to call from
/// many threads at once.
class Model {
 public:
  virtual ~Model() = default;

  /// Values per row: 1 for regression (the prediction); the number of classes for
  /// classification (probabilities in class-index order, summing to 1).
  virtual size_t num_outputs() const = 0;

  /// Predicts every row of `x` into `out`, which holds x.num_rows() * num_outputs() values,
  /// row-major. `threads` = 0 uses every hardware thread.
  virtual Result<void> Predict(const FeatureMatrix& x, std::span<float> out,
                               unsigned threads) const = 0;

  /// Predicts one row of encoded features (FeatureSchema order) into `out` (num_outputs()).
  /// The serving path: single-threaded, no shared mutable state.
  virtual Result<void> PredictRow(std::span<const float> row, std::span<float> out) const = 0;

  /// The model's own bytes, stored in the bundle and read back by Trainer::Load.
  virtual Result<std::string> Serialize() const = 0;

  /// Relative importance of each feature (FeatureSchema order, summing to 1), or empty when
  /// the model does not measure it.
  virtual std::vector<double> FeatureImportance() const { return {}; }
};

struct TrainingData {
  const FeatureSchema& schema;
  const FeatureMatrix& x;
  /// One label per row of x: a value for regression, a class index for classification.
  /// Never NaN: rows without a label are removed before training.
  std::span<const float> y;
  const TargetInfo& target;
};

struct TrainOptions {
  /// Threads to train with; 0 = every hardware thread.
  unsigned threads = 0;
  /// Seed of every random choice. Same seed, same data, same parameters → same model bytes.
  uint64_t seed = 42;
};

/// Makes models of one kind. Stateless; the registry holds one instance per kind.
class Trainer {
 public:
  virtual ~Trainer() = default;

  /// The name users pass to --model: "random_forest", "gbdt", "linear".
  virtual std::string_view name() const = 0;
  /// One line for help text.
  virtual std::string_view summary() const = 0;
  virtual const ParamTable& params() const = 0;

  virtual Result<std::unique_ptr<Model>> Train(const TrainingData& data, const ParamValues& params,
                                               const TrainOptions& options) const = 0;

  /// Reads bytes written by Model::Serialize. Fails cleanly (never crashes) on bytes that are
  /// malformed or do not fit `schema` and `target`.
  virtual Result<std::unique_ptr<Model>> Load(std::string_view bytes, const FeatureSchema& schema,
                                              const TargetInfo& target) const = 0;
};

/// The check every Model's Predict and PredictRow begin with: rows of `features` values where
/// the model reads `model_features`, and room in `out_size` for exactly rows × `outputs`
/// values. The error names the model kind and both shapes.
Result<void> CheckPredictShape(std::string_view kind, size_t model_features, size_t outputs,
                               size_t features, size_t rows, size_t out_size);

/// The trainer called `name`; the error lists the known names.
Result<const Trainer*> FindTrainer(std::string_view name);
/// Every trainer, in help order.
std::vector<const Trainer*> AllTrainers();

}  // namespace hone::learn

#endif  // HONE_LEARN_MODEL_H_
