#include "hone/learn/evaluate.h"

#include <cmath>

namespace hone::learn {

MetricList ScorePredictions(const TargetInfo& target, std::span<const float> y,
                            std::span<const float> outputs) {
  if (target.task == Task::kRegression) return RegressionMetrics(y, outputs);
  std::vector<int> labels(y.size());
  for (size_t i = 0; i < y.size(); ++i) labels[i] = static_cast<int>(y[i]);
  return ClassificationMetrics(labels, outputs, target.num_classes());
}

Result<std::vector<float>> PredictTable(const Model& model, const FeatureSchema& schema,
                                        const core::Table& table, unsigned threads) {
  HONE_ASSIGN_OR_RETURN(FeatureMatrix x, schema.Encode(table));
  std::vector<float> out(x.num_rows() * model.num_outputs());
  HONE_TRY(model.Predict(x, out, threads));
  return out;
}

Result<Evaluation> EvaluateOnTable(const LoadedModel& loaded, const core::Table& table,
                                   unsigned threads) {
  const TargetInfo& target = loaded.bundle.target;
  auto column = table.FindColumn(target.name);
  if (!column) {
    return Fail(ErrorCode::kInvalidData,
                "the data has no target column '" + target.name + "', which the model predicts");
  }
  HONE_ASSIGN_OR_RETURN(std::vector<float> y, EncodeTarget(table.column(*column), target));
  auto [rows, labels] = KeepLabelled(y);
  if (rows.empty()) {
    return Fail(ErrorCode::kInvalidData, "target column '" + target.name + "' has no values (all " +
                                             std::to_string(y.size()) + " rows are missing)");
  }
  core::Table scored = rows.size() == y.size() ? table : table.Take(rows);
  HONE_ASSIGN_OR_RETURN(auto outputs,
                        PredictTable(*loaded.model, loaded.bundle.features, scored, threads));
  Evaluation e;
  e.metrics = ScorePredictions(target, labels, outputs);
  e.rows = rows.size();
  e.rows_dropped = y.size() - rows.size();
  return e;
}

Result<core::Table> PredictionTable(const TargetInfo& target, std::span<const float> outputs,
                                    bool probabilities) {
  std::vector<core::Column> columns;
  if (target.task == Task::kRegression) {
    if (probabilities) {
      return Fail(ErrorCode::kInvalidArgument,
                  "--proba needs a classification model; this one predicts '" + target.name +
                      "' by regression");
    }
    columns.push_back(
        core::Column::Numeric("prediction", std::vector<float>(outputs.begin(), outputs.end())));
    return core::Table::Create(std::move(columns));
  }
  const size_t k = target.num_classes();
  std::vector<int> predicted = ArgmaxRows(outputs, k);
  columns.push_back(core::Column::Categorical(
      "prediction", std::vector<int32_t>(predicted.begin(), predicted.end()), target.classes));
  if (probabilities) {
    for (size_t c = 0; c < k; ++c) {
      std::vector<float> p(predicted.size());
      for (size_t i = 0; i < p.size(); ++i) p[i] = outputs[i * k + c];
      columns.push_back(core::Column::Numeric("proba_" + target.classes[c], std::move(p)));
    }
  }
  return core::Table::Create(std::move(columns));
}

}  // namespace hone::learn
