// What the request decoders of infer_codec.h share: the JSON parser, the lookup of a column name
// among the model's features, and the encoding of one JSON value into a feature value. Private
// to hone_serve.
#ifndef HONE_SERVE_INFER_VALUES_H_
#define HONE_SERVE_INFER_VALUES_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "hone/core/error.h"
#include "hone/learn/features.h"
#include "hone/learn/target.h"
#include "hone/serve/infer_codec.h"

namespace hone::serve::internal {

inline constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();
/// Nesting deeper than this is an error, so that no request can exhaust a stack.
inline constexpr size_t kMaxJsonDepth = 64;

/// Parses `body` with this thread's reused parser. The element lives until the thread's next
/// ParseJson. Fails (kInvalidArgument) with simdjson's reason when the body is not JSON.
Result<simdjson::dom::element> ParseJson(std::string_view body);

/// The number of elements of `array` (simdjson stores sizes up to 2^24 - 1 on the tape).
size_t ArraySize(simdjson::dom::array array);

/// "a string", "an array", … for messages.
const char* JsonTypeName(simdjson::dom::element_type type);

/// Fails when `rows` exceeds the limit, naming both counts.
Result<void> CheckRowLimit(size_t rows, const DecodeLimits& limits);

/// Finds request column names among the model's features. Requests usually list the features
/// in the schema's order, so each lookup first tries the feature after the previous match: a
/// whole request costs O(features) comparisons. Not thread-safe; one per decode call.
class FeatureNames {
 public:
  static constexpr size_t kTarget = std::numeric_limits<size_t>::max() - 1;
  static constexpr size_t kUnknown = std::numeric_limits<size_t>::max();

  FeatureNames(const learn::FeatureSchema& schema, const learn::TargetInfo& target)
      : schema_(schema), target_(target) {}

  /// The feature's index, kTarget for the target column or a column the schema ignores
  /// (FeatureSchema::IgnoresColumn: dropped by its pii policy), kUnknown otherwise.
  size_t Find(std::string_view name);

  /// "unknown column 'x'; the model's features are a, b, c, … (12 in all)".
  std::string Unknown(std::string_view name) const;

 private:
  const learn::FeatureSchema& schema_;
  const learn::TargetInfo& target_;
  size_t next_ = 0;
};

/// What a request says about a value's type, beyond JSON's own (OIP's datatype).
enum class ValueKind : uint8_t {
  kAny,      // MLflow: any scalar
  kBool,     // OIP BOOL
  kInteger,  // OIP INT*/UINT*: a whole number within [min, max]
  kFloat,    // OIP FP32/FP64
  kBytes,    // OIP BYTES: strings
};

struct ValueRule {
  ValueKind kind = ValueKind::kAny;
  double min = 0;
  double max = 0;
};

/// Encodes `value` as feature `j` of `schema` into `out`. On failure returns false and sets
/// `problem` to what is wrong ("expected a number, got a string"); the caller adds where.
bool EncodeJsonValue(simdjson::dom::element value, const learn::FeatureSchema& schema, size_t j,
                     const ValueRule& rule, float& out, std::string& problem);

/// A finite double as float, or false when it is outside float's range.
bool ToFloat(double value, float& out);

/// The shortest text of `value` as float ("3" for 3.0), as the CSV reader writes number cells.
std::string_view FloatText(float value, char (&buffer)[32]);

/// The error for a value: "<where>: <problem>".
inline tl::unexpected<Error> ValueError(std::string_view where, const std::string& problem) {
  return Fail(ErrorCode::kInvalidArgument, std::string(where) + ": " + problem);
}

/// Decodes a text/csv MLflow body (infer_decode_csv.cc).
Result<DecodedRows> DecodeCsvRows(std::string_view body, const learn::FeatureSchema& schema,
                                  const learn::TargetInfo& target, const DecodeLimits& limits);

}  // namespace hone::serve::internal

#endif  // HONE_SERVE_INFER_VALUES_H_
