// How a version's parameters and metrics are kept in a text column, the same way by every
// backend: JSON objects; a metric that is not finite is kept as the string "nan", "inf" or
// "-inf" (JSON has no such numbers).
#ifndef HONE_STORE_VERSION_FIELDS_H_
#define HONE_STORE_VERSION_FIELDS_H_

#include <map>
#include <string>
#include <string_view>

#include "hone/core/error.h"

namespace hone::store {

std::string EncodeParams(const std::map<std::string, std::string>& params);
std::string EncodeMetrics(const std::map<std::string, double>& metrics);
/// kCorrupt naming `where` when the text is not what Encode* writes.
Result<std::map<std::string, std::string>> DecodeParams(std::string_view text,
                                                        std::string_view where);
Result<std::map<std::string, double>> DecodeMetrics(std::string_view text, std::string_view where);

}  // namespace hone::store

#endif  // HONE_STORE_VERSION_FIELDS_H_
