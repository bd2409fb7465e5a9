#include "hone/serve/http_server.h"

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace hone::serve {
namespace {

using namespace std::chrono_literals;

/// A blocking test client on plain POSIX sockets; every read gives up after 5 s.
class Client {
 public:
  explicit Client(uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    timeval timeout{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~Client() { close(fd_); }

  bool connected() const { return connected_; }

  void Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;  // the server closed; the next read tells
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }

  struct Response {
    int status = 0;  // 0: the connection closed (or timed out) before a whole response
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
  };

  Response Read() {
    Response r;
    size_t end;
    while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return r;
    }
    const std::string head = pending_.substr(0, end);
    pending_.erase(0, end + 4);
    size_t line_end = head.find("\r\n");
    r.status = std::atoi(head.substr(9, 3).c_str());
    while (line_end != std::string::npos) {
      const size_t next = head.find("\r\n", line_end + 2);
      const std::string line = head.substr(line_end + 2, next - line_end - 2);
      const size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(c));
      const size_t value = line.find_first_not_of(' ', colon + 1);
      r.headers[name] = value == std::string::npos ? "" : line.substr(value);
      line_end = next;
    }
    const size_t length = std::stoul(
        r.headers.count("content-length") != 0u ? r.headers["content-length"] : std::string("0"));
    while (pending_.size() < length) {
      if (!Fill()) return Response{};
    }
    r.body = pending_.substr(0, length);
    pending_.erase(0, length);
    return r;
  }

  /// Everything until the server closes the connection.
  std::string ReadToEof() {
    while (Fill()) {
    }
    return std::move(pending_);
  }

  /// True when the server closes the connection (rather than the read timing out).
  bool ReadsEof() {
    char c;
    for (;;) {
      const ssize_t n = recv(fd_, &c, 1, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }

 private:
  bool Fill() {
    char chunk[4096];
    const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    pending_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_;
  bool connected_ = false;
  std::string pending_;
};

/// Echoes the request: "METHOD TARGET CONTENT-TYPE|BODY"; /throw throws, /slow sleeps 200 ms.
void Echo(const HttpRequest& request, HttpResponse& response) {
  if (request.target == "/throw") throw std::runtime_error("handler failed");
  if (request.target == "/slow") std::this_thread::sleep_for(200ms);
  response.content_type = "text/plain";
  response.body = std::string(request.method) + " " + std::string(request.target) + " " +
                  std::string(request.content_type) + "|" + std::string(request.body);
  response.headers.emplace_back("x-seen-accept", std::string(request.header("ACCEPT")));
  response.headers.emplace_back("x-seen-remote", std::string(request.remote_address));
}

std::unique_ptr<HttpServer> StartServer(HttpServerOptions options = {},
                                        HttpHandler handler = Echo) {
  options.port = 0;
  options.threads = 2;
  auto server = HttpServer::Start(options, std::move(handler));
  EXPECT_TRUE(server.has_value()) << server.error().message();
  return std::move(server).value();
}

uint64_t Rejected(const HttpServer& server, int status) {
  return server.stats().rejected[StatusSlot(status)].load();
}

constexpr std::string_view kGet = "GET /a?x=1 HTTP/1.1\r\nHost: t\r\nAccept: text/csv\r\n\r\n";

bool IsHexId(const std::string& id) {
  return id.size() == 32 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST(HttpServerTest, GetAndPostRoundTrip) {
  auto server = StartServer();
  Client client(server->port());
  ASSERT_TRUE(client.connected());
  client.Send(kGet);
  auto r = client.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "GET /a?x=1 |");
  EXPECT_EQ(r.headers["content-type"], "text/plain");
  EXPECT_EQ(r.headers["content-length"], std::to_string(r.body.size()));
  EXPECT_EQ(r.headers["x-seen-accept"], "text/csv");
  EXPECT_EQ(r.headers["x-seen-remote"], "127.0.0.1");
  EXPECT_TRUE(IsHexId(r.headers["x-request-id"]));
  // Date, as RFC 9110 asks of an origin server with a clock: IMF-fixdate, and now.
  struct tm date {};
  const std::string& text = r.headers["date"];
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &date);
  ASSERT_TRUE(end != nullptr && *end == '\0') << "Date: " << text;
  EXPECT_EQ(text.size(), 29u) << text;
  EXPECT_LE(std::abs(static_cast<double>(timegm(&date) - std::time(nullptr))), 5.0) << text;

  client.Send(
      "POST /v2/models/m/infer HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
      "Content-Length: 7\r\n\r\n{\"a\":1}");
  r = client.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "POST /v2/models/m/infer application/json|{\"a\":1}");
  EXPECT_EQ(server->stats().connections_accepted.load(), 1u);
}

TEST(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  auto server = StartServer();
  Client client(server->port());
  for (int i = 0; i < 5; ++i) {
    client.Send("GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: t\r\n\r\n");
    auto r = client.Read();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "GET /" + std::to_string(i) + " |");
    EXPECT_EQ(r.headers.count("connection"), 0u);
  }
  EXPECT_EQ(server->stats().connections_accepted.load(), 1u);
}

TEST(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  auto server = StartServer();
  Client client(server->port());
  client.Send(
      "GET /1 HTTP/1.1\r\nHost: t\r\n\r\n"
      "POST /2 HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
      "GET /3 HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(client.Read().body, "GET /1 |");
  EXPECT_EQ(client.Read().body, "POST /2 |abc");
  EXPECT_EQ(client.Read().body, "GET /3 |");
}

TEST(HttpServerTest, RequestIdIsEchoedOrGenerated) {
  auto server = StartServer();
  Client client(server->port());
  client.Send("GET / HTTP/1.1\r\nx-request-id: abc-123\r\n\r\n");
  EXPECT_EQ(client.Read().headers["x-request-id"], "abc-123");
  client.Send("GET / HTTP/1.1\r\nX-Request-ID: " + std::string(129, 'a') + "\r\n\r\n");
  const auto long_id = client.Read().headers["x-request-id"];
  EXPECT_TRUE(IsHexId(long_id)) << long_id;
  client.Send("GET / HTTP/1.1\r\nx-request-id: has space\r\n\r\n");
  const auto spaced = client.Read().headers["x-request-id"];
  EXPECT_TRUE(IsHexId(spaced)) << spaced;
  EXPECT_NE(long_id, spaced);
}

TEST(HttpServerTest, LargeBodyIsRefusedWith413WithoutReadingIt) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  auto server = StartServer(options);
  Client client(server->port());
  client.Send("POST / HTTP/1.1\r\nContent-Length: 1000000000\r\nx-request-id: big\r\n\r\n0123");
  auto r = client.Read();
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_EQ(r.headers["x-request-id"], "big");
  EXPECT_NE(r.body.find("\"error\":\"the request body is larger than the limit of 1024"),
            std::string::npos)
      << r.body;
  EXPECT_TRUE(client.ReadsEof());
  EXPECT_EQ(Rejected(*server, 413), 1u);
}

TEST(HttpServerTest, ChunkedBodyOverTheLimitIs413) {
  HttpServerOptions options;
  options.max_body_bytes = 8;
  auto server = StartServer(options);
  Client client(server->port());
  client.Send("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n");
  EXPECT_EQ(client.Read().status, 413);
}

TEST(HttpServerTest, HugeHeadersAre431) {
  HttpServerOptions options;
  options.max_header_bytes = 1024;
  auto server = StartServer(options);
  Client client(server->port());
  client.Send("GET / HTTP/1.1\r\nx-big: " + std::string(4000, 'b') + "\r\n\r\n");
  auto r = client.Read();
  EXPECT_EQ(r.status, 431);
  EXPECT_EQ(r.headers["connection"], "close");
  EXPECT_EQ(Rejected(*server, 431), 1u);
}

TEST(HttpServerTest, GarbageIs400AndCloses) {
  auto server = StartServer();
  Client client(server->port());
  client.Send(std::string_view("GARBAGE\x01\x02 nonsense\r\n\r\n"));
  auto r = client.Read();
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("malformed HTTP request"), std::string::npos) << r.body;
  EXPECT_TRUE(IsHexId(r.headers["x-request-id"]));
  EXPECT_TRUE(client.ReadsEof());
  EXPECT_EQ(Rejected(*server, 400), 1u);
}

