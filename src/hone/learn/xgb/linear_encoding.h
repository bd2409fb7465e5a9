// The feature space of the linear model. gblinear cannot split on categories, and its
// coordinate descent converges best on features of equal scale, so hone encodes:
//
//  - a numeric feature as one column, standardised with the training mean and (population)
//    standard deviation; a constant or all-missing feature keeps scale 1. A missing value
//    is left out, which gblinear reads as 0: the training mean.
//  - a categorical feature one-hot: a column for each of the `max_categories` categories most
//    frequent in training (ties: lower index first), and one "other" column shared by the
//    rarer categories seen in training. A missing value, an unseen category, and a category
//    of the schema without training rows are also imputed with the training mean, which in
//    one-hot space is each column's training frequency.
//
// With every row's one-hot columns summing to 1, their weights and the intercept can trade a
// constant without changing any prediction; ridge alone settles that split, and slowly.
// Identify() removes that freedom so that convergence is judged on what predictions use.
// The training matrix stays sparse: one-hot zeros are left out, and only rows with a missing
// category carry every column of that feature.
#ifndef HONE_LEARN_XGB_LINEAR_ENCODING_H_
#define HONE_LEARN_XGB_LINEAR_ENCODING_H_

#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include <nlohmann/json.hpp>

#include "hone/core/error.h"
#include "hone/learn/features.h"

namespace hone::learn::xgb {

/// Immutable after Fit or FromJson; safe to share between threads.
class LinearEncoding {
 public:
  /// Learns the encoding from training features. Fails on an infinite numeric value.
  static Result<LinearEncoding> Fit(const FeatureSchema& schema, const FeatureMatrix& x,
                                    size_t max_categories);
  /// Reads ToJson's output, checking it against `schema`.
  static Result<LinearEncoding> FromJson(const nlohmann::json& json, const FeatureSchema& schema);
  nlohmann::json ToJson() const;

  /// Encoded columns.
  size_t width() const { return width_; }
  size_t num_features() const { return features_.size(); }

  /// Calls emit(column, value) for each non-zero encoded value of `value` of `feature`.
  template <typename Emit>
  void Encode(size_t feature, float value, Emit&& emit) const {
    const Feature& f = features_[feature];
    if (!f.categorical) {
      if (!std::isnan(value)) emit(f.column, static_cast<float>((value - f.mean) / f.scale));
      return;
    }
    if (value >= 0 && value < static_cast<float>(f.slot.size())) {
      int32_t slot = f.slot[static_cast<size_t>(value)];
      if (slot >= 0) {
        emit(f.column + static_cast<uint32_t>(slot), 1.0f);
        return;
      }
    }
    for (size_t k = 0; k < f.frequency.size(); ++k) {
      emit(f.column + static_cast<uint32_t>(k), f.frequency[k]);
    }
  }

  /// Rewrites gblinear weights ((width + 1) × groups, the biases last) into the form
  /// predictions depend on: each categorical feature's weights minus their training-frequency
  /// mean, that mean moved into the bias.
  void Identify(std::span<double> weights, size_t groups) const;

  /// Per feature, the standard deviation over the training rows of its contribution to the
  /// margin under identified `weights`, summed over groups: |weight| for a numeric feature,
  /// the frequency-weighted spread of the one-hot weights for a categorical one.
  std::vector<double> Spread(std::span<const double> weights, size_t groups) const;

 private:
  struct Feature {
    bool categorical = false;
    uint32_t column = 0;  // the first column of the feature
    double mean = 0;
    double scale = 1;
    // Categorical: per category index, its column's offset from `column`, or -1 for none.
    std::vector<int32_t> slot;
    // Categorical: per column, the share of training rows (with a category) that set it.
    std::vector<float> frequency;
  };
  static LinearEncoding Build(std::vector<Feature> features);

  std::vector<Feature> features_;
  size_t width_ = 0;
};

}  // namespace hone::learn::xgb

#endif  // HONE_LEARN_XGB_LINEAR_ENCODING_H_
