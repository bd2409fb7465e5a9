// The bytes of a response head, written by hand into a reused string: cheaper than
// beast::http::response's per-field allocations, and the server controls every header that
// frames the message (Content-Length, Connection).
#include <charconv>
#include <string>
#include <string_view>

#include <boost/beast/http/status.hpp>

#include "hone/serve/http_connection.h"
#include "hone/serve/infer_codec.h"

namespace hone::serve::internal {
namespace {

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// A handler's header must not break the framing: a token name, a value without CR, LF or NUL.
bool UsableHeader(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!IsTokenChar(c)) return false;
  }
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// Headers the server sets itself.
bool Reserved(std::string_view name) {
  for (const char* own :
       {"content-type", "content-length", "connection", "x-request-id", "transfer-encoding"}) {
    if (beast::iequals(beast::string_view(name.data(), name.size()), own)) return true;
  }
  return false;
}

void AppendNumber(std::string& out, uint64_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

}  // namespace

void Connection::FormatHead(std::string_view request_id) {
  HttpResponse& r = response_;
  if (r.status < 200 || r.status > 599) {  // a handler bug; 1xx would need other framing
    r.status = 500;
    r.content_type = "application/json";
    r.body = ErrorBody("internal error");
    r.headers.clear();
  }
  const auto reason = http::obsolete_reason(http::int_to_status(static_cast<unsigned>(r.status)));
  head_.clear();
  head_.append("HTTP/1.1 ");
  AppendNumber(head_, static_cast<uint64_t>(r.status));
  head_.push_back(' ');
  head_.append(reason.data(), reason.size());
  head_.append("\r\nContent-Type: ");
  if (r.content_type.empty() || !UsableHeader("Content-Type", r.content_type)) {
    head_.append("application/octet-stream");
  } else {
    head_.append(r.content_type);
  }
  head_.append("\r\nContent-Length: ");
  AppendNumber(head_, r.body.size());
  head_.append("\r\nx-request-id: ");
  head_.append(request_id);
  head_.append("\r\n");
  for (const auto& [name, value] : r.headers) {
    if (!UsableHeader(name, value) || Reserved(name)) continue;
    head_.append(name).append(": ").append(value).append("\r\n");
  }
  if (!keep_alive_) {
    head_.append("Connection: close\r\n");
  } else if (http10_) {
    head_.append("Connection: keep-alive\r\n");
  }
  head_.append("\r\n");
}

}  // namespace hone::serve::internal
