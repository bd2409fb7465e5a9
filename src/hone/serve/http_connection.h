// Internals of the HTTP server (http_server.cc): the per-thread event loop (Worker) and one
// keep-alive connection (Connection), over plain TCP or TLS. Not part of the public API: only
// the server's own files include this, so Beast, Asio and OpenSSL stay out of http_server.h.
#ifndef HONE_SERVE_HTTP_CONNECTION_H_
#define HONE_SERVE_HTTP_CONNECTION_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "hone/serve/http_server.h"

namespace hone::serve::internal {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

// Typed on io_context's executor (not any_io_executor): no type erasure on every operation.
using Executor = asio::io_context::executor_type;
using Socket = asio::basic_stream_socket<asio::ip::tcp, Executor>;
using TlsStream = asio::ssl::stream<Socket>;
using Clock = std::chrono::steady_clock;
using Timer = asio::basic_waitable_timer<Clock, asio::wait_traits<Clock>, Executor>;

class ConnectionBase;

/// `now` as an HTTP date (IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"), for the Date header.
/// The text stays valid on the calling thread until the next call with another second.
std::string_view HttpDate(time_t now);

/// What every connection of a server shares. Immutable except `stats` (atomics).
struct ServerShared {
  HttpServerOptions options;
  HttpHandler handler;
  HttpServerStats stats;
  Clock::duration min_timeout;  // min(request_timeout, idle_timeout): see Connection::OnTimer
  /// Set when the options name a certificate and a key: every connection is then TLS.
  /// OpenSSL lets many threads make connections from one context.
  std::unique_ptr<asio::ssl::context> tls;
};

/// One I/O thread's event loop and the connections it serves. Everything but `ioc` is touched
/// only by that thread (or by Stop after the thread has been joined), so it needs no locks.
class Worker {
 public:
  explicit Worker(uint64_t id_seed);

  // Declared before ioc: destroying ioc destroys the connections it still holds, which
  // unregister themselves.
  std::vector<ConnectionBase*> connections;  // open ones, for Drain
  bool draining = false;
  asio::io_context ioc{1};
  asio::executor_work_guard<Executor> guard{ioc.get_executor()};

  /// A new request id: 32 lowercase hex characters, unique per process run.
  void NewRequestId(std::array<char, 32>& out);
  /// Stops reading new requests: closes idle and half-read connections, lets the ones writing
  /// a response finish, and lets the loop end once nothing is left.
  void Drain();

 private:
  uint64_t id_prefix_;
  uint64_t id_counter_ = 0;
};

/// What a connection is and does apart from its transport: its request state, the handler
/// call, the error answers and the response head. Nothing here does I/O.
class ConnectionBase {
 public:
  ConnectionBase(const ConnectionBase&) = delete;
  ConnectionBase& operator=(const ConnectionBase&) = delete;

  /// Part of Worker::Drain. (The only virtual call: once per connection, on Stop.)
  virtual void Drain() = 0;

 protected:
  enum class Phase { kHandshake, kIdle, kReading, kWriting, kLinger, kClosed };

  /// `refuse`: the server is over max_connections; answer 503 and close.
  ConnectionBase(ServerShared& shared, Worker& worker, std::string remote_address, bool refuse);
  virtual ~ConnectionBase();

  void Register();
  void Unregister();
  /// A fresh parser with the server's limits, for the next request.
  void ResetParser();
  /// Runs the handler on the request just read and formats the response head; false when the
  /// response has no body on the wire (HEAD).
  bool Respond();
  /// Fills the response with an error the server answers itself, closing after it.
  void PrepareError(int status, std::string_view message);
  /// After a failed read: prepares the error answer (408, 413, 431, 400) and returns true, or
  /// returns false when the client just went away.
  bool PrepareReadError(beast::error_code ec);
  void FormatHead(std::string_view request_id);  // http_response.cc
  void EndInFlight();

  ServerShared& shared_;
  Worker& worker_;
  Timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpResponse response_;  // reused across requests
  std::string head_;       // the response's status line and headers, reused
  std::string remote_address_;
  std::array<char, 32> new_id_{};

  Phase phase_ = Phase::kIdle;
  Clock::time_point deadline_{};
  Clock::time_point armed_ = Clock::time_point::max();
  uint64_t timer_generation_ = 0;
  size_t index_ = kNotRegistered;  // in worker_.connections
  bool refuse_;
  bool timed_out_ = false;
  bool keep_alive_ = true;
  bool http10_ = false;  // the request was HTTP/1.0
  bool in_flight_ = false;

  static constexpr size_t kNotRegistered = ~size_t{0};
};

/// One connection: reads requests one after another (pipelined ones in order), calls the
/// handler inline and writes each response before reading the next. `Stream` is Socket (plain
/// HTTP) or TlsStream (HTTPS, after a handshake); the type is fixed per connection, so the
/// request path makes no virtual call. Owned by the pending asynchronous operations through
/// shared_ptr; runs only on its worker's thread.
template <class Stream>
class Connection final : public ConnectionBase,
                         public std::enable_shared_from_this<Connection<Stream>> {
 public:
  Connection(ServerShared& shared, Worker& worker, Socket socket, std::string remote_address,
             bool refuse);

  /// Begins serving; on the worker's thread.
  void Start();
  void Drain() override;

 private:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Socket& Tcp();
  std::shared_ptr<Connection> Self() { return this->shared_from_this(); }

  void OnHandshake(beast::error_code ec);
  void AnswerPlainHttp();
  void Serve();
  void WaitForRequest();
  void ReadRequest();
  void OnHeader(beast::error_code ec);
  void ReadBody();
  void OnRead(beast::error_code ec);
  bool RejectReadError(beast::error_code ec);
  void SendError(int status, std::string_view message);
  void Write(bool with_body);
  void OnWrite(beast::error_code ec);
  void Linger();
  void DropInput();
  void Close();

  void SetDeadline(Phase phase, Clock::duration timeout);
  void ArmTimer(Clock::time_point at);
  void OnTimer();

  Stream stream_;
};

extern template class Connection<Socket>;
extern template class Connection<TlsStream>;

}  // namespace hone::serve::internal

#endif  // HONE_SERVE_HTTP_CONNECTION_H_
