#include "hone/server/request_target.h"

namespace hone::server {

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
Result<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%') {
      if (i + 2 >= text.size()) {
        return Fail(ErrorCode::kInvalidArgument, "a '%' escape in the URL is cut short");
      }
      const int hi = HexValue(text[i + 1]), lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) {
        return Fail(ErrorCode::kInvalidArgument, "the URL has a bad '%' escape");
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (plus_is_space && text[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}
}  // namespace

Result<void> SplitTarget(std::string_view target, std::vector<std::string>& path,
                         std::map<std::string, std::string>& query) {
  const size_t q = target.find('?');
  std::string_view p = target.substr(0, q);
  while (!p.empty()) {
    while (p.starts_with('/')) p.remove_prefix(1);
    if (p.empty()) break;
    const size_t slash = p.find('/');
    HONE_ASSIGN_OR_RETURN(std::string segment, PercentDecode(p.substr(0, slash), false));
    path.push_back(std::move(segment));
    if (slash == std::string_view::npos) break;
    p.remove_prefix(slash);
  }
  if (q == std::string_view::npos) return {};
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    const size_t eq = pair.find('=');
    HONE_ASSIGN_OR_RETURN(std::string key, PercentDecode(pair.substr(0, eq), true));
    std::string value;
    if (eq != std::string_view::npos) {
      HONE_ASSIGN_OR_RETURN(value, PercentDecode(pair.substr(eq + 1), true));
    }
    if (!key.empty()) query[std::move(key)] = std::move(value);
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return {};
}

}  // namespace hone::server
