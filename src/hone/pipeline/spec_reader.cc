// The YAML-walking machinery of hone.yaml's reader (spec_reader.h): marks turned into
// FILE:LINE:COL, maps checked for unknown and repeated keys, and the scalar readers.
#include "hone/pipeline/spec_reader.h"

#include <algorithm>
#include <cmath>

#include "hone/store/meta_store.h"

namespace hone::pipeline::spec_internal {
namespace {

std::string In(std::string_view path) {
  return path.empty() ? "at the top level" : "in " + std::string(path);
}
std::string Child(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
}

}  // namespace

std::string Join(Keys keys) {
  std::string out;
  for (std::string_view k : keys) out += (out.empty() ? "" : ", ") + std::string(k);
  return out;
}

bool Contains(Keys keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<double> ToNumber(std::string_view s) {
  if (s.starts_with('+')) s.remove_prefix(1);
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

std::optional<double> ToSeconds(std::string_view s) {
  double unit = 1;
  if (!s.empty() && (s.back() == 's' || s.back() == 'm' || s.back() == 'h')) {
    unit = s.back() == 'h' ? 3600 : s.back() == 'm' ? 60 : 1;
    s.remove_suffix(1);
  }
  std::optional<double> n = ToNumber(s);
  if (!n || *n <= 0) return std::nullopt;
  return *n * unit;
}

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "nothing";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Scalar:
      break;
  }
  std::string text = node.Scalar();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return "'" + text + "'";
}

// --- Context -------------------------------------------------------------------------------

Error Context::At(const YAML::Mark& mark, std::string_view message) const {
  return Error(ErrorCode::kInvalidArgument, LineColumn(mark) + ": " + std::string(message));
}

std::string Context::Line(const YAML::Mark& mark) const {
  return file_ + ":" + std::to_string(mark.is_null() ? 1 : mark.line + 1);
}

std::string Context::LineColumn(const YAML::Mark& mark) const {
  return Line(mark) + ":" + std::to_string(mark.is_null() ? 1 : mark.column + 1);
}

Value Context::Item(const YAML::Node& node, std::string path) const {
  YAML::Mark mark = node.Mark();
  if (node.IsNull() && !mark.is_null() && SameMark(mark)) {
    size_t pos = static_cast<size_t>(mark.pos);
    while (pos > 0 && std::string_view(" \t\r\n").find(text_[pos - 1]) != std::string_view::npos) {
      --pos;
    }
    if (pos > 0 && text_[pos - 1] == '-') mark = MarkAt(pos - 1);
  }
  return Value{node, mark, mark, std::move(path)};
}

Result<void> Context::CheckQuotes(const YAML::Node& node, int depth) const {
  constexpr int kMaxDepth = 64;
  if (depth > kMaxDepth) {
    return Fail(node.Mark(), "nested more than " + std::to_string(kMaxDepth) +
                                 " levels deep (is an alias inside its own anchor?)");
  }
  if (node.IsScalar()) return CheckClosed(node);
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (node.IsMap()) {
      HONE_TRY(CheckQuotes(it->first, depth + 1));
      HONE_TRY(CheckQuotes(it->second, depth + 1));
    } else {
      HONE_TRY(CheckQuotes(*it, depth + 1));
    }
  }
  return {};
}

int Context::FirstTabIndentedLine() const {
  int line = 1;
  bool at_indent = true;
  for (char c : text_) {
    if (c == '\n') {
      ++line;
      at_indent = true;
    } else if (at_indent && c == '\t') {
      return line;
    } else if (c != ' ') {
      at_indent = false;
    }
  }
  return 0;
}

Result<void> Context::CheckClosed(const YAML::Node& node) const {
  const YAML::Mark mark = node.Mark();
  if (node.Tag() != "!" || mark.is_null() || !SameMark(mark)) return {};
  const size_t pos = static_cast<size_t>(mark.pos);
  if (pos == text_.size()) return {};
  const char quote = text_[pos];
  if (quote != '"' && quote != '\'') return {};
  for (size_t i = pos + 1; i < text_.size(); ++i) {
    if (quote == '"' && text_[i] == '\\') {
      ++i;
    } else if (text_[i] == quote) {
      if (quote == '\'' && i + 1 < text_.size() && text_[i + 1] == '\'') {
        ++i;
      } else {
        return {};
      }
    }
  }
  return Fail(mark, std::string("unterminated quoted string: no closing ") + quote +
                        " before the end of the file");
}

YAML::Mark Context::MarkAt(size_t pos) const {
  YAML::Mark mark;
  mark.pos = static_cast<int>(pos);
  const std::string_view before = text_.substr(0, pos);
  mark.line = static_cast<int>(std::count(before.begin(), before.end(), '\n'));
  const size_t newline = before.rfind('\n');
  mark.column = static_cast<int>(newline == std::string_view::npos ? pos : pos - newline - 1);
  return mark;
}

bool Context::SameMark(const YAML::Mark& mark) const {
  if (mark.pos < 0 || static_cast<size_t>(mark.pos) > text_.size()) return false;
  const YAML::Mark at = MarkAt(static_cast<size_t>(mark.pos));
  return at.line == mark.line && at.column == mark.column;
}

// --- Fields --------------------------------------------------------------------------------

