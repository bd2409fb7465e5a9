// The one crossing of XGBoost's C boundary: RAII owners for its DMatrix and Booster handles,
// every return code turned into an Error carrying XGBGetLastError's text (without XGBoost's
// timestamp, source position and stack trace).
//
// Only xgb_api.cc includes <xgboost/c_api.h>. Written against Debian 12's libxgboost 1.7.4.
#ifndef HONE_LEARN_XGB_XGB_API_H_
#define HONE_LEARN_XGB_XGB_API_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hone/core/error.h"

namespace hone::learn::xgb {

/// A float32 matrix XGBoost reads in place: `rows` × `cols` values, element (r, c) at
/// data[r * row_stride + c * col_stride] (strides in elements). NaN is missing. Lets hone's
/// column-major FeatureMatrix, or a part of it, be passed without a copy.
struct DenseView {
  const float* data = nullptr;
  size_t rows = 0;
  size_t cols = 0;
  size_t row_stride = 0;
  size_t col_stride = 0;

  static DenseView ColumnMajor(const float* data, size_t rows, size_t cols) {
    return {data, rows, cols, 1, rows};
  }
  static DenseView RowMajor(const float* data, size_t rows, size_t cols) {
    return {data, rows, cols, cols, 1};
  }
};

/// A sparse float32 matrix in CSR form; absent entries are missing.
struct CsrView {
  std::span<const uint64_t> row_offsets;  // rows + 1 entries
  std::span<const uint32_t> columns;
  std::span<const float> values;
  size_t cols = 0;
};

/// Training data inside XGBoost (a copy of the caller's values). Move-only.
class DMatrix {
 public:
  static Result<DMatrix> FromDense(const DenseView& x, unsigned threads);
  static Result<DMatrix> FromCsr(const CsrView& x, unsigned threads);

  Result<void> SetLabels(std::span<const float> labels);
  /// One of "q" (numeric) or "c" (categorical) per column.
  Result<void> SetFeatureTypes(const std::vector<std::string>& types);

  void* handle() const { return handle_.get(); }

 private:
  struct Free {
    void operator()(void* handle) const;
  };
  explicit DMatrix(void* handle) : handle_(handle) {}
  std::unique_ptr<void, Free> handle_;
};

enum class PredictKind { kValue, kMargin };

/// An XGBoost learner. Move-only.
///
/// Thread-safety: SetParam, UpdateOneIter and Load change the booster and need exclusive use,
/// and so does PredictDMatrix (it goes through the learner's prediction cache). Once Prime()
/// has run, the other const methods may be called from many threads at once: in 1.7,
/// in-place prediction reads its input through a proxy (here one per thread), keeps its
/// output in a thread-local entry of the learner, and only reads the trees; Prime() runs the
/// learner's lazy configuration, the one step that writes, before the booster is shared.
class Booster {
 public:
  /// A new booster that will train on `train`.
  static Result<Booster> ForTraining(const DMatrix& train);
  /// A booster read from bytes written by Save("ubj"). Fails cleanly on malformed bytes: only
  /// bytes that pass CheckModelBytes reach XGBoost.
  static Result<Booster> Load(std::string_view bytes);

  Result<void> SetParam(std::string_view name, std::string_view value);
  Result<void> UpdateOneIter(int iteration, const DMatrix& train);
  /// Runs XGBoost's lazy configuration now (by predicting one row of missing values), so that
  /// later concurrent calls only read.
  Result<void> Prime(size_t num_features);

  /// The model in XGBoost's "ubj" (binary JSON) or "json" format.
  Result<std::string> Save(std::string_view format) const;
  /// XGBoost's internal configuration as JSON text (objective, num_class, parameters).
  Result<std::string> SaveConfig() const;
  Result<size_t> NumFeatures() const;
  /// A tree model's total split gain per feature (index order, `num_features` values; 0 for
  /// a feature no split uses).
  Result<std::vector<double>> TotalGain(size_t num_features) const;

  /// In-place prediction of `x` into `out` (rows × groups values, row-major; groups is 1
  /// except for multiclass, where it is the number of classes). Uses the booster's nthread.
  Result<void> PredictDense(const DenseView& x, PredictKind kind, std::span<float> out) const;
  /// Prediction of a DMatrix (gblinear has no in-place prediction in 1.7). Not concurrent.
  Result<void> PredictDMatrix(const DMatrix& x, PredictKind kind, std::span<float> out) const;

 private:
  struct Free {
    void operator()(void* handle) const;
  };
  explicit Booster(void* handle) : handle_(handle) {}
  std::unique_ptr<void, Free> handle_;
};

/// "1.7.4": the version of the XGBoost library loaded at run time.
std::string LibraryVersion();

/// Formats a number the way XGBoost parses parameters: shortest text that reads back exactly.
std::string ParamText(double value);

}  // namespace hone::learn::xgb

#endif  // HONE_LEARN_XGB_XGB_API_H_
