// One keep-alive connection of the HTTP server: the read → handle → write cycle, the limits and
// the timeouts, over plain TCP or TLS. Formatting of the response bytes is in http_response.cc.
#include "hone/serve/http_connection.h"

#include <string>
#include <utility>

#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "hone/serve/infer_codec.h"

namespace hone::serve::internal {
namespace {

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// After an error response the client may still be sending (a refused body): read and drop its
// bytes for a while before closing, or the kernel's RST could destroy the response unread.
constexpr size_t kFirstRead = 8192;
constexpr Clock::duration kLingerTimeout = std::chrono::seconds(1);
// A TLS response up to this size goes out as one record (one write) rather than head and body
// apart: two records would be two segments on a TCP_NODELAY socket.
constexpr size_t kCoalesceBytes = 16u << 10;

std::string_view View(beast::string_view s) { return {s.data(), s.size()}; }

}  // namespace

// --- ConnectionBase: the request logic, transport-free ---------------------------------------

ConnectionBase::ConnectionBase(ServerShared& shared, Worker& worker, std::string remote_address,
                               bool refuse)
    : shared_(shared),
      worker_(worker),
      timer_(worker.ioc.get_executor()),
      remote_address_(std::move(remote_address)),
      refuse_(refuse) {
  if (!refuse_) shared_.stats.connections_open.fetch_add(1, std::memory_order_relaxed);
}

ConnectionBase::~ConnectionBase() {
  Unregister();
  if (!refuse_) shared_.stats.connections_open.fetch_sub(1, std::memory_order_relaxed);
  if (in_flight_) shared_.stats.requests_in_flight.fetch_sub(1, std::memory_order_relaxed);
}

void ConnectionBase::Register() {
  index_ = worker_.connections.size();
  worker_.connections.push_back(this);
}

void ConnectionBase::Unregister() {
  if (index_ == kNotRegistered) return;
  auto& list = worker_.connections;
  list[index_] = list.back();
  list[index_]->index_ = index_;
  list.pop_back();
  index_ = kNotRegistered;
}

void ConnectionBase::ResetParser() {
  timed_out_ = false;
  parser_.emplace();
  const size_t header_limit = shared_.options.max_header_bytes;
  parser_->header_limit(static_cast<uint32_t>(std::min<size_t>(header_limit, UINT32_MAX)));
  parser_->body_limit(shared_.options.max_body_bytes);
}

bool ConnectionBase::Respond() {
  auto& req = parser_->get();
  in_flight_ = true;
  shared_.stats.requests_in_flight.fetch_add(1, std::memory_order_relaxed);

  std::string_view request_id = View(req["x-request-id"]);
  bool usable = !request_id.empty() && request_id.size() <= 128;
  for (char c : request_id) usable = usable && c >= 0x21 && c <= 0x7e;
  if (!usable) {
    worker_.NewRequestId(new_id_);
    request_id = {new_id_.data(), new_id_.size()};
  }
  HttpRequest request{.method = View(req.method_string()),
                      .target = View(req.target()),
                      .content_type = View(req[http::field::content_type]),
                      .body = req.body(),
                      .request_id = request_id,
                      .remote_address = remote_address_,
                      .header = [&req](std::string_view name) -> std::string_view {
                        const auto it = req.find(beast::string_view(name.data(), name.size()));
                        return it == req.end() ? std::string_view() : View(it->value());
                      }};
  response_.status = 200;
  response_.content_type = "application/json";
  response_.body.clear();
  response_.headers.clear();
  try {
    shared_.handler(request, response_);
  } catch (...) {
    response_.status = 500;
    response_.content_type = "application/json";
    response_.body = ErrorBody("internal error");
    response_.headers.clear();
    shared_.stats.rejected[StatusSlot(500)].fetch_add(1, std::memory_order_relaxed);
  }
  keep_alive_ = req.keep_alive() && !worker_.draining;
  http10_ = req.version() == 10;
  FormatHead(request_id);
  return req.method() != http::verb::head;
}

void ConnectionBase::PrepareError(int status, std::string_view message) {
  shared_.stats.rejected[StatusSlot(status)].fetch_add(1, std::memory_order_relaxed);
  std::string_view request_id;
  if (parser_) request_id = View(parser_->get()["x-request-id"]);
  bool usable = !request_id.empty() && request_id.size() <= 128;
  for (char c : request_id) usable = usable && c >= 0x21 && c <= 0x7e;
  if (!usable) {
    worker_.NewRequestId(new_id_);
    request_id = {new_id_.data(), new_id_.size()};
  }
  response_.status = status;
  response_.content_type = "application/json";
  response_.body = ErrorBody(message);
  response_.headers.clear();
  keep_alive_ = false;
  http10_ = false;
  FormatHead(request_id);
}

bool ConnectionBase::PrepareReadError(beast::error_code ec) {
  const auto& options = shared_.options;
  if (timed_out_) {
    PrepareError(408, "the request was not received within " +
                          std::to_string(options.request_timeout.count()) + " ms");
  } else if (ec == http::error::body_limit) {
    PrepareError(413, "the request body is larger than the limit of " +
                          std::to_string(options.max_body_bytes) + " bytes");
  } else if (ec == http::error::header_limit) {
    PrepareError(431, "the request line and headers are larger than the limit of " +
                          std::to_string(options.max_header_bytes) + " bytes");
  } else if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
             ec != http::error::end_of_stream && ec != http::error::partial_message) {
    PrepareError(400, "malformed HTTP request: " + ec.message());
  } else {
    return false;  // the client went away, before or during a request
  }
  return true;
}

