#include "hone/learn/params.h"

#include <charconv>
#include <cmath>
#include <sstream>

#include "hone/core/error.h"

namespace hone::learn {

const char* ParamTypeName(ParamType type) {
  switch (type) {
    case ParamType::kInt:
      return "int";
    case ParamType::kFloat:
      return "float";
    case ParamType::kBool:
      return "bool";
    case ParamType::kChoice:
      return "choice";
    case ParamType::kText:
      return "text";
  }
  return "unknown";
}

const nlohmann::json& ParamValues::Get(std::string_view name) const {
  auto it = values_.find(std::string(name));
  HONE_CHECK(it != values_.end());  // trainers read only the names their table declares
  return it->second;
}

int64_t ParamValues::Int(std::string_view name) const { return Get(name).get<int64_t>(); }
double ParamValues::Float(std::string_view name) const { return Get(name).get<double>(); }
bool ParamValues::Bool(std::string_view name) const { return Get(name).get<bool>(); }
const std::string& ParamValues::Text(std::string_view name) const {
  return Get(name).get_ref<const std::string&>();
}

nlohmann::json ParamValues::ToJson() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : values_) out[k] = v;
  return out;
}

Result<std::pair<std::string, std::string>> ParseParamAssignment(std::string_view text) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return Fail(ErrorCode::kInvalidArgument,
                "parameter '" + std::string(text) + "' must be written KEY=VALUE");
  }
  return std::pair{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

ParamTable::ParamTable(std::string owner, std::vector<ParamSpec> specs)
    : owner_(std::move(owner)), specs_(std::move(specs)) {
  for (const ParamSpec& spec : specs_) {
    HONE_CHECK(ParseValue(spec, spec.default_value).has_value());  // defaults must be valid
  }
}

const ParamSpec* ParamTable::Find(std::string_view name) const {
  for (const ParamSpec& s : specs_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

namespace {

std::string FormatNumber(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::ostringstream out;
  out << v;
  return out.str();
}

std::string RangeText(const ParamSpec& spec) {
  bool has_min = std::isfinite(spec.min);
  bool has_max = std::isfinite(spec.max);
  if (!has_min && !has_max) return "";
  std::string lo = has_min ? (spec.min_exclusive ? "(" : "[") + FormatNumber(spec.min) : "(-inf";
  std::string hi = has_max ? FormatNumber(spec.max) + "]" : "inf)";
  return lo + ", " + hi;
}

}  // namespace

Result<nlohmann::json> ParamTable::ParseValue(const ParamSpec& spec, std::string_view text) const {
  auto bad = [&](const std::string& why) {
    return Fail(ErrorCode::kInvalidArgument, "parameter '" + spec.name + "' of " + owner_ + ": '" +
                                                 std::string(text) + "' " + why);
  };
  auto check_range = [&](double v) -> std::optional<std::string> {
    bool low = spec.min_exclusive ? v <= spec.min : v < spec.min;
    if (low || v > spec.max || std::isnan(v)) return "is outside " + RangeText(spec);
    return std::nullopt;
  };
  switch (spec.type) {
    case ParamType::kInt: {
      int64_t v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || end != text.data() + text.size()) return bad("is not an integer");
      if (auto why = check_range(static_cast<double>(v))) return bad(*why);
      return nlohmann::json(v);
    }
    case ParamType::kFloat: {
      double v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) {
        return bad("is not a number");
      }
      if (auto why = check_range(v)) return bad(*why);
      return nlohmann::json(v);
    }
    case ParamType::kBool: {
      if (text == "true" || text == "1" || text == "yes") return nlohmann::json(true);
      if (text == "false" || text == "0" || text == "no") return nlohmann::json(false);
      return bad("is not a boolean; use true or false");
    }
    case ParamType::kChoice: {
      for (const std::string& c : spec.choices) {
        if (c == text) return nlohmann::json(c);
      }
      std::string list;
      for (const std::string& c : spec.choices) list += (list.empty() ? "" : ", ") + c;
      return bad("is not one of: " + list);
    }
    case ParamType::kText: {
      if (spec.validate) {
        if (auto why = spec.validate(text)) return bad(*why);
      }
      return nlohmann::json(std::string(text));
    }
  }
  return bad("has an unknown type");
}

Result<ParamValues> ParamTable::Resolve(
    const std::vector<std::pair<std::string, std::string>>& assignments) const {
  ParamValues values;
  for (const ParamSpec& spec : specs_) {
    values.Set(spec.name, *ParseValue(spec, spec.default_value));
  }
  for (const auto& [name, text] : assignments) {
    const ParamSpec* spec = Find(name);
    if (spec == nullptr) {
      std::string list;
      for (const ParamSpec& s : specs_) list += (list.empty() ? "" : ", ") + s.name;
      return Fail(ErrorCode::kInvalidArgument,
                  "unknown parameter '" + name + "' for " + owner_ + "; valid: " + list);
    }
    HONE_ASSIGN_OR_RETURN(auto value, ParseValue(*spec, text));
    values.Set(name, std::move(value));
  }
  return values;
}

Result<ParamValues> ParamTable::FromJson(const nlohmann::json& json) const {
  if (!json.is_object()) return Fail(ErrorCode::kInvalidData, "params must be a JSON object");
  ParamValues values;
  for (const ParamSpec& spec : specs_) {
    if (!json.contains(spec.name)) {
      return Fail(ErrorCode::kInvalidData, "params lack '" + spec.name + "'");
    }
    const nlohmann::json& v = json[spec.name];
    std::string text;
    if (v.is_string()) {
      text = v.get<std::string>();
    } else if (v.is_boolean()) {
      text = v.get<bool>() ? "true" : "false";
    } else if (v.is_number_integer()) {
      text = std::to_string(v.get<int64_t>());
    } else if (v.is_number()) {
      text = v.dump();
    } else {
      return Fail(ErrorCode::kInvalidData, "param '" + spec.name + "' has an unusable value");
    }
    auto parsed = ParseValue(spec, text);
    if (!parsed) return Fail(ErrorCode::kInvalidData, parsed.error().message());
    values.Set(spec.name, std::move(*parsed));
  }
  return values;
}

std::string ParamTable::Describe() const {
  std::ostringstream out;
  out << "Parameters of " << owner_ << " (set with --param NAME=VALUE):\n\n";
  size_t width = 4;
  for (const ParamSpec& s : specs_) width = std::max(width, s.name.size());
  for (const ParamSpec& s : specs_) {
    out << "  " << s.name << std::string(width - s.name.size() + 2, ' ') << ParamTypeName(s.type);
    out << "  default " << s.default_value;
    if (s.type == ParamType::kChoice) {
      out << "  one of {";
      for (size_t i = 0; i < s.choices.size(); ++i) out << (i ? ", " : "") << s.choices[i];
      out << "}";
    } else if (!RangeText(s).empty()) {
      out << "  range " << RangeText(s);
    }
    out << "\n  " << std::string(width + 2, ' ') << s.doc << "\n";
  }
  return out.str();
}

std::map<std::string, std::string> ParamTexts(const nlohmann::json& params) {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : params.items()) {
    out[key] = value.is_string() ? value.get<std::string>() : value.dump();
  }
  return out;
}

}  // namespace hone::learn
