// Running a read-only SQL query against a SQLite file or a PostgreSQL server, for data sources.
// The drivers stay inside store/sqlite/ and store/postgres/.
#ifndef HONE_STORE_SQL_QUERY_H_
#define HONE_STORE_SQL_QUERY_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hone/core/error.h"

namespace hone::store {

struct QueryResult {
  std::vector<std::string> columns;
  /// Row-major cells as text (numbers in their shortest round-trip form); nullopt for NULL.
  std::vector<std::vector<std::optional<std::string>>> rows;
};

/// Runs `query` against `url`: "sqlite:///abs/path.db", "sqlite:relative.db" (against `dir`),
/// or "postgresql://…" / "postgres://…". The SQLite file is opened read-only and must exist;
/// on PostgreSQL the query runs in a READ ONLY transaction. Errors name the database (without
/// its password) and carry the driver's message.
Result<QueryResult> RunReadOnlyQuery(std::string_view url, std::string_view query,
                                     std::string_view dir);

}  // namespace hone::store

#endif  // HONE_STORE_SQL_QUERY_H_
