// How hone's tasks map onto XGBoost: objectives, labels, starting scores and output layout.
// Shared by the gbdt and linear trainers.
#ifndef HONE_LEARN_XGB_OBJECTIVE_H_
#define HONE_LEARN_XGB_OBJECTIVE_H_

#include <span>
#include <string_view>

#include "hone/core/error.h"
#include "hone/learn/model.h"
#include "hone/learn/target.h"
#include "hone/learn/xgb/xgb_api.h"

namespace hone::learn::xgb {

/// "reg:squarederror", "binary:logistic" or "multi:softprob".
const char* ObjectiveName(Task task);
/// Values XGBoost predicts per row: the number of classes for multiclass, else 1.
size_t OutputGroups(const TargetInfo& target);
/// Values per row of Model::Predict: 1; 2 for binary ([1 - p, p]); the number of classes.
size_t NumOutputs(const TargetInfo& target);

/// Checks the shape of `data` and its labels (finite; class indices whole and in range).
/// Errors start with `who`, the trainer's name.
Result<void> CheckTrainingData(const TrainingData& data, std::string_view who);

/// Sets nthread and seed. XGBoost's seed is a signed integer: the 64 bits are folded into 31.
Result<void> SetThreadsAndSeed(Booster& booster, unsigned threads, uint64_t seed);

/// Sets the objective, num_class, and base_score: the label mean for regression and the
/// positive rate for binary, so that boosting starts from the prior rather than from XGBoost
/// 1.7's fixed 0.5 (XGBoost 2.0 estimates it the same way).
Result<void> SetObjective(Booster& booster, const TargetInfo& target, std::span<const float> y);

/// Checks that a loaded booster uses `booster_name` ("gbtree", "gblinear"), the objective of
/// `target`, and `num_features` inputs.
Result<void> CheckBoosterFits(const Booster& booster, std::string_view booster_name,
                              const TargetInfo& target, size_t num_features, std::string_view who);

/// Turns `rows` × OutputGroups values at the front of `values` into rows × NumOutputs in
/// place: only binary changes, p becoming [1 - p, p].
void ExpandOutputs(const TargetInfo& target, size_t rows, std::span<float> values);

}  // namespace hone::learn::xgb

#endif  // HONE_LEARN_XGB_OBJECTIVE_H_
