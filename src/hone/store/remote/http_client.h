// A small blocking HTTP/1.1 client for hone's own API: one keep-alive connection (TLS for
// https://), reopened when the server closed it between requests. Not thread-safe: one per
// thread, as the MetaStore that uses it.
#ifndef HONE_STORE_REMOTE_HTTP_CLIENT_H_
#define HONE_STORE_REMOTE_HTTP_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hone/core/error.h"

namespace hone::store::remote {

/// http(s)://host:port/prefix split into its parts.
struct Endpoint {
  bool tls = false;
  std::string host;
  std::string port;    // "80" / "443" when the URL has none
  std::string prefix;  // the URL's path without a trailing '/', often empty
};
/// kInvalidArgument naming `url` unless it is http:// or https:// with a host. User
/// information (user:password@) is refused: tokens travel in headers, never in URLs.
Result<Endpoint> ParseEndpoint(std::string_view url);

struct HttpResult {
  int status = 0;
  std::string body;
  std::string content_type;
};

struct ClientOptions {
  std::string token;  // sent as "Authorization: Bearer …" when not empty
  /// PEM file of the certificate authorities to trust for https (HONE_CA_FILE); empty: the
  /// system's.
  std::string ca_file;
  std::chrono::milliseconds timeout{60000};
};

class HttpClient {
 public:
  static Result<std::unique_ptr<HttpClient>> Open(const Endpoint& endpoint, ClientOptions options);
  virtual ~HttpClient() = default;
  /// Sends one request and reads its response. `target` is the path and query after the
  /// endpoint's prefix. kIo naming the server when it cannot be reached or breaks off; an HTTP
  /// error status is a result, not an Error.
  virtual Result<HttpResult> Send(std::string_view method, std::string_view target,
                                  std::string_view body,
                                  std::string_view content_type = "application/json") = 0;
  /// "http://host:port" for messages.
  virtual const std::string& Describe() const = 0;
};

/// `text` %-encoded for a URL path segment or query value.
std::string UrlEncode(std::string_view text);

}  // namespace hone::store::remote

#endif  // HONE_STORE_REMOTE_HTTP_CLIENT_H_
