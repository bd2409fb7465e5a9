// A trained linear model: hone's feature encoding and the weights XGBoost's gblinear learned,
// applied by hone (gblinear has no in-place prediction in XGBoost 1.7).
#ifndef HONE_LEARN_XGB_LINEAR_MODEL_H_
#define HONE_LEARN_XGB_LINEAR_MODEL_H_

#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hone/core/error.h"
#include "hone/learn/model.h"
#include "hone/learn/xgb/linear_encoding.h"
#include "hone/learn/xgb/xgb_api.h"

namespace hone::learn::xgb {

/// gblinear's weights as XGBoost stores them: the weight of column c for output group g at
/// c * groups + g, then the `groups` biases.
Result<std::vector<float>> ReadLinearWeights(const Booster& booster);

/// The part of gblinear's weights that predictions depend on: LinearEncoding::Identify, and
/// for several groups (softmax, which ignores a shift equal for every class) each column's
/// class mean removed. Coordinate descent moves the rest only slowly, pinned by ridge alone.
std::vector<double> IdentifiedWeights(std::span<const float> raw, const LinearEncoding& encoding,
                                      size_t groups);

/// Immutable; every method is safe to call from many threads at once (plain arithmetic on
/// constant members, no XGBoost call after Create).
class LinearModel final : public Model {
 public:
  /// A model from XGBoost's gblinear bytes and the encoding they were trained on; checks that
  /// they fit each other, `schema` and `target`.
  static Result<std::unique_ptr<LinearModel>> Create(std::string xgboost_bytes,
                                                     LinearEncoding encoding,
                                                     const FeatureSchema& schema,
                                                     const TargetInfo& target);

  size_t num_outputs() const override { return outputs_; }
  Result<void> Predict(const FeatureMatrix& x, std::span<float> out,
                       unsigned threads) const override;
  Result<void> PredictRow(std::span<const float> row, std::span<float> out) const override;
  Result<std::string> Serialize() const override;
  /// Each feature's share of the spread of the margins: the standard deviation of its
  /// contribution over the training rows (|weight| for a standardised numeric feature), summed
  /// over classes.
  std::vector<double> FeatureImportance() const override { return importance_; }

  /// Values XGBoost predicts per row (1, or the number of classes).
  size_t groups() const { return groups_; }
  /// The margins (before the logistic or softmax link) of one row of features.
  void Margins(std::span<const float> row, std::span<double> out) const;

 private:
  LinearModel() = default;
  // Applies the link to `margins` (rows × groups) and writes rows × outputs values.
  void Link(std::span<const double> margins, std::span<float> out) const;

  std::string xgboost_bytes_;
  LinearEncoding encoding_;
  TargetInfo target_;
  nlohmann::json header_;
  std::vector<double> weights_;
  std::vector<double> importance_;
  // XGBoost's base_score on the margin scale, added to every group's bias.
  double base_margin_ = 0;
  size_t groups_ = 1;
  size_t outputs_ = 1;
};

}  // namespace hone::learn::xgb

#endif  // HONE_LEARN_XGB_LINEAR_MODEL_H_
