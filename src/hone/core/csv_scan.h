// The CSV lexer and number reader: the per-cell work of ParseCsv, shared by the header parser
// (csv_read.cc) and the chunk parser (csv_chunk.cc). What runs once per cell is defined inline
// here, so that it inlines into those parsing loops although they live in other files.
#ifndef HONE_CORE_CSV_SCAN_H_
#define HONE_CORE_CSV_SCAN_H_

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "hone/core/csv.h"

namespace hone::core::csv_internal {

inline constexpr float kMissingValue = std::numeric_limits<float>::quiet_NaN();

// Which bytes the lexer stops at, for one delimiter.
struct Syntax {
  explicit Syntax(char delim)
      : delimiter(delim),
        numbers_stop_at_delimiter(!std::isalnum(static_cast<unsigned char>(delim)) &&
                                  std::string_view(".+-()_").find(delim) ==
                                      std::string_view::npos) {
    blank[' '] = blank['\t'] = true;
    blank[static_cast<unsigned char>(delim)] = false;  // a tab delimiter is never trimmed away
    for (char c : {delim, '"', '\r', '\n'}) stop[static_cast<unsigned char>(c)] = true;
  }
  bool IsBlank(char c) const { return blank[static_cast<unsigned char>(c)]; }
  bool IsStop(char c) const { return stop[static_cast<unsigned char>(c)]; }
  bool IsFieldEnd(char c) const { return c == delimiter || c == '\n' || c == '\r'; }

  // The first byte in [q, end) that ends an unquoted run (see `stop`), or `end`. Most cells are
  // shorter than 16 bytes, so one vector compare usually finds the end of a cell.
  const char* FindStop(const char* q, const char* end) const {
#if defined(__SSE2__)
    const __m128i delim = _mm_set1_epi8(delimiter);
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i cr = _mm_set1_epi8('\r');
    const __m128i lf = _mm_set1_epi8('\n');
    for (; end - q >= 16; q += 16) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
      __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, delim), _mm_cmpeq_epi8(v, quote)),
                                 _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)));
      if (int mask = _mm_movemask_epi8(hit)) {
        return q + std::countr_zero(static_cast<unsigned>(mask));
      }
    }
#endif
    while (q < end && !IsStop(*q)) ++q;
    return q;
  }

  char delimiter;
  bool numbers_stop_at_delimiter;  // fast_float never reads the delimiter as part of a number
  std::array<bool, 256> blank{};
  std::array<bool, 256> stop{};
};

enum class FieldEnd : uint8_t { kDelimiter, kLine, kInput, kUnterminatedQuote, kTextAfterQuote };

struct RawField {
  const char* start;  // first non-blank byte (the opening quote of a quoted field)
  const char* begin;  // the text: trimmed if unquoted, inside the quotes if quoted
  const char* end;
  bool quoted;
  bool escaped;  // holds doubled quotes still to be collapsed
};

// Lexes the field at `p` and moves `p` past its terminator, or on an error to the offending
// byte. A quote opens a quoted field only as a field's first non-blank byte; elsewhere it is text.
inline FieldEnd ScanField(const Syntax& syntax, const char*& p, const char* end, RawField& f) {
  const char* q = p;
  while (q < end && syntax.IsBlank(*q)) ++q;
  f.start = q;
  f.escaped = false;
  f.quoted = q < end && *q == '"';
  if (f.quoted) {
    f.begin = ++q;
    for (;;) {
      const void* hit = std::memchr(q, '"', static_cast<size_t>(end - q));
      if (hit == nullptr) {
        p = f.start;
        return FieldEnd::kUnterminatedQuote;
      }
      q = static_cast<const char*>(hit);
      if (q + 1 < end && q[1] == '"') {
        f.escaped = true;
        q += 2;
        continue;
      }
      break;
    }
    f.end = q++;
    while (q < end && syntax.IsBlank(*q)) ++q;
    if (q < end && !syntax.IsFieldEnd(*q)) {
      p = q;
      return FieldEnd::kTextAfterQuote;
    }
  } else {
    f.begin = q;
    for (;;) {
      q = syntax.FindStop(q, end);
      if (q == end || *q != '"') break;
      ++q;  // a quote inside unquoted text is kept as text, as most writers and readers do
    }
    const char* e = q;
    while (e > f.begin && syntax.IsBlank(e[-1])) --e;
    f.end = e;
  }
  if (q == end) {
    p = end;
    return FieldEnd::kInput;
  }
  p = q + 1;
  if (*q == syntax.delimiter) return FieldEnd::kDelimiter;
  if (*q == '\r' && p < end && *p == '\n') ++p;
  return FieldEnd::kLine;
}

// The field's text with doubled quotes collapsed; uses `scratch` only when it must.
inline std::string_view FieldText(const RawField& f, std::string& scratch) {
  if (!f.escaped) return {f.begin, f.end};
  scratch.clear();
  for (const char* s = f.begin; s < f.end; ++s) {
    scratch.push_back(*s);
    if (*s == '"') ++s;  // inside quotes every quote is doubled
  }
  return scratch;
}

