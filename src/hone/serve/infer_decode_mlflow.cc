// DecodeMlflowRequest: the JSON forms of MLflow's scoring server (dataframe_split,
// dataframe_records, instances, inputs); text/csv bodies go to infer_decode_csv.cc.
#include <cctype>
#include <string>
#include <vector>

#include "hone/serve/infer_codec.h"
#include "hone/serve/infer_values.h"

namespace hone::serve {

namespace {

using internal::FeatureNames;
using internal::ValueRule;
using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

constexpr std::string_view kKeys[] = {"dataframe_split", "dataframe_records", "instances",
                                      "inputs"};

Result<void> Invalid(std::string message) {
  return Fail(ErrorCode::kInvalidArgument, std::move(message));
}

// The request's rows, decoded into `values` (rows × features, NaN-filled).
class RowWriter {
 public:
  RowWriter(const learn::FeatureSchema& schema, const learn::TargetInfo& target, DecodedRows& out)
      : schema_(schema), names_(schema, target), out_(out) {}

  Result<void> Start(size_t rows, const DecodeLimits& limits) {
    HONE_TRY(internal::CheckRowLimit(rows, limits));
    out_.rows = rows;
    out_.values.assign(rows * schema_.size(), internal::kMissing);
    return {};
  }

  // One value of feature j in row r; `where` names it in an error.
  template <typename Where>
  Result<void> Put(element value, size_t r, size_t j, const Where& where) {
    if (internal::EncodeJsonValue(value, schema_, j, ValueRule{},
                                  out_.values[r * schema_.size() + j], problem_)) {
      return {};
    }
    return internal::ValueError(where(), problem_);
  }

  // A record {column: value}; `where` is "dataframe_records[3]".
  Result<void> Record(object record, size_t r, const std::string_view key) {
    for (auto field : record) {
      size_t j = names_.Find(field.key);
      if (j == FeatureNames::kTarget) continue;
      if (j == FeatureNames::kUnknown) {
        return Invalid(Index(key, r) + ": " + names_.Unknown(field.key));
      }
      HONE_TRY(
          Put(field.value, r, j, [&] { return Index(key, r) + "." + schema_.features()[j].name; }));
    }
    return {};
  }

  // A row of every feature in the schema's order.
  Result<void> Row(array row, size_t r, const std::string_view key) {
    size_t n = internal::ArraySize(row);
    if (n != schema_.size()) {
      return Invalid(Index(key, r) + ": a row has " + std::to_string(n) + " values, expected " +
                     std::to_string(schema_.size()) + " (one per feature, in the model's order)");
    }
    size_t j = 0;
    for (element value : row) {
      HONE_TRY(Put(value, r, j, [&] { return Index(key, r) + Index("", j) + Feature(j); }));
      ++j;
    }
    return {};
  }

  // Records or rows: "instances" and the list form of "inputs".
  Result<void> Instances(array list, const std::string_view key, const DecodeLimits& limits) {
    HONE_TRY(Start(internal::ArraySize(list), limits));
    size_t r = 0;
    for (element item : list) {
      if (item.type() == element_type::OBJECT) {
        HONE_TRY(Record(item.get_object().value_unsafe(), r, key));
      } else if (item.type() == element_type::ARRAY) {
        HONE_TRY(Row(item.get_array().value_unsafe(), r, key));
      } else {
        return Invalid(Index(key, r) + ": expected an object (a record) or an array (a row), got " +
                       internal::JsonTypeName(item.type()));
      }
      ++r;
    }
    return {};
  }

  Result<void> Records(array list, const DecodeLimits& limits) {
    HONE_TRY(Start(internal::ArraySize(list), limits));
    size_t r = 0;
    for (element item : list) {
      if (item.type() != element_type::OBJECT) {
        return Invalid(Index("dataframe_records", r) + ": expected an object, got " +
                       internal::JsonTypeName(item.type()));
      }
      HONE_TRY(Record(item.get_object().value_unsafe(), r++, "dataframe_records"));
    }
    return {};
  }

  // {"columns": [...], "data": [[...], ...], "index"?: [...]}
  Result<void> Split(element split, const DecodeLimits& limits) {
    object fields;
    array columns, data;
    if (split.get_object().get(fields) || fields["columns"].get_array().get(columns) ||
        fields["data"].get_array().get(data)) {
      return Invalid(
          "dataframe_split must be an object with \"columns\" (an array of names) and \"data\" "
          "(an array of rows)");
    }
    std::vector<size_t> feature;
    std::vector<bool> seen(schema_.size());
    for (element column : columns) {
      std::string_view name;
      std::string where = "dataframe_split.columns[" + std::to_string(feature.size()) + "]";
      if (column.get_string().get(name)) return Invalid(where + ": expected a string");
      size_t j = names_.Find(name);
      if (j == FeatureNames::kUnknown) return Invalid(where + ": " + names_.Unknown(name));
      if (j != FeatureNames::kTarget) {
        if (seen[j]) return Invalid(where + ": column '" + std::string(name) + "' appears twice");
        seen[j] = true;
      }
      feature.push_back(j);
    }
    HONE_TRY(Start(internal::ArraySize(data), limits));
    size_t r = 0;
    for (element item : data) {
      array row;
      size_t n = item.get_array().get(row) ? 0 : internal::ArraySize(row);
      if (item.type() != element_type::ARRAY || n != feature.size()) {
        return Invalid(Index("dataframe_split.data", r) + ": expected an array of " +
                       std::to_string(feature.size()) + " values (one per column)");
      }
      size_t c = 0;
      for (element value : row) {
        size_t j = feature[c];
        if (j != FeatureNames::kTarget) {
          HONE_TRY(Put(value, r, j, [&] {
            return Index("dataframe_split.data", r) + Index("", c) + Feature(j);
          }));
        }
        ++c;
      }
      ++r;
    }
    return {};
  }

