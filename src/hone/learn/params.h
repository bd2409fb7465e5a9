// Trainer parameters as one declarative table per trainer: name, type, default, range, doc.
// The table validates user input, prints `hone train --help-params`, and records the resolved
// values in the model bundle.
#ifndef HONE_LEARN_PARAMS_H_
#define HONE_LEARN_PARAMS_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "hone/core/error.h"

namespace hone::learn {

enum class ParamType { kInt, kFloat, kBool, kChoice, kText };
const char* ParamTypeName(ParamType type);

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kFloat;
  /// The default, written as a user would write it on the command line.
  std::string default_value;
  /// Inclusive range for kInt and kFloat; `min_exclusive` makes the lower bound strict.
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;
  /// The allowed values of a kChoice parameter.
  std::vector<std::string> choices;
  std::string doc;
  /// For kText: returns an error message when the text is not acceptable.
  std::function<std::optional<std::string>(std::string_view)> validate;
};

/// Resolved parameter values, by name, in name order. Values are JSON scalars: integer for
/// kInt, number for kFloat, boolean for kBool, string for kChoice and kText.
class ParamValues {
 public:
  int64_t Int(std::string_view name) const;
  double Float(std::string_view name) const;
  bool Bool(std::string_view name) const;
  const std::string& Text(std::string_view name) const;
  bool Has(std::string_view name) const { return values_.contains(std::string(name)); }

  nlohmann::json ToJson() const;
  void Set(std::string name, nlohmann::json value) { values_[std::move(name)] = std::move(value); }

 private:
  const nlohmann::json& Get(std::string_view name) const;
  std::map<std::string, nlohmann::json> values_;
};

/// Resolved parameters (ParamValues::ToJson) as text, for the store: strings as they are,
/// other values as JSON.
std::map<std::string, std::string> ParamTexts(const nlohmann::json& params);

/// "KEY=VALUE" → {KEY, VALUE}; the error quotes the bad text.
Result<std::pair<std::string, std::string>> ParseParamAssignment(std::string_view text);

class ParamTable {
 public:
  ParamTable(std::string owner, std::vector<ParamSpec> specs);

  const std::vector<ParamSpec>& specs() const { return specs_; }
  const ParamSpec* Find(std::string_view name) const;

  /// Defaults overridden by `assignments` (in order; a later one wins). An unknown name is an
  /// error listing the valid ones; a bad value is an error giving the type and range.
  Result<ParamValues> Resolve(
      const std::vector<std::pair<std::string, std::string>>& assignments) const;
  /// Values stored in a bundle: every known name must be present with the right type.
  Result<ParamValues> FromJson(const nlohmann::json& json) const;

  /// The table printed by `hone train --help-params MODEL`.
  std::string Describe() const;

 private:
  Result<nlohmann::json> ParseValue(const ParamSpec& spec, std::string_view text) const;

  std::string owner_;
  std::vector<ParamSpec> specs_;
};

}  // namespace hone::learn

#endif  // HONE_LEARN_PARAMS_H_
