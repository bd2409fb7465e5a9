// A thin RAII layer over SQLite's C API: the only code under store/ that includes <sqlite3.h>.
// Every result code becomes an Error naming the database file and the statement.
#ifndef HONE_STORE_SQLITE_SQLITE_H_
#define HONE_STORE_SQLITE_SQLITE_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "hone/core/error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace hone::store::sqlite {

class Statement;
class CachedStatement;

/// One connection. Opened in WAL mode with foreign keys on and a busy timeout, so several
/// processes can share the file: readers never wait for the writer, writers queue. Not
/// thread-safe: one per thread.
class Database {
 public:
  /// Opens (creating unless `must_exist`) the database at `path`. A file that is not an
  /// SQLite database is kInvalidData.
  static Result<Database> Open(const std::filesystem::path& path, bool must_exist = false);

  Database(Database&&) noexcept = default;
  Database& operator=(Database&&) noexcept = default;
  ~Database();

  const std::filesystem::path& path() const { return path_; }

  /// Runs SQL without results (one or more statements).
  Result<void> Exec(std::string_view sql);
  Result<Statement> Prepare(std::string_view sql);
  /// The statement for `sql` (a string literal: it is the cache key), prepared on first use
  /// and kept; the returned guard resets it when it goes out of scope, so no read stays open.
  Result<CachedStatement> Cached(const char* sql);
  int64_t LastInsertRowId() const;
  /// Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t Changes() const;

 private:
  friend class Statement;
  Database(std::filesystem::path path, sqlite3* db) : path_(std::move(path)), db_(db) {}

  std::filesystem::path path_;
  struct Closer {
    void operator()(sqlite3* db) const;
  };
  std::unique_ptr<sqlite3, Closer> db_;
  // Destroyed before db_: statements are finalized before the connection closes.
  std::unique_ptr<std::unordered_map<const char*, Statement>> cache_;
};

/// A prepared statement: bind (1-based), Step until it returns false, read columns (0-based).
/// Must not outlive its Database.
class Statement {
 public:
  Statement(Statement&&) noexcept = default;
  Statement& operator=(Statement&&) noexcept = default;
  ~Statement();

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, int value) { return Bind(index, int64_t{value}); }
  Statement& Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  Statement& Bind(int index, const std::string& text) {
    return Bind(index, std::string_view(text));
  }
  /// Binds NULL when `value` is empty.
  Statement& Bind(int index, const std::optional<std::string>& value);
  Statement& Bind(int index, std::optional<int64_t> value);
  Statement& Bind(int index, std::optional<double> value);
  Statement& BindNull(int index);
  /// True while a row is available; false when done. A failure is an Error.
  Result<bool> Step();
  /// Step for statements without rows; resets the statement, also when it fails.
  Result<void> Run();
  /// Clears bindings and rewinds, to run again.
  void Reset();

  int64_t Int(int column) const;
  double Real(int column) const;
  std::string Text(int column) const;
  bool IsNull(int column) const;
  std::optional<std::string> OptText(int column) const;
  std::optional<int64_t> OptInt(int column) const;
  std::optional<double> OptReal(int column) const;

 private:
  friend class Database;
  Statement(sqlite3* db, std::string where, sqlite3_stmt* stmt, std::string sql)
      : db_(db), where_(std::move(where)), stmt_(stmt), sql_(std::move(sql)) {}

  sqlite3* db_;
  std::string where_;  // the database file, for errors
  struct Finalizer {
    void operator()(sqlite3_stmt* stmt) const;
  };
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
  std::string sql_;
};

/// A cached statement in use: resets it when destroyed.
class CachedStatement {
 public:
  explicit CachedStatement(Statement* statement) : statement_(statement) {}
  CachedStatement(CachedStatement&& other) noexcept : statement_(other.statement_) {
    other.statement_ = nullptr;
  }
  CachedStatement& operator=(CachedStatement&&) = delete;
  ~CachedStatement();
  Statement* operator->() const { return statement_; }
  Statement& operator*() const { return *statement_; }

 private:
  Statement* statement_;
};

/// BEGIN IMMEDIATE … COMMIT: the write lock is taken at the start, so two writers never
/// deadlock upgrading a read. Rolled back when destroyed uncommitted.
class Transaction {
 public:
  static Result<Transaction> Begin(Database& db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Result<void> Commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
};

}  // namespace hone::store::sqlite

#endif  // HONE_STORE_SQLITE_SQLITE_H_
