// Internals of the HTTP server (http_server.cc): the per-thread event loop (Worker) and one
// keep-alive connection (Connection). Not part of the public API: only http_server.cc and
// http_connection.cc include this, so Beast and Asio stay out of http_server.h.
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
#include <vector>

#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
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
using Clock = std::chrono::steady_clock;
using Timer = asio::basic_waitable_timer<Clock, asio::wait_traits<Clock>, Executor>;

class Connection;

/// `now` as an HTTP date (IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"), for the Date header.
/// The text stays valid on the calling thread until the next call with another second.
std::string_view HttpDate(time_t now);

/// What every connection of a server shares. Immutable except `stats` (atomics).
struct ServerShared {
  HttpServerOptions options;
  HttpHandler handler;
  HttpServerStats stats;
  Clock::duration min_timeout;  // min(request_timeout, idle_timeout): see Connection::OnTimer
};

/// One I/O thread's event loop and the connections it serves. Everything but `ioc` is touched
/// only by that thread (or by Stop after the thread has been joined), so it needs no locks.
class Worker {
 public:
  explicit Worker(uint64_t id_seed);

  // Declared before ioc: destroying ioc destroys the connections it still holds, which
  // unregister themselves.
  std::vector<Connection*> connections;  // open ones, for Drain
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

/// One TCP connection: reads requests one after another (pipelined ones in order), calls the
/// handler inline and writes each response before reading the next. Owned by the pending
/// asynchronous operations through shared_ptr; runs only on its worker's thread.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  /// `refuse`: the server is over max_connections; answer 503 and close.
  Connection(ServerShared& shared, Worker& worker, Socket socket, bool refuse);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Begins serving; on the worker's thread.
  void Start();
  /// Part of Worker::Drain.
  void Drain();

 private:
  enum class Phase { kIdle, kReading, kWriting, kLinger, kClosed };

  void WaitForRequest();
  void ReadRequest();
  void OnHeader(beast::error_code ec);
  void ReadBody();
  void OnRead(beast::error_code ec);
  bool RejectReadError(beast::error_code ec);
  void Handle();
  void SendError(int status, std::string_view message);
  void FormatHead(std::string_view request_id);
  void Write(bool with_body);
  void OnWrite(beast::error_code ec);
  void Linger();
  void DropInput();
  void Close();
  void Unregister();

  void SetDeadline(Phase phase, Clock::duration timeout);
  void ArmTimer(Clock::time_point at);
  void OnTimer();

  ServerShared& shared_;
  Worker& worker_;
  Socket socket_;
  Timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  HttpResponse response_;  // reused across requests
  std::string head_;       // the response's status line and headers, reused
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

}  // namespace hone::serve::internal

#endif  // HONE_SERVE_HTTP_CONNECTION_H_
