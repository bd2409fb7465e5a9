// The HTTP server over TLS, with real sockets on 127.0.0.1 and an Asio TLS client that checks
// the server's certificate; the client address; which addresses may serve plain HTTP.
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "hone/core/test_temp_dir.h"
#include "hone/serve/http_server.h"
#include "hone/serve/testing/tls_test_cert.h"

namespace hone::serve {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace http = boost::beast::http;
using boost::system::error_code;
using Response = http::response<http::string_body>;

/// A TLS client of 127.0.0.1 that trusts only `ca_file` and checks that the certificate names
/// 127.0.0.1. Every operation gives up after 5 s.
class TlsClient {
 public:
  TlsClient(uint16_t port, const std::string& ca_file, int max_version = 0) {
    error_code ec;
    context_.load_verify_file(ca_file, ec);
    EXPECT_FALSE(ec) << ec.message();
    if (max_version != 0) {  // an old client: it offers only old versions
      SSL_set_security_level(stream_.native_handle(), 0);
      SSL_set_min_proto_version(stream_.native_handle(), TLS1_VERSION);
      SSL_set_max_proto_version(stream_.native_handle(), max_version);
    }
    stream_.set_verify_mode(ssl::verify_peer);
    stream_.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    stream_.next_layer().connect({asio::ip::make_address("127.0.0.1"), port}, ec);
    EXPECT_FALSE(ec) << ec.message();
  }

  error_code Handshake() {
    return Run([&](auto done) { stream_.async_handshake(ssl::stream_base::client, done); });
  }

  error_code Send(std::string_view bytes) {
    return Run([&](auto done) { asio::async_write(stream_, asio::buffer(bytes), done); });
  }

  /// One response; its result() is 0 (and `error` set) when none came whole.
  Response Read(error_code* error = nullptr) {
    Response response;
    const error_code ec =
        Run([&](auto done) { http::async_read(stream_, buffer_, response, done); });
    if (error != nullptr) *error = ec;
    if (ec) response.result(0);
    return response;
  }

  /// The error of reading after the last response: eof when the server ended TLS with its
  /// close_notify, stream_truncated when it just dropped the TCP connection.
  error_code ReadEnd() {
    char byte;
    return Run([&](auto done) { stream_.async_read_some(asio::buffer(&byte, 1), done); });
  }

 private:
  template <class Start>
  error_code Run(Start start) {
    error_code result = asio::error::would_block;
    start([&result](error_code ec, auto&&...) { result = ec; });
    io_.restart();
    io_.run_for(5s);
    if (result == asio::error::would_block) {
      error_code ignored;
      stream_.next_layer().close(ignored);
      io_.run();
      result = asio::error::timed_out;
    }
    return result;
  }

  asio::io_context io_;
  ssl::context context_{ssl::context::tls_client};
  ssl::stream<asio::ip::tcp::socket> stream_{io_, context_};
  boost::beast::flat_buffer buffer_;
};

/// A plain TCP client: sends bytes, reads whatever comes until the server closes (5 s at most).
std::string PlainExchange(uint16_t port, std::string_view bytes) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string received;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    if (!bytes.empty()) send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    char chunk[4096];
    ssize_t n;
    while ((n = recv(fd, chunk, sizeof chunk, 0)) > 0) received.append(chunk, n);
  }
  close(fd);
  return received;
}

/// "METHOD TARGET|BODY|REMOTE-ADDRESS"
void Echo(const HttpRequest& request, HttpResponse& response) {
  response.content_type = "text/plain";
  response.body = std::string(request.method) + " " + std::string(request.target) + "|" +
                  std::string(request.body) + "|" + std::string(request.remote_address);
}

class TlsServerTest : public core::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    auto cert = testing::WriteSelfSignedCert(dir_);
    ASSERT_TRUE(cert.has_value()) << cert.error().message();
    cert_ = *cert;
  }

  std::unique_ptr<HttpServer> Start(HttpServerOptions options = {}) {
    options.port = 0;
    options.threads = 2;
    options.tls_cert_file = cert_.cert_path;
    options.tls_key_file = cert_.key_path;
    auto server = HttpServer::Start(options, Echo);
    EXPECT_TRUE(server.has_value()) << server.error().message();
    return server ? std::move(server).value() : nullptr;
  }

  testing::TestCertificate cert_;
};

