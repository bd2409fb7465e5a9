#include "hone/store/postgres/connection.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <new>

#include <libpq-fe.h>
#include <pqxx/except>
#include <pqxx/notification>

#include "hone/core/file.h"

namespace hone::store::postgres {

// libpq and the server write multi-line messages ("ERROR:  …\nLINE 1: …\n   ^\n", or a
// connection failure followed by a tab-indented hint); hone's messages are one line.
std::string OneLine(std::string_view message) {
  std::string out;
  size_t pos = 0;
  while (pos < message.size()) {
    size_t end = message.find('\n', pos);
    if (end == std::string_view::npos) end = message.size();
    std::string_view line = message.substr(pos, end - pos);
    pos = end + 1;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
    // The statement excerpt and its caret point into SQL the user never wrote.
    if (line.empty() || line.starts_with("LINE ") || line.find_first_not_of("^ ") == line.npos) {
      continue;
    }
    for (std::string_view prefix : {"ERROR:  ", "FATAL:  "}) {
      if (line.starts_with(prefix)) line.remove_prefix(prefix.size());
    }
    if (!out.empty()) out += ' ';
    out += line;
  }
  return out;
}

std::string RedactUrl(std::string_view url) {
  std::string out(url);
  const size_t scheme = out.find("://");
  if (scheme == std::string::npos) return out;
  const size_t start = scheme + 3;
  // As libpq reads a URI, the credentials end at the first '@' that comes before any '/'.
  const size_t at = out.find_first_of("@/", start);
  if (at != std::string::npos && out[at] == '@') {
    const size_t colon = out.find(':', start);
    if (colon < at) out.replace(colon + 1, at - colon - 1, "***");
  }
  const size_t query = out.find('?', start);
  if (query == std::string::npos) return out;
  size_t param = query + 1;
  while (param < out.size()) {
    size_t end = out.find('&', param);
    if (end == std::string::npos) end = out.size();
    if (std::string_view(out).substr(param, end - param).starts_with("password=")) {
      const size_t value = param + 9;
      out.replace(value, end - value, "***");
      end = value + 3;
    }
    param = end + 1;
  }
  return out;
}

Result<std::string> WithPasswordFromFile(std::string_view url, const std::string& password_file) {
  if (password_file.empty()) return std::string(url);
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(std::string(url).c_str(), &error);
  if (options == nullptr) {
    PQfreemem(error);
    return std::string(url);  // Connection::Open says what is wrong with the URL
  }
  bool has_password = false;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (std::string_view(o->keyword) == "password" && o->val != nullptr && *o->val != '\0') {
      has_password = true;
    }
  }
  PQconninfoFree(options);
  if (has_password) return std::string(url);
  auto text = core::ReadFile(password_file);
  if (!text) {
    return Fail(text.error().code(), "the store's password file: " + text.error().message());
  }
  const std::string password = text->substr(0, text->find_first_of("\r\n"));
  if (password.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "the store's password file '" + password_file + "' has an empty first line");
  }
  // A query parameter of the URL, percent-encoded. (Connection::Open takes only URLs.)
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out(url);
  out += out.find('?') == std::string::npos ? "?password=" : "&password=";
  for (const unsigned char c : password) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

std::string ServerOf(std::string_view url) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(std::string(url).c_str(), &error);
  if (options == nullptr) {
    PQfreemem(error);
    return RedactUrl(url);
  }
  std::string host, hostaddr, port, dbname, user;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr || *o->val == '\0') continue;
    const std::string_view key = o->keyword;
    if (key == "host") host = o->val;
    if (key == "hostaddr") hostaddr = o->val;
    if (key == "port") port = o->val;
    if (key == "dbname") dbname = o->val;
    if (key == "user") user = o->val;
  }
  PQconninfoFree(options);
  if (host.empty()) host = hostaddr.empty() ? "localhost" : hostaddr;
  if (port.empty()) port = "5432";
  if (dbname.empty()) dbname = user;
  return host + ":" + port + (dbname.empty() ? "" : "/" + dbname);
}

Error CurrentExceptionAsError(std::string_view where) {
  const std::string store = "PostgreSQL store '" + std::string(where) + "': ";
  try {
    throw;
  } catch (const pqxx::broken_connection& e) {
    return Error(ErrorCode::kIo, store + "lost the connection: " + OneLine(e.what()));
  } catch (const pqxx::in_doubt_error& e) {
    return Error(ErrorCode::kIo, store +
                                     "the connection broke while committing, so the change may "
                                     "or may not have been stored: " +
                                     OneLine(e.what()));
  } catch (const pqxx::sql_error& e) {
    const std::string& state = e.sqlstate();
    ErrorCode code = ErrorCode::kInternal;
    // 08: connection exception; 53: insufficient resources; 57P0x: the server is shutting down
    // or restarting; 42501: the role may not touch the tables.
    if (state.starts_with("08") || state.starts_with("53") || state.starts_with("57P0") ||
        state == "42501") {
      code = ErrorCode::kIo;
    } else if (state == "40001" || state == "40P01" || state == "23505") {
      code = ErrorCode::kConflict;  // another writer got there first
    }
    return Error(code, store + OneLine(e.what()));
  } catch (const std::bad_alloc&) {
    return Error(ErrorCode::kInternal, store + "out of memory");
  } catch (const std::exception& e) {
    return Error(ErrorCode::kInternal, store + OneLine(e.what()));
  } catch (...) {
    return Error(ErrorCode::kInternal, store + "an unknown exception");
  }
}

