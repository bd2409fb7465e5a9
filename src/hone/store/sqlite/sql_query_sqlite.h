// RunReadOnlyQuery's SQLite backend (sql_query.h dispatches to it by URL scheme).
#ifndef HONE_STORE_SQLITE_SQL_QUERY_SQLITE_H_
#define HONE_STORE_SQLITE_SQL_QUERY_SQLITE_H_

#include <filesystem>
#include <string_view>

#include "hone/core/error.h"
#include "hone/store/sql_query.h"

namespace hone::store::sqlite {

/// Runs `query`, which must be one read-only statement returning columns, on the SQLite file
/// `path` opened read-only (the file must exist). INTEGER and REAL cells become their shortest
/// round-trip text, TEXT stays as it is, NULL is nullopt; a BLOB cell is an error naming its
/// column. Errors name the file.
Result<QueryResult> RunReadOnlyQuery(const std::filesystem::path& path, std::string_view query);

}  // namespace hone::store::sqlite

#endif  // HONE_STORE_SQLITE_SQL_QUERY_SQLITE_H_
