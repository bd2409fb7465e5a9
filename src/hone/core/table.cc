#include "hone/core/table.h"

#include <charconv>
#include <cmath>
#include <unordered_set>

namespace hone::core {

Column Column::Numeric(std::string name, std::vector<float> values) {
  Column c(std::move(name), ColumnType::kNumeric);
  c.values_ = std::move(values);
  return c;
}

Column Column::Categorical(std::string name, std::vector<int32_t> codes,
                           std::vector<std::string> dictionary) {
  Column c(std::move(name), ColumnType::kCategorical);
  c.codes_ = std::move(codes);
  c.dictionary_ = std::move(dictionary);
  return c;
}

bool Column::IsMissing(size_t row) const {
  return is_numeric() ? std::isnan(values_[row]) : codes_[row] == kMissingCode;
}

size_t Column::CountMissing() const {
  size_t n = 0;
  if (is_numeric()) {
    for (float v : values_) n += std::isnan(v);
  } else {
    for (int32_t c : codes_) n += c == kMissingCode;
  }
  return n;
}

std::string Column::CellText(size_t row) const {
  if (IsMissing(row)) return "";
  if (is_categorical()) return dictionary_[codes_[row]];
  // Shortest text that reads back to the same float.
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), values_[row]);
  return std::string(buf, end);
}

Column Column::Take(std::span<const uint32_t> rows) const {
  if (is_numeric()) {
    std::vector<float> out(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) out[i] = values_[rows[i]];
    return Numeric(name_, std::move(out));
  }
  std::vector<int32_t> out(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) out[i] = codes_[rows[i]];
  return Categorical(name_, std::move(out), dictionary_);
}

Column Column::Renamed(std::string name) const {
  Column c = *this;
  c.name_ = std::move(name);
  return c;
}

Result<Table> Table::Create(std::vector<Column> columns) {
  std::unordered_set<std::string_view> names;
  size_t rows = columns.empty() ? 0 : columns[0].size();
  for (const Column& c : columns) {
    if (!names.insert(c.name()).second) {
      return Fail(ErrorCode::kInvalidData, "column name '" + c.name() + "' appears twice");
    }
    if (c.size() != rows) {
      return Fail(ErrorCode::kInvalidData, "column '" + c.name() + "' has " +
                                               std::to_string(c.size()) + " rows, expected " +
                                               std::to_string(rows));
    }
  }
  return Table(std::move(columns), rows);
}

std::optional<size_t> Table::FindColumn(std::string_view name) const {
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i].name() == name) return i;
  }
  return std::nullopt;
}

Schema Table::schema() const {
  std::vector<Field> fields;
  fields.reserve(columns_.size());
  for (const Column& c : columns_) fields.push_back({c.name(), c.type()});
  auto schema = Schema::Create(std::move(fields));
  HONE_CHECK(schema.has_value());  // names are unique by construction
  return *std::move(schema);
}

Table Table::Take(std::span<const uint32_t> rows) const {
  std::vector<Column> out;
  out.reserve(columns_.size());
  for (const Column& c : columns_) out.push_back(c.Take(rows));
  return Table(std::move(out), rows.size());
}

Table Table::Drop(std::string_view name) const {
  std::vector<Column> out;
  for (const Column& c : columns_) {
    if (c.name() != name) out.push_back(c);
  }
  return Table(std::move(out), num_rows_);
}

}  // namespace hone::core
