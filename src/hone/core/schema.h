// Column names and types: what a CSV file is read as, and what a model expects.
#ifndef HONE_CORE_SCHEMA_H_
#define HONE_CORE_SCHEMA_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "hone/core/error.h"

namespace hone::core {

enum class ColumnType { kNumeric, kCategorical };

/// "numeric" or "categorical".
const char* ColumnTypeName(ColumnType type);
/// Parses "numeric"/"categorical"; the error lists both.
Result<ColumnType> ParseColumnType(std::string_view name);

struct Field {
  std::string name;
  ColumnType type = ColumnType::kNumeric;

  bool operator==(const Field&) const = default;
};

/// An ordered list of uniquely named fields.
class Schema {
 public:
  Schema() = default;
  /// Fails on a duplicate or empty name.
  static Result<Schema> Create(std::vector<Field> fields);

  const std::vector<Field>& fields() const { return fields_; }
  size_t size() const { return fields_.size(); }
  std::optional<size_t> Find(std::string_view name) const;
  const Field* FindField(std::string_view name) const;

  nlohmann::json ToJson() const;
  /// Reads `[{"name": ..., "type": ...}, ...]`; the error names the bad entry.
  static Result<Schema> FromJson(const nlohmann::json& json);

  bool operator==(const Schema&) const = default;

 private:
  explicit Schema(std::vector<Field> fields) : fields_(std::move(fields)) {}
  std::vector<Field> fields_;
};

}  // namespace hone::core

#endif  // HONE_CORE_SCHEMA_H_