TEST_F(TlsServerTest, HttpsRoundTripsOnOneKeepAliveConnection) {
  auto server = Start();
  ASSERT_TRUE(server);
  TlsClient client(server->port(), cert_.cert_path);
  ASSERT_FALSE(client.Handshake());
  for (int i = 0; i < 3; ++i) {
    ASSERT_FALSE(client.Send("GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: t\r\n\r\n"));
    const Response r = client.Read();
    EXPECT_EQ(r.result_int(), 200);
    EXPECT_EQ(r.body(), "GET /" + std::to_string(i) + "||127.0.0.1");
    EXPECT_TRUE(r.keep_alive());
  }
  const std::string body(100000, 'b');  // larger than a TLS record
  ASSERT_FALSE(client.Send("POST /big HTTP/1.1\r\nContent-Length: 100000\r\n\r\n" + body));
  EXPECT_EQ(client.Read().body(), "POST /big|" + body + "|127.0.0.1");
  ASSERT_FALSE(client.Send("GET /last HTTP/1.1\r\nConnection: close\r\n\r\n"));
  const Response last = client.Read();
  EXPECT_EQ(last.result_int(), 200);
  EXPECT_FALSE(last.keep_alive());
  EXPECT_EQ(client.ReadEnd(), asio::error::eof);  // the server said close_notify
  EXPECT_EQ(server->stats().connections_accepted.load(), 1u);
  EXPECT_EQ(server->stats().tls_handshake_failures.load(), 0u);
}

