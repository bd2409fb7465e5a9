// The bytes of a response head, written by hand into a reused string: cheaper than
// beast::http::response's per-field allocations, and the server controls every header that
// frames the message (Content-Length, Connection).
#include <charconv>
#include <cstdio>
#include <ctime>
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
  for (const char* own : {"content-type", "content-length", "connection", "x-request-id",
                          "transfer-encoding", "date"}) {
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

std::string_view HttpDate(time_t now) {
  // IMF-fixdate (RFC 9110 section 5.6.7), written out by hand: strftime's names follow the
  // locale. Formatted again only when the second changes, once per thread.
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  thread_local time_t formatted = -1;
  thread_local char text[32];
  thread_local size_t size = 0;
  if (now != formatted) {
    struct tm t {};
    gmtime_r(&now, &t);
    const int n = std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                                kDays[t.tm_wday % 7], t.tm_mday, kMonths[t.tm_mon % 12],
                                t.tm_year + 1900, t.tm_hour, t.tm_min, t.tm_sec);
    size = n > 0 ? static_cast<size_t>(n) : 0;
    formatted = now;
  }
  return {text, size};
}

void ConnectionBase::FormatHead(std::string_view request_id) {
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
  // An origin server with a clock sends Date (RFC 9110 section 6.6.1).
  head_.append("\r\nDate: ");
  head_.append(HttpDate(std::time(nullptr)));
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