Result<Fields> Fields::Read(const Context& cx, const Value& v, Keys valid) {
  if (!v.node.IsMap()) {
    const std::string name = v.path.empty() ? "the top level" : v.path;
    return cx.Fail(v,
                   name + " must be a map of keys (" + Join(valid) + "), got " + Describe(v.node));
  }
  Fields fields;
  fields.self_ = v;
  for (auto it = v.node.begin(); it != v.node.end(); ++it) {
    // Copies: the iterator hands out a temporary pair.
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    if (!key.IsScalar()) {
      return cx.Fail(key.Mark(),
                     "keys must be plain strings, got " + Describe(key) + " " + In(v.path));
    }
    const std::string name = key.Scalar();
    if (const Value* first = fields.Find(name)) {
      return cx.Fail(key.Mark(), "duplicate key '" + name + "' " + In(v.path) + " (first at " +
                                     cx.LineColumn(first->key) + ")");
    }
    if (!Contains(valid, name)) {
      return cx.Fail(key.Mark(),
                     "unknown key '" + name + "' " + In(v.path) + "; valid keys: " + Join(valid));
    }
    const YAML::Mark mark = value.IsNull() ? key.Mark() : value.Mark();
    fields.entries_.emplace_back(name, Value{value, mark, key.Mark(), Child(v.path, name)});
  }
  return fields;
}

Result<Fields> Fields::ReadAnyKeys(const Context& cx, const Value& v) {
  // The views point into the document's nodes, which outlive this call. A key that is not a
  // plain string is left out, so that Read reports it.
  std::vector<std::string_view> any_key;
  if (v.node.IsMap()) {
    for (auto it = v.node.begin(); it != v.node.end(); ++it) {
      if (it->first.IsScalar()) any_key.push_back(it->first.Scalar());
    }
  }
  return Read(cx, v, any_key);
}

const Value* Fields::Find(std::string_view key) const {
  for (const auto& [name, value] : entries_) {
    if (name == key) return &value;
  }
  return nullptr;
}

Result<const Value*> Fields::Require(const Context& cx, std::string_view key) const {
  if (const Value* v = Find(key)) return v;
  return cx.Fail(self_, "missing required key '" + std::string(key) + "'" +
                            (self_.path.empty() ? "" : " " + In(self_.path)));
}

// --- scalars -------------------------------------------------------------------------------

Result<std::string> Text(const Context& cx, const Value& v) {
  if (!v.node.IsScalar()) {
    return cx.Fail(v, v.path + " must be a string, got " + Describe(v.node));
  }
  return v.node.Scalar();
}

Result<std::string> NonEmptyText(const Context& cx, const Value& v) {
  HONE_ASSIGN_OR_RETURN(std::string text, Text(cx, v));
  if (text.empty()) return cx.Fail(v, v.path + " must not be empty");
  return text;
}

Result<double> Duration(const Context& cx, const Value& v, std::optional<double> max_seconds,
                        std::string_view max_text) {
  std::optional<double> seconds;
  if (v.node.IsScalar()) seconds = ToSeconds(Trim(v.node.Scalar()));
  if (!seconds || (max_seconds && *seconds > *max_seconds)) {
    const std::string bound = max_seconds ? " and at most " + std::string(max_text) : std::string();
    return cx.Fail(v, v.path + " must be a duration > 0" + bound +
                          " (seconds, or 90s, 10m, 2h), got " + Describe(v.node));
  }
  return *seconds;
}

Result<int> Count(const Context& cx, const Value& v, int min) {
  return Integer<int>(cx, v, "an integer >= " + std::to_string(min),
                      [min](int n) { return n >= min; });
}

Result<uint64_t> Seed(const Context& cx, const Value& v) {
  return Integer<uint64_t>(cx, v, "a whole number >= 0", [](uint64_t) { return true; });
}

Result<bool> Bool(const Context& cx, const Value& v) {
  bool b = false;
  // A quoted "true" is a string; yaml-cpp's own conversion knows YAML 1.1's yes/no/on/off too.
  if (!v.node.IsScalar() || v.node.Tag() == "!" || !YAML::convert<bool>::decode(v.node, b)) {
    return cx.Fail(v, v.path + " must be true or false, got " + Describe(v.node));
  }
  return b;
}

Result<std::vector<std::string>> Strings(const Context& cx, const Value& v, bool single) {
  std::vector<std::string> out;
  if (single && v.node.IsScalar()) {
    HONE_ASSIGN_OR_RETURN(std::string s, NonEmptyText(cx, v));
    out.push_back(std::move(s));
    return out;
  }
  if (!v.node.IsSequence()) {
    return cx.Fail(v, v.path + " must be " + (single ? "a string or " : "") +
                          "a list of strings, got " + Describe(v.node));
  }
  for (size_t i = 0; i < v.node.size(); ++i) {
    HONE_ASSIGN_OR_RETURN(
        std::string s,
        NonEmptyText(cx, cx.Item(v.node[i], v.path + "[" + std::to_string(i) + "]")));
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::string> Name(const Context& cx, const Value& v) {
  HONE_ASSIGN_OR_RETURN(std::string name, Text(cx, v));
  if (!store::IsValidName(name)) {
    return cx.Fail(v, v.path +
                          " must be a name of 1-128 letters, digits, '_', '-' or '.', "
                          "starting with a letter or digit, got " +
                          Describe(v.node));
  }
  return name;
}

Result<const Value*> OneOf(const Context& cx, const Fields& fields, Keys exclusive) {
  const Value* found = nullptr;
  for (const auto& [name, value] : fields.entries()) {
    if (!Contains(exclusive, name)) continue;
    if (found != nullptr) {
      return cx.Fail(value.key, fields.self().path + ": give only one of " + Join(exclusive));
    }
    found = &value;
  }
  return found;
}

Result<gate::Severity> ReadSeverity(const Context& cx, const Value& v) {
  HONE_ASSIGN_OR_RETURN(std::string text, Text(cx, v));
  auto severity = gate::ParseSeverity(text);
  if (!severity) return cx.Fail(v, v.path + ": " + severity.error().message());
  return *severity;
}

}  // namespace hone::pipeline::spec_internal
