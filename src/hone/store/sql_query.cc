// The backend for a data-source query, chosen by URL scheme from a table.
#include "hone/store/sql_query.h"

#include <array>
#include <filesystem>
#include <string>

#include "hone/store/postgres/sql_query_postgres.h"
#include "hone/store/sqlite/sql_query_sqlite.h"

namespace hone::store {
namespace {

constexpr std::string_view kSchemeList =
    "sqlite:relative/path.db, sqlite:///absolute/path.db, postgresql://… or postgres://…";

Result<QueryResult> QuerySqlite(std::string_view url, std::string_view query,
                                std::string_view dir) {
  std::string_view rest = url.substr(std::string_view("sqlite:").size());
  if (rest.starts_with("//")) {
    // "sqlite://" is followed by an authority, which a file has none of: only "sqlite:///…".
    rest.remove_prefix(2);
    if (!rest.starts_with('/')) {
      return Fail(ErrorCode::kInvalidArgument,
                  "SQLite URL '" + std::string(url) +
                      "' names no absolute path; use sqlite:///absolute/path.db or "
                      "sqlite:relative/path.db");
    }
  }
  if (rest.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "SQLite URL '" + std::string(url) +
                    "' names no file; use sqlite:relative/path.db or sqlite:///absolute/path.db");
  }
  std::filesystem::path path(rest);
  if (path.is_relative()) path = std::filesystem::path(dir) / path;
  return sqlite::RunReadOnlyQuery(path, query);
}

Result<QueryResult> QueryPostgres(std::string_view url, std::string_view query,
                                  std::string_view /*dir*/) {
  return postgres::RunReadOnlyQuery(url, query);
}

struct Scheme {
  std::string_view prefix;
  Result<QueryResult> (*run)(std::string_view url, std::string_view query, std::string_view dir);
};

constexpr std::array<Scheme, 3> kSchemes = {
    Scheme{"sqlite:", QuerySqlite},
    Scheme{"postgresql://", QueryPostgres},
    Scheme{"postgres://", QueryPostgres},
};

}  // namespace

Result<QueryResult> RunReadOnlyQuery(std::string_view url, std::string_view query,
                                     std::string_view dir) {
  for (const Scheme& scheme : kSchemes) {
    if (url.starts_with(scheme.prefix)) return scheme.run(url, query, dir);
  }
  // Only the scheme is shown: the rest of an unknown URL may hold a password.
  const size_t colon = url.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Fail(
        ErrorCode::kInvalidArgument,
        "'" + std::string(url) + "' is not a database URL; use " + std::string(kSchemeList));
  }
  return Fail(ErrorCode::kInvalidArgument, "unknown database URL scheme '" +
                                               std::string(url.substr(0, colon)) + ":'; use " +
                                               std::string(kSchemeList));
}

}  // namespace hone::store
