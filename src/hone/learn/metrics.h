// Evaluation metrics, defined as scikit-learn 1.2 defines them (checked against it in tests).
#ifndef HONE_LEARN_METRICS_H_
#define HONE_LEARN_METRICS_H_

#include <cstddef>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace hone::learn {

/// Metric name → value, in a fixed, documented order.
using MetricList = std::vector<std::pair<std::string, double>>;

// Regression. y_true and y_pred have equal lengths > 0.
double R2(std::span<const float> y_true, std::span<const float> y_pred);
double Rmse(std::span<const float> y_true, std::span<const float> y_pred);
double Mae(std::span<const float> y_true, std::span<const float> y_pred);
/// Mean absolute percentage error as a fraction (0.1 = 10%), with sklearn's guard:
/// |y - ŷ| / max(|y|, DBL_EPSILON).
double Mape(std::span<const float> y_true, std::span<const float> y_pred);

/// r2, rmse, mae, mape.
MetricList RegressionMetrics(std::span<const float> y_true, std::span<const float> y_pred);

// Classification. Labels are class indices in [0, num_classes); `proba` is row-major
// n × num_classes with rows summing to 1; predicted label = argmax (lowest index on ties).
double Accuracy(std::span<const int> y_true, std::span<const int> y_pred);

enum class Average { kMacro, kWeighted };
struct PrecisionRecallF1 {
  double precision = 0;
  double recall = 0;
  double f1 = 0;
};
/// Over the classes present in y_true or y_pred (sklearn's default labels); a class with no
/// predictions (or no true rows) scores 0 for precision (recall), as zero_division=0.
PrecisionRecallF1 PrecisionRecallF1Score(std::span<const int> y_true, std::span<const int> y_pred,
                                         Average average);
/// Binary: precision, recall and F1 of class 1 (sklearn's average='binary', pos_label=1).
PrecisionRecallF1 BinaryPrecisionRecallF1(std::span<const int> y_true, std::span<const int> y_pred);

/// Binary ROC AUC of scores for class 1, with ties handled as sklearn does (trapezoids).
/// NaN when y_true holds one class only.
double RocAucBinary(std::span<const int> y_true, std::span<const float> score_of_class1);
/// Multiclass one-vs-rest ROC AUC, macro averaged over classes present in y_true
/// (sklearn's roc_auc_score(multi_class='ovr')); NaN when fewer than two classes are present.
double RocAucOvr(std::span<const int> y_true, std::span<const float> proba, size_t num_classes);
/// Mean negative log-likelihood with probabilities clipped to [1e-15, 1 - 1e-15] and each row
/// renormalised: scikit-learn's log_loss with eps=1e-15 (its default up to 1.1; 1.2's "auto"
/// clips at the input dtype's machine epsilon instead, which makes the value depend on whether
/// probabilities arrive as float32 or float64).
double LogLoss(std::span<const int> y_true, std::span<const float> proba, size_t num_classes);

/// accuracy, precision_macro, recall_macro, f1_macro, precision_weighted, recall_weighted,
/// f1_weighted, roc_auc, log_loss; binary adds precision, recall, f1 of class 1.
/// roc_auc is binary AUC for two classes and one-vs-rest macro AUC for more; it is left out
/// when y_true holds a single class.
MetricList ClassificationMetrics(std::span<const int> y_true, std::span<const float> proba,
                                 size_t num_classes);

/// The predicted class of each row: argmax of `proba` (lowest index on ties).
std::vector<int> ArgmaxRows(std::span<const float> proba, size_t num_classes);

}  // namespace hone::learn

#endif  // HONE_LEARN_METRICS_H_