void ConnectionBase::EndInFlight() {
  if (!in_flight_) return;
  in_flight_ = false;
  shared_.stats.requests_in_flight.fetch_sub(1, std::memory_order_relaxed);
}

// --- Connection<Stream>: the I/O --------------------------------------------------------------

template <class Stream>
Connection<Stream>::Connection(ServerShared& shared, Worker& worker, Socket socket,
                               std::string remote_address, bool refuse)
    : ConnectionBase(shared, worker, std::move(remote_address), refuse), stream_([&]() -> Stream {
        if constexpr (kTls) {
          return Stream(std::move(socket), *shared.tls);
        } else {
          return std::move(socket);
        }
      }()) {}

template <class Stream>
Socket& Connection<Stream>::Tcp() {
  if constexpr (kTls) {
    return stream_.next_layer();
  } else {
    return stream_;
  }
}

template <class Stream>
void Connection<Stream>::Start() {
  Register();
  if (worker_.draining) return Close();
  beast::error_code ignored;
  Tcp().set_option(asio::ip::tcp::no_delay(true), ignored);
  ArmTimer(Clock::now() + shared_.min_timeout);
  if constexpr (kTls) {
    // The handshake has the time of a request: a client that connects and stays silent is
    // closed as a slow request would be.
    SetDeadline(Phase::kHandshake, shared_.options.request_timeout);
    stream_.async_handshake(asio::ssl::stream_base::server,
                            [self = Self()](beast::error_code ec) { self->OnHandshake(ec); });
  } else {
    Serve();
  }
}

template <class Stream>
void Connection<Stream>::OnHandshake(beast::error_code ec) {
  if (phase_ == Phase::kClosed) return;  // timed out (counted there) or drained
  if (!ec) return Serve();
  shared_.stats.tls_handshake_failures.fetch_add(1, std::memory_order_relaxed);
  if (ec.category() == asio::error::get_ssl_category() &&
      ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_HTTP_REQUEST) {
    return AnswerPlainHttp();
  }
  Close();
}

// A plain HTTP request to the HTTPS port: say so in plain HTTP (as nginx does) rather than
// leave the client with a reset connection.
template <class Stream>
void Connection<Stream>::AnswerPlainHttp() {
  shared_.stats.rejected[StatusSlot(400)].fetch_add(1, std::memory_order_relaxed);
  worker_.NewRequestId(new_id_);
  response_.status = 400;
  response_.content_type = "application/json";
  response_.body = ErrorBody("this server speaks HTTPS only: use https:// rather than http://");
  response_.headers.clear();
  keep_alive_ = false;
  http10_ = false;
  FormatHead({new_id_.data(), new_id_.size()});
  head_.append(response_.body);
  SetDeadline(Phase::kWriting, shared_.options.request_timeout);
  asio::async_write(Tcp(), asio::buffer(head_), [self = Self()](beast::error_code, size_t) {
    beast::error_code ignored;
    self->Tcp().shutdown(Socket::shutdown_send, ignored);
    self->Close();
  });
}

template <class Stream>
void Connection<Stream>::Serve() {
  if (refuse_) {
    return SendError(503, "the server is at its limit of " +
                              std::to_string(shared_.options.max_connections) +
                              " open connections; retry later");
  }
  WaitForRequest();
}

template <class Stream>
void Connection<Stream>::Drain() {
  if (phase_ == Phase::kWriting) {
    keep_alive_ = false;  // the response in progress is the last
  } else {
    Close();
  }
}

template <class Stream>
void Connection<Stream>::WaitForRequest() {
  if (worker_.draining) return Close();
  SetDeadline(Phase::kIdle, shared_.options.idle_timeout);
  if (buffer_.size() > 0) return ReadRequest();  // a pipelined request is already here
  // Reading the first bytes before parsing tells when a request begins, which starts its
  // request_timeout. (Not async_wait: in Asio 1.74 that costs an epoll_ctl per request, while a
  // read after an exhausted one waits for epoll without any system call.)
  stream_.async_read_some(buffer_.prepare(kFirstRead),
                          [self = Self()](beast::error_code ec, size_t n) {
                            self->buffer_.commit(n);
                            if (ec || self->phase_ == Phase::kClosed) return self->Close();
                            self->ReadRequest();
                          });
}

template <class Stream>
void Connection<Stream>::ReadRequest() {
  SetDeadline(Phase::kReading, shared_.options.request_timeout);
  ResetParser();
  http::async_read_header(stream_, buffer_, *parser_,
                          [self = Self()](beast::error_code ec, size_t) { self->OnHeader(ec); });
}

