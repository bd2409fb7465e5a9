#include "hone/core/schema.h"

#include <unordered_set>

#include <nlohmann/json.hpp>

namespace hone::core {

const char* ColumnTypeName(ColumnType type) {
  return type == ColumnType::kNumeric ? "numeric" : "categorical";
}

Result<ColumnType> ParseColumnType(std::string_view name) {
  if (name == "numeric") return ColumnType::kNumeric;
  if (name == "categorical") return ColumnType::kCategorical;
  return Fail(ErrorCode::kInvalidArgument,
              "unknown column type '" + std::string(name) + "'; known: numeric, categorical");
}

Result<Schema> Schema::Create(std::vector<Field> fields) {
  std::unordered_set<std::string_view> seen;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name.empty()) {
      return Fail(ErrorCode::kInvalidData, "column " + std::to_string(i + 1) + " has no name");
    }
    if (!seen.insert(fields[i].name).second) {
      return Fail(ErrorCode::kInvalidData, "column name '" + fields[i].name + "' appears twice");
    }
  }
  return Schema(std::move(fields));
}

std::optional<size_t> Schema::Find(std::string_view name) const {
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].name == name) return i;
  }
  return std::nullopt;
}

const Field* Schema::FindField(std::string_view name) const {
  auto i = Find(name);
  return i ? &fields_[*i] : nullptr;
}

nlohmann::json Schema::ToJson() const {
  nlohmann::json out = nlohmann::json::array();
  for (const Field& f : fields_) {
    out.push_back({{"name", f.name}, {"type", ColumnTypeName(f.type)}});
  }
  return out;
}

Result<Schema> Schema::FromJson(const nlohmann::json& json) {
  if (!json.is_array()) {
    return Fail(ErrorCode::kInvalidData, "schema must be a JSON array of {name, type} objects");
  }
  std::vector<Field> fields;
  for (size_t i = 0; i < json.size(); ++i) {
    const nlohmann::json& entry = json[i];
    auto where = "schema entry " + std::to_string(i);
    if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() ||
        !entry.contains("type") || !entry["type"].is_string()) {
      return Fail(ErrorCode::kInvalidData, where + " must be {\"name\": string, \"type\": string}");
    }
    auto type = ParseColumnType(entry["type"].get<std::string>());
    if (!type) return Fail(type.error().WithContext(where));
    fields.push_back({entry["name"].get<std::string>(), *type});
  }
  return Create(std::move(fields));
}

}  // namespace hone::core
