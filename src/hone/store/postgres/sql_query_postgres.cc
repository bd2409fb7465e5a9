#include "hone/store/postgres/sql_query_postgres.h"

#include <memory>
#include <new>
#include <string>
#include <utility>

#include <pqxx/except>

#include "hone/store/postgres/connection.h"

namespace hone::store::postgres {
namespace {

using ReadOnlyTx = pqxx::transaction<pqxx::read_committed, pqxx::read_only>;

/// A query the server refused is the user's to fix; a connection lost, a server short of
/// resources or shutting down, or a role without rights is the system's.
ErrorCode CodeOf(const pqxx::sql_error& e) {
  const std::string& state = e.sqlstate();
  if (state.starts_with("08") || state.starts_with("53") || state.starts_with("57P0") ||
      state == "42501") {
    return ErrorCode::kIo;
  }
  return ErrorCode::kInvalidArgument;
}

}  // namespace

Result<QueryResult> RunReadOnlyQuery(std::string_view url, std::string_view query) {
  const std::string where = "PostgreSQL database '" + RedactUrl(url) + "'";
  bool connected = false;
  try {
    pqxx::connection conn{std::string(url)};
    connected = true;
    conn.set_client_encoding("UTF8");
    pqxx::quiet_errorhandler quiet(conn);  // notices say nothing to hone's users
    ReadOnlyTx tx(conn);
    // The extended protocol takes exactly one statement: "COMMIT; INSERT …" cannot end the
    // READ ONLY transaction and write after it.
    const pqxx::result r = tx.exec_params(std::string(query));
    const size_t num_columns = static_cast<size_t>(r.columns());
    if (num_columns == 0) {
      return Fail(ErrorCode::kInvalidArgument,
                  where + ": the query returns no columns; give one SELECT");
    }
    QueryResult result;
    for (size_t c = 0; c < num_columns; ++c) {
      result.columns.emplace_back(r.column_name(static_cast<pqxx::row_size_type>(c)));
    }
    result.rows.reserve(r.size());
    for (const pqxx::row& row : r) {
      auto& cells = result.rows.emplace_back();
      cells.reserve(num_columns);
      for (const pqxx::field& field : row) cells.push_back(OptText(field));
    }
    tx.commit();
    return result;
  } catch (const pqxx::broken_connection& e) {
    if (!connected) {
      return Fail(ErrorCode::kIo,
                  "cannot connect to PostgreSQL at " + ServerOf(url) + ": " + OneLine(e.what()));
    }
    return Fail(ErrorCode::kIo, where + ": lost the connection: " + OneLine(e.what()));
  } catch (const pqxx::sql_error& e) {
    std::string message = where + ": the query failed: " + OneLine(e.what());
    if (message.ends_with("cannot insert multiple commands into a prepared statement")) {
      message += "; give one statement (a SELECT)";
    }
    return Fail(CodeOf(e), std::move(message));
  } catch (const std::bad_alloc&) {
    return Fail(ErrorCode::kInternal, where + ": out of memory");
  } catch (const std::exception& e) {
    return Fail(ErrorCode::kInternal, where + ": " + OneLine(e.what()));
  }
}

}  // namespace hone::store::postgres
