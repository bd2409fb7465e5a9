// Internal to pipeline/ (spec*.cc only): the machinery that walks hone.yaml's yaml-cpp node tree
// with its marks, so that every error points at a FILE:LINE:COL, and reads its scalars. Nothing
// here throws; yaml-cpp's exceptions are caught by ParseSpec (spec.cc), which does all the
// loading. Not part of hone's API: the only include outside spec*.cc is a mistake.
#ifndef HONE_PIPELINE_SPEC_READER_H_
#define HONE_PIPELINE_SPEC_READER_H_

#include <charconv>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "hone/core/error.h"
#include "hone/gate/verdict.h"

namespace hone::pipeline::spec_internal {

using Keys = std::span<const std::string_view>;

/// "a, b, c".
std::string Join(Keys keys);
bool Contains(Keys keys, std::string_view key);
/// Without leading and trailing spaces and tabs.
std::string_view Trim(std::string_view s);
/// A finite number ("+" allowed), or nullopt.
std::optional<double> ToNumber(std::string_view s);
/// "10", "90s", "10m", "2h", "1.5h" → seconds; nullopt unless > 0.
std::optional<double> ToSeconds(std::string_view s);

/// A whole number of type Int ("+" allowed), or nullopt when it is not one or out of range.
template <typename Int>
std::optional<Int> ToInteger(std::string_view s) {
  if (s.starts_with('+')) s.remove_prefix(1);
  Int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

/// What a node is, for "got …" in messages: "nothing", "a list", "a map" or the quoted scalar.
std::string Describe(const YAML::Node& node);

/// A node with what errors about it need: where to point and how to name it ("split.test_size",
/// "checks[2]"). `key` is the key's mark for a map value, else the node's own.
struct Value {
  YAML::Node node;
  YAML::Mark mark;
  YAML::Mark key;
  std::string path;
};

/// The text being parsed and the name it goes by in messages. Holds a view of the text, which
/// must outlive it.
class Context {
 public:
  Context(std::string_view text, std::string file) : text_(text), file_(std::move(file)) {}

  /// "FILE:LINE:COL: message", 1-based; an unknown position is 1:1.
  Error At(const YAML::Mark& mark, std::string_view message) const;
  tl::unexpected<Error> Fail(const YAML::Mark& mark, std::string_view message) const {
    return tl::unexpected<Error>(At(mark, message));
  }
  tl::unexpected<Error> Fail(const Value& v, std::string_view message) const {
    return Fail(v.mark, message);
  }
  /// "FILE:LINE".
  std::string Line(const YAML::Mark& mark) const;
  /// "FILE:LINE:COL".
  std::string LineColumn(const YAML::Mark& mark) const;

  /// A list item (or any node that is not a map's value) and its path. An empty item (`-` and
  /// nothing after it) is placed at its dash, not at the token after it, which yaml-cpp gives.
  Value Item(const YAML::Node& node, std::string path) const;

  /// yaml-cpp 0.7 takes a quoted scalar that is never closed to run to the end of the file: every
  /// quoted scalar under `node`, keys too, must have its closing quote. An alias inside its own
  /// anchor (`&a [*a]`) makes a cycle, which the depth limit stops.
  Result<void> CheckQuotes(const YAML::Node& node, int depth = 0) const;

  /// The first line indented with a tab, for the hint on a syntax error (0 = none).
  int FirstTabIndentedLine() const;

 private:
  Result<void> CheckClosed(const YAML::Node& node) const;
  /// The line and column of byte `pos`.
  YAML::Mark MarkAt(size_t pos) const;
  /// Whether yaml-cpp's `mark.pos` is a byte offset into text_ (or its end) (it is unless the text
  /// holds a byte order mark or another encoding than UTF-8).
  bool SameMark(const YAML::Mark& mark) const;

  std::string_view text_;
  std::string file_;
};

/// A map's entries in document order, once the map has been checked for keys that are unknown,
/// repeated or not plain strings.
class Fields {
 public:
  /// `v` must be a map whose keys are all in `valid`.
  static Result<Fields> Read(const Context& cx, const Value& v, Keys valid);
  /// `v` must be a map of plain, distinct keys, whatever they are (parameter names).
  static Result<Fields> ReadAnyKeys(const Context& cx, const Value& v);

  const Value* Find(std::string_view key) const;
  /// The entry, or an error at the map naming the missing key.
  Result<const Value*> Require(const Context& cx, std::string_view key) const;
  const std::vector<std::pair<std::string, Value>>& entries() const { return entries_; }
  const Value& self() const { return self_; }

 private:
  Value self_;
  std::vector<std::pair<std::string, Value>> entries_;
};

// --- scalars: each error is "FILE:LINE:COL: PATH must be …, got …" ---------------------------

Result<std::string> Text(const Context& cx, const Value& v);
Result<std::string> NonEmptyText(const Context& cx, const Value& v);
/// A duration in seconds: "90s", "10m", "2h" or a number of seconds, above 0, and at most
/// `max_seconds` when given (`max_text` says that limit for people: "1h").
Result<double> Duration(const Context& cx, const Value& v,
                        std::optional<double> max_seconds = std::nullopt,
                        std::string_view max_text = {});

/// A number; `what` says what is expected ("a number in [0, 1)") and `ok` checks it.
template <typename Ok>
Result<double> Number(const Context& cx, const Value& v, std::string_view what, Ok ok) {
  std::optional<double> n;
  if (v.node.IsScalar()) n = ToNumber(Trim(v.node.Scalar()));
  if (!n || !ok(*n)) {
    return cx.Fail(v, v.path + " must be " + std::string(what) + ", got " + Describe(v.node));
  }
  return *n;
}

/// A whole number of type Int; `what` and `ok` as for Number.
template <typename Int, typename Ok>
Result<Int> Integer(const Context& cx, const Value& v, std::string_view what, Ok ok) {
  std::optional<Int> n;
  if (v.node.IsScalar()) n = ToInteger<Int>(Trim(v.node.Scalar()));
  if (!n || !ok(*n)) {
    return cx.Fail(v, v.path + " must be " + std::string(what) + ", got " + Describe(v.node));
  }
  return *n;
}

/// A list whose every item `read(cx, item)` reads into a Result<T>; the items are named
/// PATH[i] ("checks[2]").
template <typename Read>
auto List(const Context& cx, const Value& v, Read read) -> Result<
    std::vector<typename std::invoke_result_t<Read, const Context&, const Value&>::value_type>> {
  using T = typename std::invoke_result_t<Read, const Context&, const Value&>::value_type;
  if (!v.node.IsSequence()) return cx.Fail(v, v.path + " must be a list, got " + Describe(v.node));
  std::vector<T> items;
  for (size_t i = 0; i < v.node.size(); ++i) {
    HONE_ASSIGN_OR_RETURN(T item,
                          read(cx, cx.Item(v.node[i], v.path + "[" + std::to_string(i) + "]")));
    items.push_back(std::move(item));
  }
  return items;
}

/// An int >= `min`.
Result<int> Count(const Context& cx, const Value& v, int min);
Result<uint64_t> Seed(const Context& cx, const Value& v);
/// true or false (YAML 1.1's yes/no/on/off too); a quoted "true" is a string, not a bool.
Result<bool> Bool(const Context& cx, const Value& v);
/// A list of non-empty strings, or (when `single` allows it) one string standing for a list of
/// one.
Result<std::vector<std::string>> Strings(const Context& cx, const Value& v, bool single);
/// The name of a model or an alias (store::IsValidName).
Result<std::string> Name(const Context& cx, const Value& v);
/// "error" or "warn" (gate::ParseSeverity).
Result<gate::Severity> ReadSeverity(const Context& cx, const Value& v);
/// Of the keys `exclusive`, at most one may be present; returns it (or nullptr).
Result<const Value*> OneOf(const Context& cx, const Fields& fields, Keys exclusive);

}  // namespace hone::pipeline::spec_internal

#endif  // HONE_PIPELINE_SPEC_READER_H_
