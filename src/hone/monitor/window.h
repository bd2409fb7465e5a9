// Windows of live traffic summarised on a model version's reference profile: for every feature
// (and for the predictions) the number of values that fell in each of the reference's bins, so
// that `hone monitor` can test the live distribution against the training one without keeping
// a single raw value. `hone serve` feeds a WindowAccumulator from every request thread and
// stores what Take() returns every few minutes; the store reads WindowSummary back as JSON.
#ifndef HONE_MONITOR_WINDOW_H_
#define HONE_MONITOR_WINDOW_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "hone/core/error.h"
#include "hone/core/profile.h"
#include "hone/core/schema.h"

namespace hone::monitor {

/// One feature the model reads, as the served rows carry it: a number, or for a categorical
/// feature the index into `categories` as a float; NaN for missing (and for a category the
/// model never saw). Mirrors learn::FeatureInfo without depending on hone_learn.
struct MonitoredColumn {
  std::string name;
  core::ColumnType type = core::ColumnType::kNumeric;
  /// Categorical only: the model's dictionary; row values index into it.
  std::vector<std::string> categories;
};

/// What the predictions are compared with: the reference profile's target column.
struct MonitoredPrediction {
  /// The target column's name in the profile.
  std::string column;
  /// Classification: the class labels in output order, so that a predicted class index maps
  /// to the target's category (or, for a numeric target such as 0/1 labels, to the bin of the
  /// label's number). Empty: regression, a prediction is a number binned like a numeric
  /// feature.
  std::vector<std::string> classes;
};

/// One column's counts on its reference bins. Numeric: bins.size() == edges.size() + 1 of the
/// reference histogram (one bin when the reference has no values); categorical: the
/// reference's top categories in order, then "other" last.
struct ColumnCounts {
  std::string name;
  core::ColumnType type = core::ColumnType::kNumeric;
  std::vector<uint64_t> bins;
  uint64_t missing = 0;

  /// Values counted, missing included.
  uint64_t total() const;
  bool operator==(const ColumnCounts&) const = default;
};

/// The counts of one window (or of several merged). A plain value: safe to share once built.
struct WindowSummary {
  /// Rows seen (AddRow calls and batch rows).
  uint64_t rows = 0;
  /// The monitored features present in the reference profile, in the model's order.
  std::vector<ColumnCounts> columns;
  /// Predictions on the target's bins, when the target is in the profile.
  std::optional<ColumnCounts> prediction;

  /// {"rows": n, "columns": [{"name", "type", "bins": [...], "missing"}...],
  ///  "prediction": {...} or null}.
  nlohmann::json ToJson() const;
  /// Reads ToJson's form back (it comes from the store): every field is checked, and an error
  /// (kInvalidData) names the bad one, e.g. "columns[2].bins[4]". Unknown keys are ignored.
  static Result<WindowSummary> FromJson(const nlohmann::json& json);

  /// Adds `other`'s counts to this window's. An empty window (no rows, no columns, no
  /// prediction) takes other's shape. Both must have the same columns in the same order with
  /// the same types and bin counts, and both or neither a prediction; otherwise nothing is
  /// changed and the error (kInvalidArgument) names the column.
  Result<void> Merge(const WindowSummary& other);

  bool operator==(const WindowSummary&) const = default;
};

/// A monitored column that is not counted, and why.
struct SkippedColumn {
  std::string name;
  std::string reason;
};

/// Counts live rows and predictions on the reference's bins.
///
/// Thread-safety: AddRow, AddPrediction, AddBatch, AddPredictions and Take may all run at once
/// from any number of threads. AddRow and AddPrediction are lock-free and allocation-free: a
/// binary search over at most ~20 edges (or a table look-up for a category) and one relaxed
/// atomic increment per column, on one of 8 counter stripes picked per thread so that request
/// threads rarely share a cache line (about 260 ns for a 20-feature row on this machine). The
/// batch calls allocate one local count vector per call. Take moves every counter out with
/// exchange(0): a row recorded while Take runs lands whole or partly in this window and the rest in
/// the next, never lost and never counted twice (so within one window a column's total may differ
/// from `rows` by the rows in flight). Not copyable or movable; hold it by unique_ptr.
class WindowAccumulator {
 public:
  /// `features`: the model's features in row order. `reference`: the version's profile.
  /// `prediction`: what predictions are compared with, or nullopt not to count them. Features
  /// absent from the profile, of another type there, or whose reference has no rows are
  /// skipped (see skipped()); so is the prediction when its column cannot be compared.
  WindowAccumulator(std::vector<MonitoredColumn> features, const core::DataProfile& reference,
                    std::optional<MonitoredPrediction> prediction);
  ~WindowAccumulator();
  WindowAccumulator(const WindowAccumulator&) = delete;
  WindowAccumulator& operator=(const WindowAccumulator&) = delete;

