// The one place hone meets libpqxx: a connection whose transactions turn every exception into
// an Error, the URL shown without its password, and the typed reading of result fields.
// Only store/postgres/ includes this header (it includes <pqxx/...>).
#ifndef HONE_STORE_POSTGRES_CONNECTION_H_
#define HONE_STORE_POSTGRES_CONNECTION_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <pqxx/connection>
#include <pqxx/errorhandler>
#include <pqxx/nontransaction>
#include <pqxx/result>
#include <pqxx/transaction>

#include "hone/core/error.h"

namespace hone::store::postgres {

/// The URL as it may be shown to anyone: the password, in the user-info part or in a
/// `password=` query parameter, replaced by "***".
std::string RedactUrl(std::string_view url);

/// `url` with the password from `password_file` (its first line) added as libpq's `password`
/// parameter, so that the password need not be written in a URL that command lines, job
/// scripts and process lists show. `url` unchanged when `password_file` is empty or the URL
/// already has a password. kIo naming the file (never its content) when it cannot be read or
/// its first line is empty.
Result<std::string> WithPasswordFromFile(std::string_view url, const std::string& password_file);

/// "host:port/database" of a PostgreSQL URL for messages, with libpq's defaults filling what
/// the URL leaves out; the redacted URL when libpq cannot parse it.
std::string ServerOf(std::string_view url);

/// A server or libpq message on one line, without the "ERROR:" prefix and the SQL excerpt.
std::string OneLine(std::string_view message);

/// The exception being handled as an Error about the store `where` (a redacted URL): a lost
/// or refused connection, or a server short of resources, is kIo; a serialization failure,
/// deadlock or duplicate key (another writer first) kConflict; anything else kInternal.
/// Call only inside a catch block.
Error CurrentExceptionAsError(std::string_view where);

/// A prepared statement: its name on the connection and its SQL.
struct Statement {
  const char* name;
  const char* sql;
};

/// Executes `statement` (preparing it on its connection on first use) with `args`.
template <typename... Args>
pqxx::result Exec(pqxx::transaction_base& tx, const Statement& statement, Args&&... args) {
  // libpqxx 6 only records the definition here and sends it to the server on first use;
  // repeating it for an already-known name with the same SQL is a no-op.
  tx.conn().prepare(statement.name, statement.sql);
  return tx.exec_prepared(statement.name, std::forward<Args>(args)...);
}

/// Typed reads of a result field. Nulls read as 0 / "" unless read through the Opt variants.
int64_t Int(const pqxx::field& field);
double Double(const pqxx::field& field);
std::string Text(const pqxx::field& field);
std::optional<int64_t> OptInt(const pqxx::field& field);
std::optional<std::string> OptText(const pqxx::field& field);
std::optional<bool> OptBool(const pqxx::field& field);

/// A double as PostgreSQL reads it back exactly (shortest round-trip form, or NaN/Infinity).
std::string DoubleText(double value);

/// A read-only transaction whose statements all see one snapshot (a run and its metrics as
/// they were at one moment, even while another process logs more).
using ReadTx = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

/// One libpqxx connection to one database, kept for the object's life; after the connection is
/// lost (a server restart, a network cut) the next transaction connects again. Not
/// thread-safe, and not to be used across fork(): a child opens its own.
class Connection {
 public:
  /// Connects to `url` (a postgresql:// or postgres:// URL, passed to libpq as it is).
  /// kIo naming host:port/db (never the password) when the server cannot be reached or
  /// refuses the login.
  static Result<std::unique_ptr<Connection>> Open(std::string_view url);

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  /// The URL with the password redacted.
  const std::string& description() const { return description_; }

  /// Runs `body(tx)` (which returns a Result) in a read-write transaction: commits when it
  /// returns a value, rolls back when it returns an error or throws. No exception escapes.
  template <typename Body>
  std::invoke_result_t<Body&, pqxx::work&> Write(Body&& body) {
    return Run<pqxx::work>(body);
  }
  /// Like Write, in a ReadTx.
  template <typename Body>
  std::invoke_result_t<Body&, ReadTx&> Read(Body&& body) {
    return Run<ReadTx>(body);
  }
  /// For a body of one read-only statement: runs it in autocommit, one round trip.
  template <typename Body>
  std::invoke_result_t<Body&, pqxx::nontransaction&> Single(Body&& body) {
    return Run<pqxx::nontransaction>(body);
  }

  /// LISTENs on `channel` from now on, and again after every reconnection, for notifications
  /// whose payload is `payload`. Connects (and LISTENs) at once unless connected. Call once.
  Result<void> Listen(std::string channel, std::string payload);
  /// Waits up to `timeout` for a notification of Listen's kind; true when one came (since the
  /// previous call, or while waiting). Notifications that arrived during transactions wait in
  /// libpq's queue and count. kIo when the connection is lost (the next call reconnects;
  /// whatever was notified in between is not seen).
  Result<bool> AwaitNotification(std::chrono::milliseconds timeout);

 private:
  Connection(std::string url, std::string description);

  /// Connects unless connected.
  Result<void> Connect();
  /// Forgets the connection after a failure that may have broken it, so the next transaction
  /// starts on a new one. (libpqxx 6's own reactivation is deprecated and was seen to fail.)
  void Disconnect() noexcept;

  template <typename Tx, typename Body>
  std::invoke_result_t<Body&, Tx&> Run(Body& body) {
    HONE_TRY(Connect());
    try {
      Tx tx(*conn_);
      auto result = body(tx);
      if (result) tx.commit();
      return result;
    } catch (...) {
      Error error = CurrentExceptionAsError(description_);
      if (error.code() == ErrorCode::kIo) Disconnect();
      return Fail(std::move(error));
    }
  }

  class Receiver;

  const std::string url_;  // with the password: only libpq sees it
  const std::string description_;
  std::unique_ptr<pqxx::connection> conn_;
  // Server notices ("relation exists, skipping", cascade reports) say nothing to hone's users;
  // libpqxx would print them on stderr.
  std::unique_ptr<pqxx::quiet_errorhandler> quiet_;
  // Listen's channel and payload (empty channel: not listening), its receiver on conn_, and
  // whether a matching notification came that AwaitNotification has not reported yet.
  std::string listen_channel_;
  std::string listen_payload_;
  std::unique_ptr<Receiver> receiver_;
  bool notified_ = false;
};

}  // namespace hone::store::postgres

#endif  // HONE_STORE_POSTGRES_CONNECTION_H_
