#include "hone/serve/infer_values.h"

#include <charconv>
#include <cmath>

namespace hone::serve::internal {

namespace {

constexpr size_t kNamesListed = 8;
// simdjson's tape stores an array's size in 24 bits; larger arrays read as this.
constexpr size_t kSaturatedSize = 0xFFFFFF;

simdjson::dom::parser& ThreadParser() {
  thread_local simdjson::dom::parser parser;
  thread_local bool ready = false;
  if (!ready) {
    // The depth is fixed at allocation; later growth keeps it.
    ready = parser.allocate(4096, kMaxJsonDepth) == simdjson::SUCCESS;
  }
  return parser;
}

std::string NumberText(double value) {
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

}  // namespace

Result<simdjson::dom::element> ParseJson(std::string_view body) {
  simdjson::dom::parser& parser = ThreadParser();
  if (parser.max_depth() != kMaxJsonDepth) {
    return Fail(ErrorCode::kInternal, "cannot allocate the JSON parser");
  }
  simdjson::dom::element root;
  // realloc_if_needed: the body is copied into the parser's padded buffer, which is reused.
  auto error = parser.parse(body.data(), body.size(), true).get(root);
  if (error == simdjson::NUMBER_ERROR) {
    // simdjson refuses integers beyond 64 bits and numbers beyond double's range.
    return Fail(ErrorCode::kInvalidArgument,
                "the request body is not valid JSON: a number is malformed or too large "
                "(numbers must fit a float)");
  }
  if (error) {
    return Fail(ErrorCode::kInvalidArgument, std::string("the request body is not valid JSON: ") +
                                                 simdjson::error_message(error));
  }
  return root;
}

size_t ArraySize(simdjson::dom::array array) {
  size_t n = array.size();
  if (n < kSaturatedSize) return n;
  n = 0;
  for ([[maybe_unused]] simdjson::dom::element e : array) ++n;
  return n;
}

const char* JsonTypeName(simdjson::dom::element_type type) {
  using simdjson::dom::element_type;
  switch (type) {
    case element_type::ARRAY:
      return "an array";
    case element_type::OBJECT:
      return "an object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return "a number";
    case element_type::STRING:
      return "a string";
    case element_type::BOOL:
      return "a boolean";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "a value";
}

Result<void> CheckRowLimit(size_t rows, const DecodeLimits& limits) {
  if (rows <= limits.max_rows) return {};
  return Fail(ErrorCode::kInvalidArgument, "the request has " + std::to_string(rows) +
                                               " rows; the limit is " +
                                               std::to_string(limits.max_rows));
}

size_t FeatureNames::Find(std::string_view name) {
  const auto& features = schema_.features();
  if (next_ < features.size() && features[next_].name == name) return next_++;
  for (size_t j = 0; j < features.size(); ++j) {
    if (features[j].name == name) {
      next_ = j + 1;
      return j;
    }
  }
  // The target, and a column the model's pii policy dropped before training, may be sent and
  // are ignored.
  return name == target_.name || schema_.IgnoresColumn(name) ? kTarget : kUnknown;
}

std::string FeatureNames::Unknown(std::string_view name) const {
  const auto& features = schema_.features();
  std::string out = "unknown column '" + std::string(name) + "'; the model's features are ";
  for (size_t j = 0; j < features.size() && j < kNamesListed; ++j) {
    out += (j == 0 ? "" : ", ") + features[j].name;
  }
  if (features.empty()) out += "none";
  if (features.size() > kNamesListed) {
    out += ", … (" + std::to_string(features.size()) + " in all)";
  }
  return out;
}

bool ToFloat(double value, float& out) {
  if (!std::isfinite(value) || std::fabs(value) > std::numeric_limits<float>::max()) return false;
  out = static_cast<float>(value);
  return true;
}

std::string_view FloatText(float value, char (&buffer)[32]) {
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string_view(buffer, static_cast<size_t>(result.ptr - buffer));
}

bool EncodeJsonValue(simdjson::dom::element value, const learn::FeatureSchema& schema, size_t j,
                     const ValueRule& rule, float& out, std::string& problem) {
  using simdjson::dom::element_type;
  const bool numeric = schema.features()[j].type == core::ColumnType::kNumeric;
  const element_type type = value.type();
  switch (type) {
    case element_type::NULL_VALUE:
      out = kMissing;
      return true;
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: {
      if (rule.kind == ValueKind::kBytes) break;
      double d = 0;
      if (type == element_type::INT64) {
        d = static_cast<double>(value.get_int64().value_unsafe());
      } else if (type == element_type::UINT64) {
        d = static_cast<double>(value.get_uint64().value_unsafe());
      } else {
        d = value.get_double().value_unsafe();
      }
      if (rule.kind == ValueKind::kInteger) {
        if (d != std::floor(d)) {
          problem = "expected a whole number, got " + NumberText(d);
          return false;
        }
        if (d < rule.min || d > rule.max) {
          problem = NumberText(d) + " is outside the datatype's range [" + NumberText(rule.min) +
                    ", " + NumberText(rule.max) + "]";
          return false;
        }
      }
      float f = 0;
      if (!ToFloat(d, f)) {
        problem = "the number " + NumberText(d) + " is outside float's range";
        return false;
      }
      if (numeric) {
        out = f;
      } else {
        char buffer[32];
        out = schema.EncodeCategory(j, FloatText(f, buffer));
      }
      return true;
    }
    case element_type::BOOL: {
      if (rule.kind == ValueKind::kBytes) break;
      bool b = value.get_bool().value_unsafe();
      out = numeric ? (b ? 1.0f : 0.0f) : schema.EncodeCategory(j, b ? "true" : "false");
      return true;
    }
    case element_type::STRING:
      if (numeric || rule.kind == ValueKind::kBool || rule.kind == ValueKind::kInteger ||
          rule.kind == ValueKind::kFloat) {
        break;
      }
      out = schema.EncodeCategory(j, value.get_string().value_unsafe());
      return true;
    case element_type::ARRAY:
    case element_type::OBJECT:
      break;
  }
  const char* expected = rule.kind == ValueKind::kBytes ? "expected a string"
                         : numeric || rule.kind != ValueKind::kAny
                             ? "expected a number"
                             : "expected a string or a number";
  problem = std::string(expected) + ", got " + JsonTypeName(type);
  return false;
}

}  // namespace hone::serve::internal
