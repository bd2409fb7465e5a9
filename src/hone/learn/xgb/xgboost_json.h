// A reader of JSON text as XGBoost writes it (Booster.save_model("model.json")), so that
// XGBoost never parses a user's JSON bytes itself: import.cc reads them here, checks the
// document and hands XGBoost only UBJSON it wrote from it.
#ifndef HONE_LEARN_XGB_XGBOOST_JSON_H_
#define HONE_LEARN_XGB_XGBOOST_JSON_H_

#include <string_view>

#include <nlohmann/json.hpp>

#include "hone/core/error.h"

namespace hone::learn::xgb {

/// Reads `text`: one JSON value (RFC 8259) with optional white space (space, tab, LF, CR)
/// around it, plus the bare words NaN, Infinity and -Infinity, which XGBoost writes for those
/// numbers and nlohmann's parser refuses. Numbers are typed as XGBoost's own reader types them:
/// one without a fraction or an exponent is an int64 (refused beyond its range; leading zeros
/// are let through); any other, and the three words, the nearest float32, held as a double
/// (refused beyond float32's range, or when nonzero but rounding to 0). Strings have their
/// escapes decoded, \u escapes (surrogate pairs included) as UTF-8; other bytes are kept as
/// they are, unchecked. Refuses:
///  - a key repeated in one object (two readers could keep different ones);
///  - more than 64 nested objects and arrays, as CheckUbjson does; nothing recurses deeper,
///    whatever the text;
///  - a control byte (< 0x20) in a string, an unknown escape, a lone UTF-16 surrogate;
///  - anything but white space after the value.
/// Fails with kInvalidData "not JSON as XGBoost writes it: <what> (byte <offset>)", the offset
/// counted from 0.
Result<nlohmann::json> ReadXgboostJson(std::string_view text);

}  // namespace hone::learn::xgb

#endif  // HONE_LEARN_XGB_XGBOOST_JSON_H_
