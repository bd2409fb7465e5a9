// RunReadOnlyQuery's PostgreSQL backend (sql_query.h dispatches to it by URL scheme). This
// header does not include libpqxx: sql_query.cc includes it.
#ifndef HONE_STORE_POSTGRES_SQL_QUERY_POSTGRES_H_
#define HONE_STORE_POSTGRES_SQL_QUERY_POSTGRES_H_

#include <string_view>

#include "hone/core/error.h"
#include "hone/store/sql_query.h"

namespace hone::store::postgres {

/// Runs `query`, which must be one statement returning columns, in a READ ONLY transaction on
/// a connection of its own to `url` (postgresql://… or postgres://…), closed before returning.
/// Cells are the server's text; NULL is nullopt. Errors name the server or the redacted URL
/// and carry the server's message: kIo when the server cannot be reached or refuses the
/// login, kInvalidArgument when it refuses the query.
Result<QueryResult> RunReadOnlyQuery(std::string_view url, std::string_view query);

}  // namespace hone::store::postgres

#endif  // HONE_STORE_POSTGRES_SQL_QUERY_POSTGRES_H_
