#include "hone/store/sqlite/sql_query_sqlite.h"

#include <charconv>
#include <memory>
#include <string>
#include <system_error>

#include <sqlite3.h>

namespace hone::store::sqlite {
namespace {

struct Closer {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct Finalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using DbPtr = std::unique_ptr<sqlite3, Closer>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, Finalizer>;

/// The start of a query for messages: on one line, at most 60 bytes and never half a UTF-8
/// character.
std::string Excerpt(std::string_view query) {
  std::string out;
  for (char c : query) {
    const bool blank = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (blank && (out.empty() || out.back() == ' ')) continue;
    if (out.size() >= 60 && (static_cast<unsigned char>(c) & 0xC0) != 0x80) return out + "…";
    out += blank ? ' ' : c;
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

/// An SQLite failure as an Error: a query SQLite refuses is the user's to fix; a file that is
/// not a database is bad data; anything else (locks, I/O) is the system's.
Error Failure(sqlite3* db, const std::string& where, std::string_view what) {
  const int code = sqlite3_errcode(db) & 0xff;
  ErrorCode kind = ErrorCode::kIo;
  if (code == SQLITE_ERROR || code == SQLITE_AUTH || code == SQLITE_RANGE ||
      code == SQLITE_CONSTRAINT || code == SQLITE_MISMATCH || code == SQLITE_READONLY) {
    kind = ErrorCode::kInvalidArgument;
  } else if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
    kind = ErrorCode::kInvalidData;
  }
  return Error(kind, where + ": " + std::string(what) + ": " + sqlite3_errmsg(db));
}

template <typename T>
std::string NumberText(T value) {
  char buffer[32];  // to_chars gives the shortest text that reads back to the same number
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, end);
}

}  // namespace

Result<QueryResult> RunReadOnlyQuery(const std::filesystem::path& path, std::string_view query) {
  const std::string where = "SQLite database '" + path.string() + "'";
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) {
    return Fail(ErrorCode::kNotFound, where + " does not exist");
  }
  if (!std::filesystem::is_regular_file(status)) {
    return Fail(ErrorCode::kInvalidArgument, where + " is not a file");
  }
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  DbPtr db(raw);  // owns raw even when opening failed
  if (rc != SQLITE_OK) {
    return Fail(ErrorCode::kIo,
                "cannot open " + where + ": " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 60000);  // a writer in another process holds the lock briefly
  sqlite3_db_config(raw, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);

  const std::string excerpt = "'" + Excerpt(query) + "'";
  sqlite3_stmt* raw_stmt = nullptr;
  const char* tail = nullptr;
  if (sqlite3_prepare_v2(raw, query.data(), static_cast<int>(query.size()), &raw_stmt, &tail) !=
      SQLITE_OK) {
    return Fail(Failure(raw, where, "cannot prepare the query " + excerpt));
  }
  StmtPtr stmt(raw_stmt);
  if (stmt == nullptr) {
    return Fail(ErrorCode::kInvalidArgument, where + ": the query is empty; give one SELECT");
  }
  // Only whitespace and comments may follow the statement: a second statement would run
  // outside every check made here.
  const std::string_view rest(tail, static_cast<size_t>(query.data() + query.size() - tail));
  sqlite3_stmt* raw_next = nullptr;
  const int next_rc =
      sqlite3_prepare_v2(raw, rest.data(), static_cast<int>(rest.size()), &raw_next, nullptr);
  StmtPtr next(raw_next);
  if (next_rc != SQLITE_OK || next != nullptr) {
    return Fail(ErrorCode::kInvalidArgument,
                where + ": the query " + excerpt +
                    " holds more than one statement; give one read-only statement (a SELECT)");
  }
  if (!sqlite3_stmt_readonly(stmt.get())) {
    return Fail(ErrorCode::kInvalidArgument,
                where + ": the query " + excerpt +
                    " would change the database; give one read-only statement (a SELECT)");
  }
  const int num_columns = sqlite3_column_count(stmt.get());
  if (num_columns == 0) {
    return Fail(ErrorCode::kInvalidArgument,
                where + ": the query " + excerpt + " returns no columns; give a SELECT");
  }

  QueryResult result;
  for (int c = 0; c < num_columns; ++c) {
    const char* name = sqlite3_column_name(stmt.get(), c);
    if (name == nullptr) return Fail(ErrorCode::kInternal, where + ": out of memory");
    result.columns.emplace_back(name);
  }
  for (;;) {
    const int step = sqlite3_step(stmt.get());
    if (step == SQLITE_DONE) break;
    if (step != SQLITE_ROW) return Fail(Failure(raw, where, "running the query " + excerpt));
    auto& row = result.rows.emplace_back();
    row.reserve(static_cast<size_t>(num_columns));
    for (int c = 0; c < num_columns; ++c) {
      switch (sqlite3_column_type(stmt.get(), c)) {
        case SQLITE_NULL:
          row.emplace_back(std::nullopt);
          break;
        case SQLITE_INTEGER:
          row.emplace_back(NumberText(sqlite3_column_int64(stmt.get(), c)));
          break;
        case SQLITE_FLOAT:
          row.emplace_back(NumberText(sqlite3_column_double(stmt.get(), c)));
          break;
        case SQLITE_TEXT: {
          const auto* text = sqlite3_column_text(stmt.get(), c);
          const int size = sqlite3_column_bytes(stmt.get(), c);
          if (text == nullptr) return Fail(ErrorCode::kInternal, where + ": out of memory");
          row.emplace_back(
              std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(size)));
          break;
        }
        default:
          return Fail(ErrorCode::kInvalidData,
                      where + ": column '" + result.columns[static_cast<size_t>(c)] +
                          "' holds binary data (a BLOB) in result row " +
                          std::to_string(result.rows.size()) +
                          ", which a table cannot hold; CAST it to TEXT or leave it out");
      }
    }
  }
  return result;
}

}  // namespace hone::store::sqlite