TEST_F(TlsServerTest, PlainHttpToTheTlsPortIsAnswered400AndCounted) {
  auto server = Start();
  ASSERT_TRUE(server);
  const std::string reply = PlainExchange(server->port(), "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(reply.substr(0, 24), "HTTP/1.1 400 Bad Request") << reply;
  EXPECT_NE(reply.find("Connection: close"), std::string::npos) << reply;
  EXPECT_NE(reply.find("speaks HTTPS only"), std::string::npos) << reply;
  // Not TLS and not HTTP either: closed without a word.
  EXPECT_EQ(PlainExchange(server->port(), std::string(300, '\x16')), "");
  EXPECT_EQ(server->stats().tls_handshake_failures.load(), 2u);
  EXPECT_EQ(server->stats().rejected[StatusSlot(400)].load(), 1u);

  TlsClient client(server->port(), cert_.cert_path);  // still serving
  ASSERT_FALSE(client.Handshake());
  ASSERT_FALSE(client.Send("GET /after HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(client.Read().result_int(), 200);
}

TEST_F(TlsServerTest, SilentClientIsClosedAfterTheRequestTimeout) {
  HttpServerOptions options;
  options.request_timeout = 200ms;
  auto server = Start(options);
  ASSERT_TRUE(server);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(PlainExchange(server->port(), ""), "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
  EXPECT_EQ(server->stats().tls_handshake_failures.load(), 1u);
}

TEST_F(TlsServerTest, TlsOlderThan12IsRefused) {
  auto server = Start();
  ASSERT_TRUE(server);
  TlsClient client(server->port(), cert_.cert_path, TLS1_1_VERSION);
  EXPECT_TRUE(client.Handshake());
  for (int i = 0; i < 500 && server->stats().tls_handshake_failures.load() == 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(server->stats().tls_handshake_failures.load(), 1u);
}

TEST_F(TlsServerTest, AClientThatDoesNotTrustTheCertificateFails) {
  auto server = Start();
  ASSERT_TRUE(server);
  std::filesystem::create_directories(dir_ / "other");
  auto other = testing::WriteSelfSignedCert(dir_ / "other");
  ASSERT_TRUE(other.has_value());
  TlsClient client(server->port(), other->cert_path);
  EXPECT_TRUE(client.Handshake());
}

TEST_F(TlsServerTest, TransportLimitsAreAnsweredOverTls) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  options.max_connections = 1;
  auto server = Start(options);
  ASSERT_TRUE(server);
  TlsClient client(server->port(), cert_.cert_path);
  ASSERT_FALSE(client.Handshake());
  ASSERT_FALSE(client.Send("POST / HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n0123"));
  const Response r = client.Read();
  EXPECT_EQ(r.result_int(), 413);
  EXPECT_NE(r.body().find("limit of 1024 bytes"), std::string::npos) << r.body();
  EXPECT_FALSE(r.keep_alive());

  TlsClient second(server->port(), cert_.cert_path);
  ASSERT_FALSE(second.Handshake());
  // The first may still be open (lingering): then the second is over the limit.
  ASSERT_FALSE(second.Send("GET / HTTP/1.1\r\n\r\n"));
  const int status = second.Read().result_int();
  EXPECT_TRUE(status == 200 || status == 503) << status;
}

TEST_F(TlsServerTest, StopClosesTlsConnections) {
  auto server = Start();
  ASSERT_TRUE(server);
  TlsClient idle(server->port(), cert_.cert_path);
  ASSERT_FALSE(idle.Handshake());
  ASSERT_FALSE(idle.Send("GET / HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(idle.Read().result_int(), 200);
  TlsClient handshaking(server->port(), cert_.cert_path);  // connected, no handshake yet
  while (server->stats().connections_open.load() < 2) std::this_thread::yield();
  server->Stop();
  EXPECT_TRUE(idle.ReadEnd());
  EXPECT_EQ(server->stats().connections_open.load(), 0);
}

TEST_F(TlsServerTest, UnusableCertificateOrKeyIsAnErrorNamingTheFile) {
  HttpServerOptions options;
  options.port = 0;
  auto start = [&](const std::string& cert, const std::string& key) {
    options.tls_cert_file = cert;
    options.tls_key_file = key;
    auto server = HttpServer::Start(options, Echo);
    EXPECT_FALSE(server.has_value());
    return server ? Error(ErrorCode::kInternal, "started") : server.error();
  };
  const std::string missing = (dir_ / "missing.pem").string();
  Error e = start(missing, cert_.key_path);
  EXPECT_EQ(e.code(), ErrorCode::kIo);
  EXPECT_NE(e.message().find("certificate file '" + missing + "'"), std::string::npos)
      << e.message();
  EXPECT_NE(e.message().find("No such file"), std::string::npos) << e.message();

  e = start(cert_.cert_path, missing);
  EXPECT_EQ(e.code(), ErrorCode::kIo);
  EXPECT_NE(e.message().find("key file '" + missing + "'"), std::string::npos) << e.message();

  const std::string garbage = (dir_ / "garbage.pem").string();
  std::ofstream(garbage) << "not a certificate\n";
  e = start(garbage, cert_.key_path);
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(e.message().find("'" + garbage + "' holds no usable PEM certificate: "),
            std::string::npos)
      << e.message();

  e = start(cert_.cert_path, cert_.cert_path);  // a certificate is no key
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(e.message().find("holds no usable PEM private key"), std::string::npos) << e.message();

  std::filesystem::create_directories(dir_ / "other");
  auto other = testing::WriteSelfSignedCert(dir_ / "other");
  ASSERT_TRUE(other.has_value());
  e = start(cert_.cert_path, other->key_path);
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(e.message().find(other->key_path), std::string::npos) << e.message();

  e = start(cert_.cert_path, "");
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(e.message().find("both a certificate and a key"), std::string::npos) << e.message();
}

TEST(HttpServerAddressTest, RemoteAddressIsTheClientsIp) {
  HttpServerOptions options;
  options.port = 0;
  options.threads = 1;
  auto server = HttpServer::Start(options, Echo);
  ASSERT_TRUE(server.has_value()) << server.error().message();
  const std::string reply =
      PlainExchange((*server)->port(), "GET /r HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_NE(reply.find("GET /r||127.0.0.1"), std::string::npos) << reply;

  options.host = "localhost";  // a name for 127.0.0.1
  server = HttpServer::Start(options, Echo);
  ASSERT_TRUE(server.has_value()) << server.error().message();
  EXPECT_NE(PlainExchange((*server)->port(), "GET /l HTTP/1.1\r\nConnection: close\r\n\r\n")
                .find("GET /l||127.0.0.1"),
            std::string::npos);
}

TEST(HttpServerAddressTest, PlainHttpOnlyOnLoopbackUnlessInsecure) {
  for (const char* host : {"127.0.0.1", "127.8.9.10", "::1", "localhost", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(CheckListenAddress(host, false, false).has_value()) << host;
  }
  for (const char* host : {"0.0.0.0", "::", "10.1.2.3", "192.168.0.1", "2001:db8::1",
                           "::ffff:10.0.0.1", "128.0.0.1", "example.com", ""}) {
    const auto refused = CheckListenAddress(host, false, false);
    ASSERT_FALSE(refused.has_value()) << host;
    EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(refused.error().message().find("--tls-cert"), std::string::npos);
    EXPECT_NE(refused.error().message().find("--insecure-listen"), std::string::npos);
    EXPECT_TRUE(CheckListenAddress(host, true, false).has_value()) << host;
    EXPECT_TRUE(CheckListenAddress(host, false, true).has_value()) << host;
  }
  EXPECT_NE(CheckListenAddress("0.0.0.0", false, false).error().message().find("0.0.0.0"),
            std::string::npos);
}

}  // namespace
}  // namespace hone::serve
