// WindowSummary as JSON (written to and read back from the store) and the merging of windows.
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "hone/monitor/window.h"

namespace hone::monitor {
namespace {

using nlohmann::json;

tl::unexpected<Error> Bad(const std::string& field, const std::string& problem) {
  return Fail(ErrorCode::kInvalidData, "window summary: '" + field + "' " + problem);
}

Result<uint64_t> CountAt(const json& j, const std::string& field) {
  if (!j.is_number_integer() || (!j.is_number_unsigned() && j.get<int64_t>() < 0)) {
    return Bad(field, "must be a non-negative integer, not " + j.dump());
  }
  return j.get<uint64_t>();
}

const json* Member(const json& object, const char* key) {
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

Result<ColumnCounts> CountsFromJson(const json& j, const std::string& field) {
  if (!j.is_object()) return Bad(field, "must be an object");
  ColumnCounts c;
  const json* name = Member(j, "name");
  if (name == nullptr) return Bad(field + ".name", "is missing");
  if (!name->is_string() || name->get_ref<const std::string&>().empty()) {
    return Bad(field + ".name", "must be a non-empty string");
  }
  c.name = name->get<std::string>();
  const json* type = Member(j, "type");
  if (type == nullptr) return Bad(field + ".type", "is missing");
  if (!type->is_string()) return Bad(field + ".type", "must be \"numeric\" or \"categorical\"");
  auto parsed = core::ParseColumnType(type->get<std::string>());
  if (!parsed) return Bad(field + ".type", "is invalid: " + parsed.error().message());
  c.type = *parsed;
  const json* bins = Member(j, "bins");
  if (bins == nullptr) return Bad(field + ".bins", "is missing");
  if (!bins->is_array() || bins->empty()) return Bad(field + ".bins", "must be a non-empty array");
  for (size_t i = 0; i < bins->size(); ++i) {
    HONE_ASSIGN_OR_RETURN(uint64_t count,
                          CountAt((*bins)[i], field + ".bins[" + std::to_string(i) + "]"));
    c.bins.push_back(count);
  }
  const json* missing = Member(j, "missing");
  if (missing == nullptr) return Bad(field + ".missing", "is missing");
  HONE_ASSIGN_OR_RETURN(c.missing, CountAt(*missing, field + ".missing"));
  return c;
}

json CountsToJson(const ColumnCounts& c) {
  return {{"name", c.name},
          {"type", core::ColumnTypeName(c.type)},
          {"bins", c.bins},
          {"missing", c.missing}};
}

// Why `b`'s counts cannot be added to `a`'s, or "" when they can.
std::string ShapeMismatch(const ColumnCounts& a, const ColumnCounts& b) {
  if (a.name != b.name) return "'" + b.name + "' where '" + a.name + "' was expected";
  if (a.type != b.type) {
    return "'" + a.name + "' is " + core::ColumnTypeName(b.type) + " in one window and " +
           core::ColumnTypeName(a.type) + " in the other";
  }
  if (a.bins.size() != b.bins.size()) {
    return "'" + a.name + "' has " + std::to_string(b.bins.size()) + " bins in one window and " +
           std::to_string(a.bins.size()) + " in the other";
  }
  return "";
}

bool AddOverflows(const ColumnCounts& a, const ColumnCounts& b) {
  uint64_t unused;
  for (size_t i = 0; i < a.bins.size(); ++i) {
    if (__builtin_add_overflow(a.bins[i], b.bins[i], &unused)) return true;
  }
  return __builtin_add_overflow(a.missing, b.missing, &unused);
}

void Add(ColumnCounts& a, const ColumnCounts& b) {
  for (size_t i = 0; i < a.bins.size(); ++i) a.bins[i] += b.bins[i];
  a.missing += b.missing;
}

bool IsEmpty(const WindowSummary& w) { return w.rows == 0 && w.columns.empty() && !w.prediction; }

}  // namespace

json WindowSummary::ToJson() const {
  json cols = json::array();
  for (const ColumnCounts& c : columns) cols.push_back(CountsToJson(c));
  return {{"rows", rows},
          {"columns", std::move(cols)},
          {"prediction", prediction ? CountsToJson(*prediction) : json(nullptr)}};
}

Result<WindowSummary> WindowSummary::FromJson(const json& j) {
  if (!j.is_object()) return Fail(ErrorCode::kInvalidData, "window summary: must be an object");
  WindowSummary w;
  const json* rows = Member(j, "rows");
  if (rows == nullptr) return Bad("rows", "is missing");
  HONE_ASSIGN_OR_RETURN(w.rows, CountAt(*rows, "rows"));
  const json* columns = Member(j, "columns");
  if (columns == nullptr) return Bad("columns", "is missing");
  if (!columns->is_array()) return Bad("columns", "must be an array");
  std::set<std::string> names;
  for (size_t i = 0; i < columns->size(); ++i) {
    const std::string field = "columns[" + std::to_string(i) + "]";
    HONE_ASSIGN_OR_RETURN(ColumnCounts c, CountsFromJson((*columns)[i], field));
    if (!names.insert(c.name).second) return Bad(field + ".name", "repeats '" + c.name + "'");
    w.columns.push_back(std::move(c));
  }
  if (const json* prediction = Member(j, "prediction");
      prediction != nullptr && !prediction->is_null()) {
    HONE_ASSIGN_OR_RETURN(w.prediction, CountsFromJson(*prediction, "prediction"));
  }
  return w;
}

Result<void> WindowSummary::Merge(const WindowSummary& other) {
  if (IsEmpty(other)) return {};
  if (IsEmpty(*this)) {
    *this = other;
    return {};
  }
  auto mismatch = [](const std::string& what) {
    return Fail(ErrorCode::kInvalidArgument, "cannot merge windows: " + what);
  };
  // Everything is checked before anything is added, so that a failed merge changes nothing.
  for (size_t i = 0; i < std::max(columns.size(), other.columns.size()); ++i) {
    if (i >= columns.size()) return mismatch("column '" + other.columns[i].name + "' is extra");
    if (i >= other.columns.size()) return mismatch("column '" + columns[i].name + "' is absent");
    if (std::string why = ShapeMismatch(columns[i], other.columns[i]); !why.empty()) {
      return mismatch("column " + why);
    }
    if (AddOverflows(columns[i], other.columns[i])) {
      return mismatch("column '" + columns[i].name + "': counts overflow");
    }
  }
  if (prediction.has_value() != other.prediction.has_value()) {
    const ColumnCounts& p = prediction ? *prediction : *other.prediction;
    return mismatch("prediction '" + p.name + "' is counted in one window only");
  }
  if (prediction) {
    if (std::string why = ShapeMismatch(*prediction, *other.prediction); !why.empty()) {
      return mismatch("prediction " + why);
    }
    if (AddOverflows(*prediction, *other.prediction)) {
      return mismatch("prediction '" + prediction->name + "': counts overflow");
    }
  }
  uint64_t sum_rows;
  if (__builtin_add_overflow(rows, other.rows, &sum_rows)) return mismatch("rows overflow");
  rows = sum_rows;
  for (size_t i = 0; i < columns.size(); ++i) Add(columns[i], other.columns[i]);
  if (prediction) Add(*prediction, *other.prediction);
  return {};
}

}  // namespace hone::monitor