TEST(HttpServerTest, RequestStoppingHalfwayIs408) {
  HttpServerOptions options;
  options.request_timeout = 200ms;
  auto server = StartServer(options);
  Client client(server->port());
  client.Send("POST / HTTP/1.1\r\nHost: t\r\nContent-Le");  // a slow loris stops here
  auto r = client.Read();
  EXPECT_EQ(r.status, 408);
  EXPECT_NE(r.body.find("not received within 200 ms"), std::string::npos) << r.body;
  EXPECT_TRUE(client.ReadsEof());
  EXPECT_EQ(Rejected(*server, 408), 1u);
}

TEST(HttpServerTest, IdleKeepAliveConnectionIsClosedSilently) {
  HttpServerOptions options;
  options.idle_timeout = 200ms;
  auto server = StartServer(options);
  Client client(server->port());
  client.Send(kGet);
  EXPECT_EQ(client.Read().status, 200);
  EXPECT_TRUE(client.ReadsEof());  // no 408 bytes before the end
  EXPECT_EQ(Rejected(*server, 408), 0u);
}

TEST(HttpServerTest, ConnectionsOverTheLimitAre503) {
  HttpServerOptions options;
  options.max_connections = 2;
  auto server = StartServer(options);
  Client first(server->port());
  Client second(server->port());
  for (Client* c : {&first, &second}) {
    c->Send(kGet);
    EXPECT_EQ(c->Read().status, 200);
  }
  Client third(server->port());
  auto r = third.Read();
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.headers["connection"], "close");
  EXPECT_NE(r.body.find("limit of 2 open connections"), std::string::npos) << r.body;
  EXPECT_TRUE(third.ReadsEof());
  EXPECT_EQ(server->stats().connections_refused.load(), 1u);
  EXPECT_EQ(server->stats().connections_open.load(), 2);
  first.Send(kGet);  // the first two still work
  EXPECT_EQ(first.Read().status, 200);
}