// Skips blank lines at `p`; false at the end of the input.
inline bool SkipBlankLines(const Syntax& syntax, const char*& p, const char* end) {
  for (;;) {
    const char* q = p;
    while (q < end && syntax.IsBlank(*q)) ++q;
    if (q == end) return false;
    if (*q != '\n' && *q != '\r') return true;
    p = q + 1;
    if (*q == '\r' && p < end && *p == '\n') ++p;
  }
}

// The 1-based line of byte `offset`, counting LF, CRLF and a lone CR as one line break each.
size_t LineAt(std::string_view text, size_t offset);

// A cell's text for an error message: single-quoted, shortened, control bytes shown as blanks.
std::string Quoted(std::string_view cell);

// The leading decimal digits of the 8 bytes at `p` (which must be readable): their value, and
// their number in `count`. SWAR: every byte is classified without carries between bytes, then
// the digits are combined with the multiplications of fast_float's parse_eight_digits_unrolled.
inline uint64_t ReadDigits(const char* p, size_t& count) {
  constexpr uint64_t kOnes = 0x0101010101010101;
  uint64_t word;
  std::memcpy(&word, p, 8);
  uint64_t low = word & (0x7F * kOnes);
  uint64_t non_digit = (~(low + 0x50 * kOnes) | (low + 0x46 * kOnes) | word) & (0x80 * kOnes);
  count = non_digit != 0 ? static_cast<size_t>(std::countr_zero(non_digit)) / 8 : 8;
  if (count == 0) return 0;
  // Left-align the digits; the vacated low bytes read as leading zeros.
  uint64_t v = (word - 0x30 * kOnes) << (8 * (8 - count));
  v = v * 10 + (v >> 8);
  constexpr uint64_t kMask = 0x000000FF000000FF;
  return (((v & kMask) * 0x000F424000000064) + (((v >> 16) & kMask) * 0x0000271000000001)) >> 32;
}

// fast_float for the cells ReadFloat's shortcut does not cover; kept out of line so that its
// large body does not slow every call of ReadFloat.
[[gnu::noinline]] const char* ReadFloatInFull(const char* p, const char* end, float& out);

// Reads a number at the start of [p, end) and returns where it stops (nullptr if there is none).
// Most cells are short plain decimals, "-110.3591": for those a mantissa up to 2^24 and a power
// of ten up to 10^7 are exact floats, so one division rounds correctly (Clinger's fast path, the
// computation fast_float makes too, at a fraction of its cost). Anything else, and cells near the
// end of the text, go to fast_float, so the value is always fast_float's.
inline const char* ReadFloat(const char* p, const char* end, float& out) {
  static constexpr float kPow10[] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f};
  static constexpr uint64_t kPow10Int[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};
  if (end - p >= 17) {  // a sign, 8 bytes, a dot, 8 bytes
    const char* q = p + (*p == '-');
    size_t whole;
    uint64_t mantissa = ReadDigits(q, whole);
    q += whole;
    size_t fraction = 0;
    if (whole < 8 && *q == '.') {
      uint64_t digits = ReadDigits(q + 1, fraction);
      mantissa = mantissa * kPow10Int[std::min<size_t>(fraction, 7)] + digits;
      q += 1 + fraction;
    }
    if (whole < 8 && fraction < 8 && whole + fraction > 0 && mantissa <= (1u << 24) && *q != '.' &&
        *q != 'e' && *q != 'E') {
      float value = static_cast<float>(mantissa) / kPow10[fraction];
      out = *p == '-' ? -value : value;
      return q;
    }
  }
  return ReadFloatInFull(p, end, out);
}

// Parses a whole cell as a number; a missing cell gives NaN. False if it is neither.
inline bool ParseNumber(const Syntax& syntax, const RawField& f, float& out) {
  if (f.escaped) return false;  // no number or missing marker contains a quote
  const char* b = f.begin;
  const char* e = f.end;
  if (f.quoted) {  // quoted cells were not trimmed; numbers are compared trimmed
    while (b < e && syntax.IsBlank(*b)) ++b;
    while (e > b && syntax.IsBlank(e[-1])) --e;
  }
  if (b == e) {
    out = kMissingValue;
    return true;
  }
  // fast_float follows std::from_chars, which refuses the '+' that data files often carry.
  const char* digits = b + (*b == '+' && e - b > 1 && b[1] != '-' && b[1] != '+');
  // fast_float reads "nan(...)" too; only the listed missing markers may stand for NaN.
  if (ReadFloat(digits, e, out) == e && !std::isnan(out)) return true;
  if (IsMissingText({b, static_cast<size_t>(e - b)})) {
    out = kMissingValue;
    return true;
  }
  return false;
}

}  // namespace hone::core::csv_internal

#endif  // HONE_CORE_CSV_SCAN_H_
