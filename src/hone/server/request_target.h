// A request target as the server's APIs route it: path segments and query parameters, each
// %-decoded (`+` is a space in the query only).
#ifndef HONE_SERVER_REQUEST_TARGET_H_
#define HONE_SERVER_REQUEST_TARGET_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "hone/core/error.h"

namespace hone::server {

/// Splits "/a/b%20c?x=1&y=2" into %-decoded segments and query parameters; kInvalidArgument
/// for a bad %-escape.
Result<void> SplitTarget(std::string_view target, std::vector<std::string>& path,
                         std::map<std::string, std::string>& query);

}  // namespace hone::server

#endif  // HONE_SERVER_REQUEST_TARGET_H_
