#include "hone/store/remote/http_client.h"

#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace hone::store::remote {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

class BeastClient final : public HttpClient {
 public:
  BeastClient(Endpoint endpoint, ClientOptions options)
      : endpoint_(std::move(endpoint)),
        options_(std::move(options)),
        ssl_(asio::ssl::context::tls_client),
        describe_((endpoint_.tls ? "https://" : "http://") + endpoint_.host + ":" +
                  endpoint_.port) {}

  Result<void> Init() {
    if (!endpoint_.tls) return {};
    beast::error_code ec;
    ssl_.set_options(asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1, ec);
    if (options_.ca_file.empty()) {
      ssl_.set_default_verify_paths(ec);
    } else {
      ssl_.load_verify_file(options_.ca_file, ec);
    }
    if (ec) {
      return Fail(ErrorCode::kInvalidArgument,
                  "certificate authorities '" +
                      (options_.ca_file.empty() ? std::string("(system)") : options_.ca_file) +
                      "': " + ec.message());
    }
    ssl_.set_verify_mode(asio::ssl::verify_peer);
    return {};
  }

  const std::string& Describe() const override { return describe_; }

  Result<HttpResult> Send(std::string_view method, std::string_view target, std::string_view body,
                          std::string_view content_type) override {
    // A reused connection the server closed while idle fails at once: open a new one and send
    // again, once. A fresh connection's failure is the answer.
    for (int attempt = 0; attempt < 2; ++attempt) {
      const bool reused = connected_;
      if (!connected_) HONE_TRY(Connect());
      auto result = Exchange(method, target, body, content_type);
      if (result) return result;
      Disconnect();
      if (!reused || !retryable_) return result;
    }
    return Fail(ErrorCode::kIo, describe_ + ": the connection kept breaking");
  }

 private:
  Result<void> Connect() {
    try {
      tcp::resolver resolver(ioc_);
      auto endpoints = resolver.resolve(endpoint_.host, endpoint_.port);
      if (endpoint_.tls) {
        tls_.emplace(ioc_, ssl_);
        beast::get_lowest_layer(*tls_).expires_after(options_.timeout);
        beast::get_lowest_layer(*tls_).connect(endpoints);
        if (!SSL_set_tlsext_host_name(tls_->native_handle(), endpoint_.host.c_str())) {
          return Fail(ErrorCode::kIo, describe_ + ": cannot set the TLS server name");
        }
        tls_->set_verify_callback(asio::ssl::host_name_verification(endpoint_.host));
        tls_->handshake(asio::ssl::stream_base::client);
      } else {
        plain_.emplace(ioc_);
        plain_->expires_after(options_.timeout);
        plain_->connect(endpoints);
      }
    } catch (const boost::system::system_error& e) {
      Disconnect();
      return Fail(ErrorCode::kIo,
                  "cannot reach the hone server at " + describe_ + ": " + e.code().message());
    }
    connected_ = true;
    return {};
  }

  void Disconnect() {
    connected_ = false;
    beast::error_code ec;
    if (plain_) plain_->socket().close(ec);
    if (tls_) beast::get_lowest_layer(*tls_).socket().close(ec);
    plain_.reset();
    tls_.reset();
    buffer_.clear();
  }

  template <typename Stream>
  Result<HttpResult> Exchange(Stream& stream, std::string_view method, std::string_view target,
                              std::string_view body, std::string_view content_type) {
    http::request<http::string_body> request;
    request.method_string(beast::string_view(method.data(), method.size()));
    request.target(endpoint_.prefix + std::string(target));
    request.version(11);
    request.set(http::field::host, endpoint_.host);
    request.set(http::field::user_agent, "hone");
    if (!options_.token.empty()) {
      request.set(http::field::authorization, "Bearer " + options_.token);
    }
    if (!body.empty() || method == "POST" || method == "PUT") {
      request.set(http::field::content_type,
                  beast::string_view(content_type.data(), content_type.size()));
      request.body() = std::string(body);
      request.prepare_payload();
    }
    retryable_ = true;
    beast::get_lowest_layer(stream).expires_after(options_.timeout);
    beast::error_code ec;
    http::write(stream, request, ec);
    if (ec) return Broken("sending", ec);
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 31);
    http::read_header(stream, buffer_, parser, ec);
    if (ec) return Broken("reading the answer", ec);
    retryable_ = false;  // the server has begun to answer: never send this request again
    http::read(stream, buffer_, parser, ec);
    if (ec) return Broken("reading the answer", ec);
    auto response = parser.release();
    if (!response.keep_alive()) Disconnect();
    HttpResult out;
    out.status = static_cast<int>(response.result_int());
    out.content_type = std::string(response[http::field::content_type]);
    out.body = std::move(response.body());
    return out;
  }

  Result<HttpResult> Exchange(std::string_view method, std::string_view target,
                              std::string_view body, std::string_view content_type) {
    if (tls_) return Exchange(*tls_, method, target, body, content_type);
    return Exchange(*plain_, method, target, body, content_type);
  }

  Result<HttpResult> Broken(const char* doing, const beast::error_code& ec) {
    return Fail(ErrorCode::kIo, "hone server " + describe_ + ": " + doing + ": " + ec.message());
  }

  Endpoint endpoint_;
  ClientOptions options_;
  asio::io_context ioc_;
  asio::ssl::context ssl_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
  std::string describe_;
  bool connected_ = false;
  bool retryable_ = true;
};

}  // namespace

Result<Endpoint> ParseEndpoint(std::string_view url) {
  Endpoint e;
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    e.tls = true;
    rest = url.substr(8);
  } else {
    return Fail(ErrorCode::kInvalidArgument,
                "'" + std::string(url) + "' is not an http:// or https:// URL");
  }
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    while (path.ends_with('/')) path.remove_suffix(1);
    e.prefix = std::string(path);
  }
  if (authority.find('@') != std::string_view::npos) {
    return Fail(ErrorCode::kInvalidArgument,
                "hone server URL must not carry a user or password; give the token in "
                "HONE_TOKEN or HONE_TOKEN_FILE");
  }
  if (authority.starts_with('[')) {  // [::1]:8080
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return Fail(ErrorCode::kInvalidArgument, "'" + std::string(url) + "': unclosed '['");
    }
    e.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (authority.starts_with(':')) e.port = std::string(authority.substr(1));
  } else {
    const size_t colon = authority.rfind(':');
    e.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) e.port = std::string(authority.substr(colon + 1));
  }
  if (e.host.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "'" + std::string(url) + "' names no host");
  }
  if (e.port.empty()) e.port = e.tls ? "443" : "80";
  for (char c : e.port) {
    if (c < '0' || c > '9') {
      return Fail(ErrorCode::kInvalidArgument,
                  "'" + std::string(url) + "': port '" + e.port + "' is not a number");
    }
  }
  return e;
}

Result<std::unique_ptr<HttpClient>> HttpClient::Open(const Endpoint& endpoint,
                                                     ClientOptions options) {
  auto client = std::make_unique<BeastClient>(endpoint, std::move(options));
  HONE_TRY(client->Init());
  return std::unique_ptr<HttpClient>(std::move(client));
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace hone::store::remote
