// hone.yaml's `checks:` section → gate::DataCheck, each kind with the options it takes.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hone/pipeline/spec_sections.h"

namespace hone::pipeline::spec_internal {
namespace {

struct CheckKindInfo {
  std::string_view name;
  gate::DataCheck::Kind kind;
  // The option keys the kind takes besides `severity`.
  std::span<const std::string_view> keys;
};
constexpr std::string_view kSchemaKeys[] = {"severity", "column", "columns"};
constexpr std::string_view kRowCountKeys[] = {"severity", "min", "max"};
constexpr std::string_view kNullsKeys[] = {"severity", "column", "columns", "max"};
constexpr std::string_view kRangeCheckKeys[] = {"severity", "column", "columns", "min", "max"};
constexpr std::string_view kCategoriesKeys[] = {"severity", "column", "columns", "allowed"};
constexpr std::string_view kUniqueKeys[] = {"severity", "column", "columns"};
constexpr std::string_view kDriftKeys[] = {"severity", "column", "columns", "max"};
constexpr CheckKindInfo kCheckKinds[] = {
    {"schema", gate::DataCheck::Kind::kSchema, kSchemaKeys},
    {"row_count", gate::DataCheck::Kind::kRowCount, kRowCountKeys},
    {"nulls", gate::DataCheck::Kind::kNulls, kNullsKeys},
    {"range", gate::DataCheck::Kind::kRange, kRangeCheckKeys},
    {"categories", gate::DataCheck::Kind::kCategories, kCategoriesKeys},
    {"unique", gate::DataCheck::Kind::kUnique, kUniqueKeys},
    {"drift", gate::DataCheck::Kind::kDrift, kDriftKeys},
};

Result<void> ReadColumns(const Context& cx, const Fields& f, std::vector<std::string>* columns) {
  constexpr std::string_view kColumnKeys[] = {"column", "columns"};
  HONE_ASSIGN_OR_RETURN(const Value* v, OneOf(cx, f, kColumnKeys));
  if (v == nullptr) return {};
  HONE_ASSIGN_OR_RETURN(*columns, Strings(cx, *v, /*single=*/true));
  return {};
}

Result<gate::DataCheck> ReadCheck(const Context& cx, const Value& item) {
  // `- schema` or `- nulls: {max: 0.05}` (or `- nulls:` with nothing after it).
  YAML::Node name_node;
  std::optional<Value> options;
  if (item.node.IsScalar()) {
    name_node = item.node;
  } else if (item.node.IsMap() && item.node.size() == 1) {
    auto it = item.node.begin();
    name_node = it->first;
    const YAML::Mark mark = it->second.IsNull() ? it->first.Mark() : it->second.Mark();
    options = Value{it->second, mark, it->first.Mark(), ""};
  } else {
    std::string found = Describe(item.node);
    if (item.node.IsMap()) {
      std::vector<std::string_view> keys;
      for (auto it = item.node.begin(); it != item.node.end(); ++it) {
        keys.push_back(it->first.IsScalar() ? std::string_view(it->first.Scalar()) : "?");
      }
      found = "a map with " + std::to_string(keys.size()) + " keys (" + Join(keys) +
              "); indent a check's options under its kind";
    }
    return cx.Fail(item, item.path +
                             " must be a check kind or a one-key map KIND: {options}, "
                             "got " +
                             found);
  }
  const Value name_value = cx.Item(name_node, item.path);
  HONE_ASSIGN_OR_RETURN(std::string name, Text(cx, name_value));
  const CheckKindInfo* info = nullptr;
  for (const CheckKindInfo& k : kCheckKinds) {
    if (k.name == name) info = &k;
  }
  if (info == nullptr) {
    std::vector<std::string_view> names;
    for (const CheckKindInfo& k : kCheckKinds) names.push_back(k.name);
    return cx.Fail(name_value,
                   item.path + ": unknown check '" + name + "'; valid checks: " + Join(names));
  }
  gate::DataCheck check;
  check.kind = info->kind;
  check.where = cx.Line(name_node.Mark());
  using Kind = gate::DataCheck::Kind;
  if (check.kind == Kind::kDrift) {
    check.severity = gate::Severity::kWarn;
    check.max = gate::kPsiAlert;
  }
  if (check.kind == Kind::kNulls) check.max = 0;
  const std::string path = item.path + "." + name;
  const bool has_options = options && !options->node.IsNull();
  Fields f;
  if (has_options) {
    options->path = path;
    HONE_ASSIGN_OR_RETURN(f, Fields::Read(cx, *options, info->keys));
  }
  // Where a missing option is reported: the options' map, or the bare kind.
  const Value& at = has_options ? f.self() : name_value;
  if (const Value* s = f.Find("severity")) {
    HONE_ASSIGN_OR_RETURN(check.severity, ReadSeverity(cx, *s));
  }
  HONE_TRY(ReadColumns(cx, f, &check.columns));
  const Value* min = f.Find("min");
  const Value* max = f.Find("max");
  auto any = [](double) { return true; };
  auto non_negative = [](double x) { return x >= 0; };
  switch (check.kind) {
    case Kind::kRowCount:
      if (min) {
        HONE_ASSIGN_OR_RETURN(check.min, Number(cx, *min, "a number >= 0", non_negative));
      }
      if (max) {
        HONE_ASSIGN_OR_RETURN(check.max, Number(cx, *max, "a number >= 0", non_negative));
      }
      if (!min && !max) check.min = 1;  // bare `row_count`: the data is not empty
      break;
    case Kind::kNulls:
      if (max) {
        HONE_ASSIGN_OR_RETURN(check.max, Number(cx, *max, "a fraction in [0, 1]",
                                                [](double x) { return x >= 0 && x <= 1; }));
      }
      break;
    case Kind::kDrift:
      if (max) {
        HONE_ASSIGN_OR_RETURN(check.max, Number(cx, *max, "a number >= 0", non_negative));
      }
      break;
    case Kind::kRange:
      if (!min && !max) return cx.Fail(at, path + " needs min, max or both");
      if (min) {
        HONE_ASSIGN_OR_RETURN(check.min, Number(cx, *min, "a number", any));
      }
      if (max) {
        HONE_ASSIGN_OR_RETURN(check.max, Number(cx, *max, "a number", any));
      }
      break;
    case Kind::kCategories: {
      const Value* allowed = f.Find("allowed");
      if (allowed == nullptr) return cx.Fail(at, path + " needs allowed, the list of valid values");
      if (allowed->node.IsSequence() && allowed->node.size() == 0) {
        return cx.Fail(*allowed, allowed->path + " must list at least one value");
      }
      HONE_ASSIGN_OR_RETURN(check.allowed, Strings(cx, *allowed, /*single=*/false));
      break;
    }
    case Kind::kSchema:
    case Kind::kUnique:
      break;
  }
  if (check.min && check.max && *check.min > *check.max) {
    return cx.Fail(*min, path + ": min (" + min->node.Scalar() + ") is greater than max (" +
                             max->node.Scalar() + ")");
  }
  const bool needs_column =
      check.kind == Kind::kRange || check.kind == Kind::kCategories || check.kind == Kind::kUnique;
  if (needs_column && check.columns.empty()) {
    return cx.Fail(at, path + " needs column or columns");
  }
  return check;
}

}  // namespace

Result<std::vector<gate::DataCheck>> ReadChecks(const Context& cx, const Value& v) {
  return List(cx, v, ReadCheck);
}

}  // namespace hone::pipeline::spec_internal
