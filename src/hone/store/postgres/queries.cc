#include "hone/store/postgres/queries.h"

#include <algorithm>
#include <limits>

#include "hone/store/store_errors.h"

namespace hone::store::postgres {
namespace {

// FOR KEY SHARE, as a foreign key's check: the run cannot go away before the caller commits
// (metrics rely on it: they have no foreign key, see schema.cc).
constexpr Statement kRunExists{"run_exists", "SELECT 1 FROM runs WHERE id = $1 FOR KEY SHARE"};

}  // namespace

Result<void> RequireRun(pqxx::transaction_base& tx, std::string_view run_id) {
  if (Exec(tx, kRunExists, std::string(run_id)).empty()) {
    return Fail(UnknownRun(run_id));
  }
  return {};
}

void AppendArrayText(std::string& out, std::string_view value) {
  out += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

std::string TextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (const std::string& value : values) {
    if (out.size() > 1) out += ',';
    AppendArrayText(out, value);
  }
  out += '}';
  return out;
}

std::string IntArray(const std::vector<int64_t>& values) {
  std::string out = "{";
  for (int64_t value : values) {
    if (out.size() > 1) out += ',';
    out += std::to_string(value);
  }
  out += '}';
  return out;
}

int64_t SqlCount(size_t n) {
  return static_cast<int64_t>(
      std::min<size_t>(n, static_cast<size_t>(std::numeric_limits<int64_t>::max())));
}

}  // namespace hone::store::postgres
