// A trained gradient-boosted tree ensemble, predicted by hone's FlatTrees evaluator, or by
// XGBoost's in-place prediction for a model FlatTrees does not handle.
#ifndef HONE_LEARN_XGB_GBDT_MODEL_H_
#define HONE_LEARN_XGB_GBDT_MODEL_H_

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "hone/core/error.h"
#include "hone/learn/model.h"
#include "hone/learn/xgb/flat_trees.h"
#include "hone/learn/xgb/xgb_api.h"

namespace hone::learn::xgb {

/// Per feature (FeatureSchema order), the indices of the categories that no training row has;
/// empty for numeric features.
using CategoryGaps = std::vector<std::vector<int32_t>>;
CategoryGaps FindCategoryGaps(const FeatureSchema& schema, const FeatureMatrix& x);

/// Who predicts a GbdtModel's rows.
enum class GbdtEvaluator {
  kFlat,     // FlatTrees when it handles the model (decided at load), else XGBoost
  kXgboost,  // always XGBoost's in-place prediction (the reference, for tests and benchmarks)
};

/// Immutable; every method may be called from many threads at once (XGBoost's configuration
/// has run before the model is handed out, see Booster).
///
/// A category without training rows is predicted as missing, like an unseen one. XGBoost 1.7
/// would otherwise send it to the "not in the group" side of each categorical split, which
/// means nothing.
class GbdtModel final : public Model {
 public:
  /// A model from XGBoost's model bytes. Trained models come through here too, so a trained
  /// model is exactly what a later load gives, and holds none of XGBoost's training caches.
  static Result<std::unique_ptr<GbdtModel>> Create(std::string_view xgboost_bytes,
                                                   CategoryGaps gaps, const FeatureSchema& schema,
                                                   const TargetInfo& target,
                                                   GbdtEvaluator evaluator = GbdtEvaluator::kFlat);
  /// Reads the category gaps that Serialize stores in the envelope's header.
  static Result<CategoryGaps> GapsFromHeader(const nlohmann::json& header,
                                             const FeatureSchema& schema);

  size_t num_outputs() const override { return outputs_; }
  Result<void> Predict(const FeatureMatrix& x, std::span<float> out,
                       unsigned threads) const override;
  Result<void> PredictRow(std::span<const float> row, std::span<float> out) const override;
  /// XGBoost's model as UBJSON rather than JSON: about 30% smaller, faster to parse, floats
  /// bit-exact without a text round trip; readability does not matter inside the envelope.
  Result<std::string> Serialize() const override;
  /// Each feature's share of the total split gain (XGBoost's "total_gain"); all 0 when no
  /// tree splits.
  std::vector<double> FeatureImportance() const override { return importance_; }

  /// True when FlatTrees predicts, false when XGBoost does.
  bool uses_flat_trees() const { return flat_.has_value(); }
  /// The flattened trees, when uses_flat_trees().
  const FlatTrees* flat_trees() const { return flat_ ? &*flat_ : nullptr; }
  /// XGBoost's booster, loaded whatever the evaluator (for Serialize, importance, the fallback).
  const Booster& booster() const { return booster_; }

 private:
  GbdtModel(Booster booster, CategoryGaps gaps, const FeatureSchema& schema,
            const TargetInfo& target);
  // Predicts `rows` rows into `out` (rows × num_outputs); value (r, j) is at
  // data[r * row_stride + j * col_stride].
  Result<void> PredictBlock(const float* data, size_t rows, size_t row_stride, size_t col_stride,
                            std::span<float> out) const;

  Booster booster_;
  std::optional<FlatTrees> flat_;
  CategoryGaps gaps_;
  // Per feature, per category index: 1 when the category had no training rows.
  std::vector<std::vector<uint8_t>> is_gap_;
  bool has_gaps_ = false;
  std::vector<double> importance_;
  TargetInfo target_;
  nlohmann::json header_;
  size_t num_features_;
  size_t groups_;
  size_t outputs_;
};

}  // namespace hone::learn::xgb

#endif  // HONE_LEARN_XGB_GBDT_MODEL_H_
