// A small blocking HTTP/1.1 client for tests: one keep-alive connection to 127.0.0.1, requests
// answered with Content-Length (as hone's server always sends).
#ifndef HONE_SERVE_TESTING_HTTP_CLIENT_H_
#define HONE_SERVE_TESTING_HTTP_CLIENT_H_

#include <cctype>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace hone::serve::testing {

struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

/// Not thread-safe; one per thread.
class HttpClient {
 public:
  explicit HttpClient(uint16_t port) : port_(port) {}
  ~HttpClient() { Close(); }
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Sends one request and reads its response; nullopt when the connection failed or closed
  /// early (then the next request reconnects).
  std::optional<ClientResponse> Send(std::string_view method, std::string_view target,
                                     std::string_view body = {},
                                     std::string_view content_type = "application/json",
                                     std::string_view extra_headers = {}) {
    if (fd_ < 0 && !Connect()) return std::nullopt;
    std::string request =
        std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (!body.empty() || method == "POST") {
      request += "Content-Type: " + std::string(content_type) + "\r\n";
      request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    request += extra_headers;
    request += "\r\n";
    request += body;
    if (!WriteAll(request)) return Reset();
    return Read();
  }

  /// Writes raw bytes (for malformed requests) and reads one response.
  std::optional<ClientResponse> SendRaw(std::string_view bytes) {
    if (fd_ < 0 && !Connect()) return std::nullopt;
    if (!WriteAll(bytes)) return Reset();
    return Read();
  }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buffer_.clear();
  }

 private:
  bool Connect() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      Close();
      return false;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return true;
  }

  std::optional<ClientResponse> Reset() {
    Close();
    return std::nullopt;
  }

  bool WriteAll(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  bool Fill() {
    char chunk[65536];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  std::optional<ClientResponse> Read() {
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return Reset();
    }
    ClientResponse response;
    std::string_view head(buffer_.data(), end);
    size_t line_end = head.find("\r\n");
    std::string_view status_line = head.substr(0, line_end);
    if (status_line.size() < 12) return Reset();
    response.status = std::stoi(std::string(status_line.substr(9, 3)));
    while (line_end != std::string_view::npos) {
      head.remove_prefix(line_end + 2);
      line_end = head.find("\r\n");
      std::string_view line = head.substr(0, line_end);
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string name(line.substr(0, colon));
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      response.headers[name] = std::string(value);
    }
    const size_t length = std::stoul(
        response.header("content-length").empty() ? "0" : response.header("content-length"));
    const size_t body_start = end + 4;
    while (buffer_.size() < body_start + length) {
      if (!Fill()) return Reset();
    }
    response.body = buffer_.substr(body_start, length);
    buffer_.erase(0, body_start + length);
    if (response.header("connection") == "close") Close();
    return response;
  }

  uint16_t port_;
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace hone::serve::testing

#endif  // HONE_SERVE_TESTING_HTTP_CLIENT_H_