  // {"column": [values], ...}: the dict form of "inputs".
  Result<void> Columns(object dict, const DecodeLimits& limits) {
    size_t rows = 0;
    bool first = true;
    for (auto field : dict) {
      array list;
      if (field.value.get_array().get(list)) {
        return Invalid("inputs." + std::string(field.key) + ": expected an array of values");
      }
      size_t n = internal::ArraySize(list);
      if (!first && n != rows) {
        return Invalid("inputs." + std::string(field.key) + " has " + std::to_string(n) +
                       " values but the columns before it have " + std::to_string(rows));
      }
      rows = n;
      first = false;
    }
    HONE_TRY(Start(rows, limits));
    std::vector<bool> seen(schema_.size());
    for (auto field : dict) {
      size_t j = names_.Find(field.key);
      if (j == FeatureNames::kTarget) continue;
      if (j == FeatureNames::kUnknown) return Invalid("inputs: " + names_.Unknown(field.key));
      if (seen[j]) return Invalid("inputs: column '" + std::string(field.key) + "' appears twice");
      seen[j] = true;
      size_t r = 0;
      for (element value : array(field.value.get_array().value_unsafe())) {
        HONE_TRY(
            Put(value, r, j, [&] { return "inputs." + std::string(field.key) + Index("", r); }));
        ++r;
      }
    }
    return {};
  }

 private:
  static std::string Index(std::string_view key, size_t i) {
    return std::string(key) + "[" + std::to_string(i) + "]";
  }
  std::string Feature(size_t j) const { return " (" + schema_.features()[j].name + ")"; }

  const learn::FeatureSchema& schema_;
  FeatureNames names_;
  DecodedRows& out_;
  std::string problem_;
};

Result<DecodedRows> DecodeJson(std::string_view body, const learn::FeatureSchema& schema,
                               const learn::TargetInfo& target, const DecodeLimits& limits) {
  HONE_ASSIGN_OR_RETURN(element root, internal::ParseJson(body));
  object request;
  if (root.get_object().get(request)) {
    return Fail(ErrorCode::kInvalidArgument, "the request body must be a JSON object");
  }
  std::string_view found_key;
  element found;
  std::string keys;
  size_t count = 0;
  for (auto field : request) {
    for (std::string_view key : kKeys) {
      if (field.key == key) {
        ++count;
        found_key = key;
        found = field.value;
        keys += (keys.empty() ? "\"" : ", \"") + std::string(key) + "\"";
      }
    }
  }
  if (count != 1) {
    return Fail(ErrorCode::kInvalidArgument,
                "expected exactly one of \"dataframe_split\", \"dataframe_records\", "
                "\"instances\", \"inputs\"; got " +
                    (count == 0 ? std::string("none") : keys));
  }
  DecodedRows decoded;
  RowWriter writer(schema, target, decoded);
  if (found_key == "dataframe_split") {
    HONE_TRY(writer.Split(found, limits));
  } else if (found_key == "inputs" && found.type() == element_type::OBJECT) {
    HONE_TRY(writer.Columns(found.get_object().value_unsafe(), limits));
  } else if (found.type() != element_type::ARRAY) {
    return Fail(ErrorCode::kInvalidArgument,
                std::string(found_key) +
                    (found_key == "inputs" ? " must be an array of records or rows, or an "
                                             "object of column → values"
                                           : " must be an array") +
                    ", got " + internal::JsonTypeName(found.type()));
  } else if (found_key == "dataframe_records") {
    HONE_TRY(writer.Records(found.get_array().value_unsafe(), limits));
  } else {
    HONE_TRY(writer.Instances(found.get_array().value_unsafe(), found_key, limits));
  }
  return decoded;
}

// "Application/JSON; charset=utf-8" → "application/json".
std::string MediaType(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  std::string out(type);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

Result<DecodedRows> DecodeMlflowRequest(std::string_view body, std::string_view content_type,
                                        const learn::FeatureSchema& schema,
                                        const learn::TargetInfo& target,
                                        const DecodeLimits& limits) {
  std::string type = MediaType(content_type);
  if (type == "application/json") return DecodeJson(body, schema, target, limits);
  if (type == "text/csv") return internal::DecodeCsvRows(body, schema, target, limits);
  return Fail(ErrorCode::kUnsupported, "unsupported Content-Type '" + std::string(content_type) +
                                           "'; use application/json or text/csv");
}

}  // namespace hone::serve