  /// One served row: row.size() must equal the number of features (a programmer error
  /// otherwise). Values of skipped features are ignored. A categorical value that is not a
  /// whole index into the dictionary counts as "other"; NaN counts as missing.
  void AddRow(std::span<const float> row);
  /// One prediction: the value (regression) or the class index (classification; an index out
  /// of range or not whole counts as "other" on a categorical target and as missing on a
  /// numeric one). NaN counts as missing. No-op when predictions are not counted.
  void AddPrediction(float value_or_class_index);

  /// A batch of rows, column-major: columns[j] holds feature j's values for every row, and all
  /// have the same length (programmer error otherwise). Counted locally, then one atomic add
  /// per bin: for `hone feedback`, tests and benchmarks.
  void AddBatch(std::span<const std::span<const float>> columns);
  /// A batch of predictions, as AddPrediction each.
  void AddPredictions(std::span<const float> predictions);

  /// The counts since the previous Take (or construction), which are reset.
  WindowSummary Take();

  const std::vector<MonitoredColumn>& features() const { return features_; }
  /// Features not counted, with the reason, in the model's order.
  const std::vector<SkippedColumn>& skipped() const { return skipped_; }
  /// Why predictions are not counted (no prediction description, the target missing from the
  /// profile, ...), or nullopt when they are.
  const std::optional<std::string>& prediction_skipped() const { return prediction_skipped_; }

 private:
  // How one counted column turns a value into a counter slot. Numeric: the reference's inner
  // edges. Categorical (and classification predictions): value index -> bin.
  struct Binning {
    std::string name;
    size_t feature = 0;  // index in the row (features only)
    core::ColumnType type = core::ColumnType::kNumeric;
    bool by_code = false;            // look the value up in code_bin instead of edges
    std::vector<double> edges;       // numeric binning
    std::vector<float> float_edges;  // each edge rounded down to a float (the batch path)
    std::vector<uint32_t> code_bin;  // by_code: bin of index i
    uint32_t other_bin = 0;          // by_code: bin of an index out of range (missing for preds)
    uint32_t num_bins = 0;           // counted bins; the missing slot follows them
    uint32_t offset = 0;             // first counter slot
  };
  struct alignas(64) Line {
    std::atomic<uint64_t> slot[8];
  };

  static uint32_t BinOf(const Binning& b, float v);
  std::atomic<uint64_t>& Counter(size_t stripe, size_t slot) {
    const size_t i = stripe * stripe_slots_ + slot;
    return lines_[i / 8].slot[i % 8];
  }
  void AddLocal(const Binning& b, std::span<const float> values, std::vector<uint64_t>& local);
  void Flush(size_t stripe, const std::vector<uint64_t>& local);
  ColumnCounts Collect(const Binning& b, const std::vector<uint64_t>& totals) const;

  std::vector<MonitoredColumn> features_;
  std::vector<SkippedColumn> skipped_;
  std::optional<std::string> prediction_skipped_;
  std::vector<Binning> binnings_;
  std::optional<Binning> prediction_;
  size_t stripe_slots_ = 0;  // slot 0 holds the row count; a multiple of 8
  std::unique_ptr<Line[]> lines_;
};

}  // namespace hone::monitor

#endif  // HONE_MONITOR_WINDOW_H_
