// The feature space of a model: which columns it reads, their types and category
// dictionaries, and the encoding of a Table into float32 features.
#ifndef HONE_LEARN_FEATURES_H_
#define HONE_LEARN_FEATURES_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "hone/core/error.h"
#include "hone/core/pii.h"
#include "hone/core/table.h"

namespace hone::learn {

/// Column-major float32 feature values. Numeric features hold their value; categorical
/// features hold the category's index in the model's dictionary. NaN marks a missing value
/// (and an unseen category). Immutable in use; built by FeatureSchema::Encode or by hand in
/// tests.
class FeatureMatrix {
 public:
  FeatureMatrix() = default;
  FeatureMatrix(size_t num_rows, size_t num_features)
      : num_rows_(num_rows), num_features_(num_features), data_(num_rows * num_features) {}

  size_t num_rows() const { return num_rows_; }
  size_t num_features() const { return num_features_; }
  std::span<const float> column(size_t j) const {
    return {data_.data() + j * num_rows_, num_rows_};
  }
  std::span<float> mutable_column(size_t j) { return {data_.data() + j * num_rows_, num_rows_}; }
  float at(size_t row, size_t feature) const { return data_[feature * num_rows_ + row]; }
  /// Copies row `row` into `out` (num_features values).
  void CopyRow(size_t row, std::span<float> out) const;
  /// Rows `rows`, in that order.
  FeatureMatrix Take(std::span<const uint32_t> rows) const;

 private:
  size_t num_rows_ = 0;
  size_t num_features_ = 0;
  std::vector<float> data_;
};

struct FeatureInfo {
  std::string name;
  core::ColumnType type = core::ColumnType::kNumeric;
  /// Categorical only: the categories seen in training, in byte order. A feature value is an
  /// index into this list.
  std::vector<std::string> categories;

  bool operator==(const FeatureInfo&) const = default;
};

/// The ordered features a model reads. Immutable; safe to share between threads.
class FeatureSchema {
 public:
  FeatureSchema() = default;
  explicit FeatureSchema(std::vector<FeatureInfo> features);

  /// Every column of `table` becomes a feature, with the categories that occur in it, sorted.
  static FeatureSchema FromTable(const core::Table& table);

  const std::vector<FeatureInfo>& features() const { return features_; }
  size_t size() const { return features_.size(); }

  /// Encodes `table` into this feature space. Columns are matched by name, in any order; other
  /// columns are ignored. Categories are looked up by text; an unseen category becomes missing.
  /// A categorical feature read as a numeric column (codes such as 02134 written as numbers)
  /// is looked up by the number's text. Fails, naming the columns, when a feature column is
  /// absent or a numeric feature holds text.
  Result<FeatureMatrix> Encode(const core::Table& table) const;

  /// The encoded value of one raw cell: a number for a numeric feature, a category index for a
  /// categorical one (NaN when missing or unseen). Used on the single-row path.
  float EncodeCategory(size_t feature, std::string_view text) const;

  /// A copy that reads raw rows for a model trained on data that went through `policy`
  /// (core/pii.h): the categories of its `hash` features are looked up by their keyed hash
  /// (Encode and EncodeCategory hash the raw text first), and its `drop` columns are columns
  /// a request may carry and that are ignored (IgnoresColumn). `key` is required when the
  /// policy hashes a feature. Used where raw data enters (a server's requests, `hone predict`),
  /// never on data the pipeline already transformed.
  FeatureSchema ForRawInputs(const core::PiiPolicy& policy,
                             std::shared_ptr<const core::PiiKey> key) const;
  /// Whether `name` is a column the rows may carry that the model does not read because the
  /// policy dropped it before training (ForRawInputs).
  bool IgnoresColumn(std::string_view name) const;

  nlohmann::json ToJson() const;
  static Result<FeatureSchema> FromJson(const nlohmann::json& json);

  bool operator==(const FeatureSchema& other) const {
    return features_ == other.features_ && hashed_ == other.hashed_ && ignored_ == other.ignored_;
  }

 private:
  std::vector<FeatureInfo> features_;
  /// ForRawInputs: per feature, whether its raw text is hashed before lookup (empty: none is),
  /// the key that hashes, and the dropped columns.
  std::vector<uint8_t> hashed_;
  std::shared_ptr<const core::PiiKey> key_;
  std::vector<std::string> ignored_;
  /// Per categorical feature: category text → index.
  std::vector<std::unordered_map<std::string, int32_t>> lookup_;
};

}  // namespace hone::learn

#endif  // HONE_LEARN_FEATURES_H_