TEST(HttpServerTest, ThrowingHandlerIs500AndTheServerGoesOn) {
  auto server = StartServer();
  Client client(server->port());
  client.Send("GET /throw HTTP/1.1\r\n\r\n");
  auto r = client.Read();
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, "{\"error\":\"internal error\"}");
  client.Send(kGet);  // the connection is still usable: the request was read whole
  EXPECT_EQ(client.Read().status, 200);
  Client other(server->port());
  other.Send(kGet);
  EXPECT_EQ(other.Read().status, 200);
}

TEST(HttpServerTest, StopLetsAnInFlightRequestFinish) {
  std::atomic<bool> slow_started{false};
  auto server = StartServer({}, [&](const HttpRequest& request, HttpResponse& response) {
    if (request.target == "/slow") slow_started = true;
    Echo(request, response);
  });
  Client idle(server->port());
  idle.Send(kGet);
  EXPECT_EQ(idle.Read().status, 200);
  Client half(server->port());
  half.Send("GET / HTTP/1.1\r\nHo");

  Client slow(server->port());
  slow.Send("GET /slow HTTP/1.1\r\n\r\n");
  while (!slow_started) std::this_thread::yield();
  EXPECT_GE(server->stats().requests_in_flight.load(), 1);
  server->Stop();
  auto r = slow.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "GET /slow |");
  EXPECT_TRUE(slow.ReadsEof());
  EXPECT_TRUE(idle.ReadsEof());
  EXPECT_TRUE(half.ReadsEof());
  server->Stop();  // idempotent
  EXPECT_EQ(server->stats().connections_open.load(), 0);
  EXPECT_EQ(server->stats().requests_in_flight.load(), 0);
}

TEST(HttpServerTest, StopGivesUpAfterTheDrainTimeout) {
  HttpServerOptions options;
  options.drain_timeout = 100ms;
  auto server = StartServer(options, [](const HttpRequest&, HttpResponse& response) {
    response.body.assign(64u << 20, 'x');  // more than the socket buffers hold
  });
  Client client(server->port());  // asks, then never reads
  client.Send(kGet);
  while (server->stats().requests_in_flight.load() == 0) std::this_thread::yield();
  const auto start = std::chrono::steady_clock::now();
  server->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  server.reset();  // the abandoned connection goes with its event loop
}

TEST(HttpServerTest, TakenPortFailsNamingIt) {
  auto first = StartServer();
  HttpServerOptions options;
  options.port = first->port();
  auto second = HttpServer::Start(options, Echo);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code(), ErrorCode::kIo);
  EXPECT_NE(second.error().message().find("127.0.0.1:" + std::to_string(first->port())),
            std::string::npos)
      << second.error().message();
  options.host = "not-an-address";
  EXPECT_FALSE(HttpServer::Start(options, Echo).has_value());
}

TEST(HttpServerTest, Http10ClosesAfterTheResponse) {
  auto server = StartServer();
  Client client(server->port());
  client.Send("GET /old HTTP/1.0\r\n\r\n");
  auto r = client.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "GET /old |");
  EXPECT_TRUE(client.ReadsEof());

  Client keep(server->port());  // unless it asks for keep-alive
  keep.Send("GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_EQ(keep.Read().headers["connection"], "keep-alive");
  keep.Send("GET /2 HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(keep.Read().headers["connection"], "close");
  EXPECT_TRUE(keep.ReadsEof());
}

TEST(HttpServerTest, ChunkedBodyIsRead) {
  auto server = StartServer();
  Client client(server->port());
  client.Send(
      "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  EXPECT_EQ(client.Read().body, "POST /c |hello world");
}

TEST(HttpServerTest, ExpectContinueGets100) {
  auto server = StartServer();
  Client client(server->port());
  client.Send("POST /e HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(client.Read().status, 100);
  client.Send("hi");
  EXPECT_EQ(client.Read().body, "POST /e |hi");
}

TEST(HttpServerTest, HandlerHeadersCannotBreakTheFraming) {
  auto server = StartServer({}, [](const HttpRequest&, HttpResponse& response) {
    response.body = "{}";
    response.headers = {{"Content-Length", "99"}, {"x-bad", "a\r\nx-injected: 1"}, {"x-ok", "1"}};
  });
  Client client(server->port());
  client.Send("HEAD / HTTP/1.1\r\nConnection: close\r\n\r\n");
  const std::string raw = client.ReadToEof();
  EXPECT_NE(raw.find("\r\nContent-Length: 2\r\n"), std::string::npos) << raw;  // no body: HEAD
  EXPECT_EQ(raw.find("Length: 99"), std::string::npos) << raw;
  EXPECT_EQ(raw.find("x-injected"), std::string::npos) << raw;
  EXPECT_NE(raw.find("\r\nx-ok: 1\r\n"), std::string::npos) << raw;
  EXPECT_EQ(raw.substr(raw.size() - 4), "\r\n\r\n");
}

}  // namespace
}  // namespace hone::serve
