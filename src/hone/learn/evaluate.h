// Using a trained model on a table: predictions, and metrics where the table has the target.
#ifndef HONE_LEARN_EVALUATE_H_
#define HONE_LEARN_EVALUATE_H_

#include <span>
#include <vector>

#include "hone/core/table.h"
#include "hone/learn/bundle.h"
#include "hone/learn/metrics.h"
#include "hone/learn/model.h"

namespace hone::learn {

/// Metrics of predictions `outputs` (rows × num_outputs, from Model::Predict) against labels
/// `y` (values or class indices, none NaN).
MetricList ScorePredictions(const TargetInfo& target, std::span<const float> y,
                            std::span<const float> outputs);

/// Encodes `table` with the model's schema and predicts every row.
Result<std::vector<float>> PredictTable(const Model& model, const FeatureSchema& schema,
                                        const core::Table& table, unsigned threads);

struct Evaluation {
  MetricList metrics;
  size_t rows = 0;          // rows scored
  size_t rows_dropped = 0;  // rows without a target value
};

/// Scores the model on a table that holds its target column. Fails, naming the column, when
/// the target is absent or no row has a target value.
Result<Evaluation> EvaluateOnTable(const LoadedModel& loaded, const core::Table& table,
                                   unsigned threads);

/// A table of predictions: `prediction` (the value, or the class label), and with
/// `probabilities` one `proba_<class>` column per class.
Result<core::Table> PredictionTable(const TargetInfo& target, std::span<const float> outputs,
                                    bool probabilities);

}  // namespace hone::learn

#endif  // HONE_LEARN_EVALUATE_H_