int64_t Int(const pqxx::field& field) { return OptInt(field).value_or(0); }

std::optional<int64_t> OptInt(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  int64_t value = 0;
  std::from_chars(field.c_str(), field.c_str() + field.size(), value);
  return value;
}

double Double(const pqxx::field& field) {
  if (field.is_null()) return std::numeric_limits<double>::quiet_NaN();
  const std::string_view text(field.c_str(), field.size());
  if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (text == "Infinity") return std::numeric_limits<double>::infinity();
  if (text == "-Infinity") return -std::numeric_limits<double>::infinity();
  double value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::string Text(const pqxx::field& field) { return std::string(field.c_str(), field.size()); }

std::optional<std::string> OptText(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return Text(field);
}

std::optional<bool> OptBool(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return field.c_str()[0] == 't';
}

std::string DoubleText(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, end);
}

/// Notes matching notifications on its Connection. libpqxx calls it only from get_notifs()
/// (inside await_notification), on the connection's thread.
class Connection::Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& conn, Connection& owner)
      : pqxx::notification_receiver(conn, owner.listen_channel_), owner_(owner) {}
  void operator()(const std::string& payload, int /*backend_pid*/) override {
    if (payload == owner_.listen_payload_) owner_.notified_ = true;
  }

 private:
  Connection& owner_;
};

Result<std::unique_ptr<Connection>> Connection::Open(std::string_view url) {
  if (!url.starts_with("postgresql://") && !url.starts_with("postgres://")) {
    return Fail(ErrorCode::kInvalidArgument,
                "'" + RedactUrl(url) +
                    "' is not a PostgreSQL URL: use postgresql://user:password@host:port/database");
  }
  std::unique_ptr<Connection> conn(new Connection(std::string(url), RedactUrl(url)));
  HONE_TRY(conn->Connect());
  return conn;
}

Connection::Connection(std::string url, std::string description)
    : url_(std::move(url)), description_(std::move(description)) {}

Connection::~Connection() { Disconnect(); }

Result<void> Connection::Connect() {
  if (conn_) return {};
  try {
    auto conn = std::make_unique<pqxx::connection>(url_);
    // hone's strings are UTF-8, and the COPY and array text built here escape single bytes,
    // which is only sound in an encoding that never puts '\\' inside a multi-byte character.
    conn->set_client_encoding("UTF8");
    quiet_ = std::make_unique<pqxx::quiet_errorhandler>(*conn);
    conn_ = std::move(conn);
  } catch (const pqxx::broken_connection& e) {
    return Fail(ErrorCode::kIo,
                "cannot connect to PostgreSQL at " + ServerOf(url_) + ": " + OneLine(e.what()));
  } catch (...) {
    return Fail(CurrentExceptionAsError(description_));
  }
  // Registering the receiver sends LISTEN. A notification of a move made while the connection
  // was down is lost; AliasChangeCounter's callers notice the move on their next read of it.
  if (listen_channel_.empty()) return {};
  return Listen(listen_channel_, listen_payload_);
}

void Connection::Disconnect() noexcept {
  receiver_.reset();  // it unregisters itself (UNLISTEN, errors swallowed) from the connection
  quiet_.reset();     // it unregisters itself from the connection
  conn_.reset();
}

Result<void> Connection::Listen(std::string channel, std::string payload) {
  listen_channel_ = std::move(channel);
  listen_payload_ = std::move(payload);
  if (!conn_) return Connect();  // which comes back here once connected
  try {
    receiver_.reset();
    receiver_ = std::make_unique<Receiver>(*conn_, *this);
    return {};
  } catch (...) {
    Error error = CurrentExceptionAsError(description_);
    Disconnect();
    return Fail(std::move(error));
  }
}

Result<bool> Connection::AwaitNotification(std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + timeout;
  HONE_TRY(Connect());
  try {
    conn_->get_notifs();  // those that came during transactions, without waiting
    while (!notified_) {
      const auto left =
          std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
      if (left.count() <= 0) break;
      // Returns early for any notification, also another schema's; the loop waits on.
      conn_->await_notification(static_cast<long>(left.count() / 1'000'000),
                                static_cast<long>(left.count() % 1'000'000));
    }
  } catch (...) {
    Error error = CurrentExceptionAsError(description_);
    Disconnect();
    return Fail(std::move(error));
  }
  const bool notified = notified_;
  notified_ = false;
  return notified;
}

}  // namespace hone::store::postgres
