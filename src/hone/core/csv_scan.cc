// The cold half of the CSV lexer and number reader (error texts, fast_float), and the
// missing-marker test that ParseNumber and the categorical path share.
#include "hone/core/csv_scan.h"

#include <algorithm>
#include <iterator>
#include <string>
#include <string_view>
#include <system_error>

#include <fast_float/fast_float.h>

namespace hone::core {
namespace csv_internal {

size_t LineAt(std::string_view text, size_t offset) {
  size_t line = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n' || (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n'))) {
      ++line;
    }
  }
  return line;
}

std::string Quoted(std::string_view cell) {
  constexpr size_t kMax = 40;
  std::string out = "'";
  for (char c : cell.substr(0, kMax)) out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  return out + (cell.size() > kMax ? "...'" : "'");
}

[[gnu::noinline]] const char* ReadFloatInFull(const char* p, const char* end, float& out) {
  auto [ptr, ec] = fast_float::from_chars(p, end, out);
  return ec == std::errc() ? ptr : nullptr;
}

}  // namespace csv_internal

bool IsMissingText(std::string_view cell) {
  if (cell.empty()) return true;
  switch (cell.front()) {  // every marker starts so: most cells are rejected here
    case ' ':
    case '\t':
    case 'N':
    case 'n':
    case '-':
    case '<':
    case '#':
      break;
    default:
      return false;
  }
  while (!cell.empty() && (cell.front() == ' ' || cell.front() == '\t')) cell.remove_prefix(1);
  while (!cell.empty() && (cell.back() == ' ' || cell.back() == '\t')) cell.remove_suffix(1);
  static constexpr std::string_view kMarkers[] = {"NA",   "N/A",  "n/a",  "NaN",  "nan",
                                                  "-NaN", "-nan", "null", "NULL", "Null",
                                                  "None", "<NA>", "#N/A"};
  if (cell.empty()) return true;
  if (cell.size() > 4) return false;
  return std::find(std::begin(kMarkers), std::end(kMarkers), cell) != std::end(kMarkers);
}

}  // namespace hone::core
