#include "hone/store/sqlite/sqlite.h"

#include <chrono>
#include <system_error>
#include <thread>

#include <sqlite3.h>

namespace hone::store::sqlite {
namespace {

Error Failure(sqlite3* db, const std::string& where, std::string_view what) {
  return Error(ErrorCode::kIo,
               "store database '" + where + "': " + std::string(what) + ": " + sqlite3_errmsg(db));
}

}  // namespace

void Database::Closer::operator()(sqlite3* db) const { sqlite3_close_v2(db); }
void Statement::Finalizer::operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }

Database::~Database() = default;
Statement::~Statement() = default;

Result<Database> Database::Open(const std::filesystem::path& path, bool must_exist) {
  std::error_code ec;
  if (must_exist && !std::filesystem::is_regular_file(path, ec)) {
    return Fail(ErrorCode::kNotFound, "store database '" + path.string() + "' does not exist");
  }
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (must_exist ? 0 : SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Database db(path, raw);  // owns raw even when opening failed
  if (rc != SQLITE_OK) {
    return Fail(ErrorCode::kIo, "cannot open store database '" + path.string() +
                                    "': " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 60000);
  // The first statement reads the header: a file that is not a database fails here. Switching
  // a new database to WAL can report "locked" at once, without the busy handler, while
  // another process does the same: that is retried for as long as the busy timeout.
  for (int attempt = 0;; ++attempt) {
    auto wal = db.Exec("PRAGMA journal_mode=WAL");
    if (wal) break;
    const int code = sqlite3_errcode(raw) & 0xff;
    if (code == SQLITE_NOTADB) {
      return Fail(ErrorCode::kInvalidData,
                  "'" + path.string() + "' is not a hone store (not an SQLite database)");
    }
    if (code != SQLITE_BUSY || attempt == 6000) return Fail(wal.error());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  HONE_TRY(db.Exec("PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;"));
  return db;
}

Result<void> Database::Exec(std::string_view sql) {
  std::string text(sql);
  if (sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Fail(Failure(db_.get(), path_.string(), text.substr(0, 60)));
  }
  return {};
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    return Fail(
        Failure(db_.get(), path_.string(), "preparing '" + std::string(sql.substr(0, 60)) + "'"));
  }
  return Statement(db_.get(), path_.string(), stmt, std::string(sql));
}

int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_.get()); }
int64_t Database::Changes() const { return sqlite3_changes64(db_.get()); }

Result<CachedStatement> Database::Cached(const char* sql) {
  if (!cache_) cache_ = std::make_unique<std::unordered_map<const char*, Statement>>();
  auto it = cache_->find(sql);
  if (it == cache_->end()) {
    HONE_ASSIGN_OR_RETURN(Statement statement, Prepare(sql));
    it = cache_->emplace(sql, std::move(statement)).first;
  }
  return CachedStatement(&it->second);
}

CachedStatement::~CachedStatement() {
  if (statement_ != nullptr) statement_->Reset();
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_.get(), index, value);
  return *this;
}
Statement& Statement::Bind(int index, double value) {
  sqlite3_bind_double(stmt_.get(), index, value);
  return *this;
}
Statement& Statement::Bind(int index, std::string_view text) {
  sqlite3_bind_text64(stmt_.get(), index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}
Statement& Statement::Bind(int index, const std::optional<std::string>& value) {
  return value ? Bind(index, std::string_view(*value)) : BindNull(index);
}
Statement& Statement::Bind(int index, std::optional<int64_t> value) {
  return value ? Bind(index, *value) : BindNull(index);
}
Statement& Statement::Bind(int index, std::optional<double> value) {
  return value ? Bind(index, *value) : BindNull(index);
}
Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_.get(), index);
  return *this;
}

Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Fail(Failure(db_, where_, "running '" + sql_.substr(0, 60) + "'"));
}

Result<void> Statement::Run() {
  auto stepped = Step();
  Reset();
  if (!stepped) return Fail(stepped.error());
  return {};
}

void Statement::Reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_.get(), column); }
double Statement::Real(int column) const { return sqlite3_column_double(stmt_.get(), column); }
std::string Statement::Text(int column) const {
  const auto* text = sqlite3_column_text(stmt_.get(), column);
  int size = sqlite3_column_bytes(stmt_.get(), column);
  return text ? std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(size)) : "";
}
bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}
std::optional<std::string> Statement::OptText(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Text(column);
}
std::optional<int64_t> Statement::OptInt(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Int(column);
}
std::optional<double> Statement::OptReal(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Real(column);
}

Result<Transaction> Transaction::Begin(Database& db) {
  HONE_TRY(db.Exec("BEGIN IMMEDIATE"));
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->Exec("ROLLBACK");
}

Result<void> Transaction::Commit() {
  Database* db = db_;
  db_ = nullptr;
  return db->Exec("COMMIT");
}

}  // namespace hone::store::sqlite
