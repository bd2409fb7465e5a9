// The columnar Table: hone's in-memory data set. Numeric columns hold float32 values with NaN
// for missing; categorical columns hold dictionary codes with -1 for missing.
#ifndef HONE_CORE_TABLE_H_
#define HONE_CORE_TABLE_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hone/core/error.h"
#include "hone/core/schema.h"

namespace hone::core {

/// Code of a missing categorical cell.
inline constexpr int32_t kMissingCode = -1;

/// One named column. Immutable after construction; cheap to move, not to copy.
class Column {
 public:
  /// A numeric column; NaN marks a missing value.
  static Column Numeric(std::string name, std::vector<float> values);
  /// A categorical column: `codes[i]` indexes `dictionary`, or is kMissingCode.
  /// Codes must be in [-1, dictionary.size()); dictionary entries must be distinct.
  static Column Categorical(std::string name, std::vector<int32_t> codes,
                            std::vector<std::string> dictionary);

  const std::string& name() const { return name_; }
  ColumnType type() const { return type_; }
  bool is_numeric() const { return type_ == ColumnType::kNumeric; }
  bool is_categorical() const { return type_ == ColumnType::kCategorical; }
  size_t size() const { return is_numeric() ? values_.size() : codes_.size(); }

  /// Numeric values (empty for a categorical column).
  std::span<const float> values() const { return values_; }
  /// Categorical codes (empty for a numeric column).
  std::span<const int32_t> codes() const { return codes_; }
  const std::vector<std::string>& dictionary() const { return dictionary_; }

  bool IsMissing(size_t row) const;
  size_t CountMissing() const;
  /// The cell as text, as a CSV writer would print it ("" for missing).
  std::string CellText(size_t row) const;

  /// The rows `rows` of this column, in that order. Indices must be < size().
  Column Take(std::span<const uint32_t> rows) const;
  Column Renamed(std::string name) const;

 private:
  Column(std::string name, ColumnType type) : name_(std::move(name)), type_(type) {}

  std::string name_;
  ColumnType type_;
  std::vector<float> values_;
  std::vector<int32_t> codes_;
  std::vector<std::string> dictionary_;
};

/// A set of equally long, uniquely named columns. Immutable after Create.
class Table {
 public:
  Table() = default;
  /// Fails if the columns differ in length or share a name.
  static Result<Table> Create(std::vector<Column> columns);

  size_t num_rows() const { return num_rows_; }
  size_t num_columns() const { return columns_.size(); }
  const Column& column(size_t i) const { return columns_[i]; }
  const std::vector<Column>& columns() const { return columns_; }
  std::optional<size_t> FindColumn(std::string_view name) const;
  Schema schema() const;

  /// The rows `rows`, in that order.
  Table Take(std::span<const uint32_t> rows) const;
  /// The same table without the named column (a no-op if absent).
  Table Drop(std::string_view name) const;

 private:
  explicit Table(std::vector<Column> columns, size_t num_rows)
      : columns_(std::move(columns)), num_rows_(num_rows) {}

  std::vector<Column> columns_;
  size_t num_rows_ = 0;
};

}  // namespace hone::core

#endif  // HONE_CORE_TABLE_H_