template <class Stream>
void Connection<Stream>::OnHeader(beast::error_code ec) {
  if (phase_ == Phase::kClosed || RejectReadError(ec)) return;
  if (parser_->is_done()) return Write(Respond());
  const auto expect = parser_->get()[http::field::expect];
  if (beast::iequals(expect, "100-continue") && buffer_.size() == 0) {
    asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                      [self = Self()](beast::error_code write_ec, size_t) {
                        if (write_ec || self->phase_ == Phase::kClosed) return self->Close();
                        self->ReadBody();
                      });
    return;
  }
  ReadBody();
}

template <class Stream>
void Connection<Stream>::ReadBody() {
  http::async_read(stream_, buffer_, *parser_,
                   [self = Self()](beast::error_code ec, size_t) { self->OnRead(ec); });
}

template <class Stream>
void Connection<Stream>::OnRead(beast::error_code ec) {
  if (phase_ == Phase::kClosed || RejectReadError(ec)) return;
  Write(Respond());
}

// Answers or closes after a failed read; false when `ec` is no failure.
template <class Stream>
bool Connection<Stream>::RejectReadError(beast::error_code ec) {
  if (!ec) return false;
  if (PrepareReadError(ec)) {
    Write(true);
  } else {
    Close();
  }
  return true;
}

template <class Stream>
void Connection<Stream>::SendError(int status, std::string_view message) {
  PrepareError(status, message);
  Write(true);
}

template <class Stream>
void Connection<Stream>::Write(bool with_body) {
  SetDeadline(Phase::kWriting, shared_.options.request_timeout);
  if constexpr (kTls) {
    if (with_body && response_.body.size() <= kCoalesceBytes) {
      head_.append(response_.body);
      with_body = false;
    }
  }
  const std::array<asio::const_buffer, 2> buffers = {
      asio::buffer(head_), with_body ? asio::buffer(response_.body) : asio::const_buffer()};
  asio::async_write(stream_, buffers,
                    [self = Self()](beast::error_code ec, size_t) { self->OnWrite(ec); });
}

template <class Stream>
void Connection<Stream>::OnWrite(beast::error_code ec) {
  EndInFlight();
  if (ec || phase_ == Phase::kClosed) return Close();
  if (!keep_alive_) return Linger();
  WaitForRequest();
}

template <class Stream>
void Connection<Stream>::Linger() {
  if (worker_.draining) return Close();
  SetDeadline(Phase::kLinger,
              std::min(kLingerTimeout, Clock::duration(shared_.options.request_timeout)));
  if constexpr (kTls) {
    // close_notify, then the client's own (or its end of the stream, or the deadline).
    stream_.async_shutdown([self = Self()](beast::error_code) { self->Close(); });
  } else {
    beast::error_code ignored;
    stream_.shutdown(Socket::shutdown_send, ignored);
    DropInput();
  }
}

template <class Stream>
void Connection<Stream>::DropInput() {
  buffer_.clear();
  stream_.async_read_some(buffer_.prepare(4096), [self = Self()](beast::error_code ec, size_t) {
    if (ec || self->phase_ == Phase::kClosed) return self->Close();
    self->DropInput();  // until the client's end or the deadline
  });
}

template <class Stream>
void Connection<Stream>::Close() {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  beast::error_code ignored;
  Tcp().close(ignored);
  timer_.cancel();
  ++timer_generation_;
  Unregister();
}

// The timer is lazy: the request path only moves `deadline_` (no system call). The timer fires
// at most every min_timeout and re-arms itself for the current deadline, so it is always armed
// no later than any deadline a phase can set (now + a timeout >= now + min_timeout).
template <class Stream>
void Connection<Stream>::SetDeadline(Phase phase, Clock::duration timeout) {
  phase_ = phase;
  deadline_ = Clock::now() + timeout;
  if (deadline_ < armed_) ArmTimer(deadline_);
}

template <class Stream>
void Connection<Stream>::ArmTimer(Clock::time_point at) {
  armed_ = at;
  timer_.expires_at(at);
  timer_.async_wait([self = Self(), generation = ++timer_generation_](beast::error_code ec) {
    if (!ec && generation == self->timer_generation_) self->OnTimer();
  });
}

template <class Stream>
void Connection<Stream>::OnTimer() {
  const auto now = Clock::now();
  if (now < deadline_) return ArmTimer(std::min(deadline_, now + shared_.min_timeout));
  armed_ = Clock::time_point::max();
  switch (phase_) {
    case Phase::kReading: {
      timed_out_ = true;  // the read fails with operation_aborted and answers 408
      beast::error_code ignored;
      Tcp().cancel(ignored);
      break;
    }
    case Phase::kHandshake:
      shared_.stats.tls_handshake_failures.fetch_add(1, std::memory_order_relaxed);
      Close();
      break;
    case Phase::kIdle:
    case Phase::kWriting:  // the client does not read its response
    case Phase::kLinger:
    case Phase::kClosed:
      Close();
      break;
  }
}

template class Connection<Socket>;
template class Connection<TlsStream>;

}  // namespace hone::serve::internal
