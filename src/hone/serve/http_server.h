// An event-driven HTTP/1.1 server (Boost.Beast on Asio): a fixed pool of I/O threads, each
// running its own event loop; keep-alive; no thread per request or connection. Handlers run on
// the I/O thread that read the request and must not block: model inference takes
// microseconds, so running it inline is cheaper than handing it to another thread. Given a
// certificate and a key it speaks HTTPS only (OpenSSL, TLS 1.2 and later).
//
// The server enforces the transport limits itself and answers them with {"error": "..."}:
// a malformed request 400, a body over the limit 413, headers over the limit 431, a request
// not read completely within the timeout 408, a connection over the limit 503. Every response
// carries `x-request-id`: the request's own when it sent a usable one, else a new one.
#ifndef HONE_SERVE_HTTP_SERVER_H_
#define HONE_SERVE_HTTP_SERVER_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hone/core/error.h"
#include "hone/serve/request_stats.h"

namespace hone::serve {

/// A request as a handler sees it. Every view lives until the handler returns.
struct HttpRequest {
  std::string_view method;        // "GET", "POST", …
  std::string_view target;        // path and query, as sent: "/v2/models/churn/infer?x=1"
  std::string_view content_type;  // the Content-Type header, empty when absent
  std::string_view body;
  /// The `x-request-id` header when it was 1–128 printable ASCII characters, else a new id
  /// (32 hex characters). The server puts it on the response.
  std::string_view request_id;
  /// The client's IP address as text ("127.0.0.1", "2001:db8::1"; an IPv4 client of an IPv6
  /// socket as IPv4). The TCP peer: behind a proxy, the proxy.
  std::string_view remote_address;
  /// The request's own header `name` (case-insensitive), empty when absent.
  std::function<std::string_view(std::string_view name)> header;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  /// Extra headers. Content-Type, Content-Length, Connection and x-request-id are the
  /// server's.
  std::vector<std::pair<std::string, std::string>> headers;
};

/// Called once per request on an I/O thread; fills `response`. Must not throw and must not
/// block for long (it holds up the other connections of its thread).
using HttpHandler = std::function<void(const HttpRequest& request, HttpResponse& response)>;

struct HttpServerOptions {
  /// Address to listen on. Loopback by default; "0.0.0.0" or "::" for every interface.
  std::string host = "127.0.0.1";
  /// 0: a free port chosen by the system (see HttpServer::port()).
  uint16_t port = 8080;
  /// I/O threads, each with its own event loop and its share of the connections. 0: one per
  /// hardware thread.
  unsigned threads = 0;
  /// Largest request body; a larger Content-Length (or chunked body) is answered 413.
  size_t max_body_bytes = 16u << 20;
  /// Largest request line plus headers; larger is answered 431.
  size_t max_header_bytes = 16u << 10;
  /// Time to read one whole request once its first byte arrived; slower is answered 408 and the
  /// connection closed.
  std::chrono::milliseconds request_timeout{30000};
  /// A keep-alive connection with no request for this long is closed.
  std::chrono::milliseconds idle_timeout{60000};
  /// Open connections at most; one more is answered 503 and closed.
  size_t max_connections = 10000;
  /// On Stop(), how long in-flight requests may take to finish.
  std::chrono::milliseconds drain_timeout{10000};
  /// PEM files of the certificate (chain, the server's first) and its private key (not
  /// encrypted). Both set: every connection is TLS (1.2 or later); its handshake must finish
  /// within request_timeout, then requests are served as over plain HTTP. Both empty: plain
  /// HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;
};

/// What the server did, for /metrics. Read with relaxed loads.
struct HttpServerStats {
  std::atomic<uint64_t> connections_accepted{0};
  std::atomic<uint64_t> connections_refused{0};  // over max_connections
  std::atomic<int64_t> connections_open{0};
  std::atomic<int64_t> requests_in_flight{0};  // read completely, response not yet written
  /// Requests the server answered itself, by status (400, 408, 413, 431, 503), indexed by
  /// StatusSlot (request_stats.h).
  std::array<std::atomic<uint64_t>, kCountedStatuses.size()> rejected{};
  /// TLS connections closed before their handshake finished: not TLS (a plain HTTP request is
  /// answered 400 in plain text and counted in `rejected` too), a failed or refused handshake,
  /// or none within request_timeout.
  std::atomic<uint64_t> tls_handshake_failures{0};
};

/// Thread-safe. Destroying the server stops it (see Stop).
class HttpServer {
 public:
  /// Binds, listens and starts the I/O threads. Fails with kIo naming the address when the port
  /// is taken or the address unusable, and naming the file when a TLS certificate or key cannot
  /// be read (kIo) or is not usable (kInvalidArgument, with OpenSSL's reason).
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   HttpHandler handler);
  virtual ~HttpServer() = default;

  /// The port listened on (the chosen one when options.port was 0).
  virtual uint16_t port() const = 0;
  virtual const HttpServerStats& stats() const = 0;

  /// Stops accepting, lets in-flight requests finish and their responses be written (up to
  /// drain_timeout), closes every connection and joins the threads. Idempotent; safe to call
  /// from any thread except an I/O thread.
  virtual void Stop() = 0;
};

/// Whether a server may listen on `host`: plain HTTP (tls false) only on a loopback address
/// (127.0.0.0/8, ::1, "localhost") unless `insecure_listen`, so that requests and their tokens
/// do not cross a network in clear text by accident. kInvalidArgument saying what to give
/// otherwise (--tls-cert and --tls-key, or --insecure-listen).
Result<void> CheckListenAddress(std::string_view host, bool tls, bool insecure_listen);

}  // namespace hone::serve

#endif  // HONE_SERVE_HTTP_SERVER_H_
