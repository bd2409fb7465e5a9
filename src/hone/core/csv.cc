// CSV reading in three steps: a quote-aware split of the body into chunks of whole rows, a
// parallel parse of each chunk into chunk-local columns, and a merge in chunk order. Every value
// and every error is the one a single sequential parse would produce, whatever the chunking.
#include "hone/core/csv.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <forward_list>
#include <limits>

#include <fast_float/fast_float.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "hone/core/file.h"
#include "hone/core/parallel.h"

namespace hone::core {
namespace {

constexpr float kMissingValue = std::numeric_limits<float>::quiet_NaN();
constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

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
std::string_view FieldText(const RawField& f, std::string& scratch) {
  if (!f.escaped) return {f.begin, f.end};
  scratch.clear();
  for (const char* s = f.begin; s < f.end; ++s) {
    scratch.push_back(*s);
    if (*s == '"') ++s;  // inside quotes every quote is doubled
  }
  return scratch;
}

// Skips blank lines at `p`; false at the end of the input.
bool SkipBlankLines(const Syntax& syntax, const char*& p, const char* end) {
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
size_t LineAt(std::string_view text, size_t offset) {
  size_t line = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n' || (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n'))) {
      ++line;
    }
  }
  return line;
}

// A cell's text for an error message: single-quoted, shortened, control bytes shown as blanks.
std::string Quoted(std::string_view cell) {
  constexpr size_t kMax = 40;
  std::string out = "'";
  for (char c : cell.substr(0, kMax)) out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  return out + (cell.size() > kMax ? "...'" : "'");
}

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
[[gnu::noinline]] const char* ReadFloatInFull(const char* p, const char* end, float& out) {
  auto [ptr, ec] = fast_float::from_chars(p, end, out);
  return ec == std::errc() ? ptr : nullptr;
}

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

// Interns strings in order of first appearance. Keys are views: of the parsed text (which
// outlives the dictionary's use) or of strings the dictionary owns. Open addressing keeps
// lookups free of allocation, which matters at one lookup per categorical cell.
class Dictionary {
 public:
  int32_t Intern(std::string_view key, bool key_outlives_dictionary) {
    if (slots_.empty()) slots_.assign(16, -1);
    size_t hash = Hash(key);
    size_t mask = slots_.size() - 1;
    size_t i = hash & mask;
    for (; slots_[i] >= 0; i = (i + 1) & mask) {
      int32_t code = slots_[i];
      if (hashes_[code] == hash && Equal(entries_[code], key)) return code;
    }
    if (!key_outlives_dictionary) key = owned_.emplace_front(key);
    auto code = static_cast<int32_t>(entries_.size());
    entries_.push_back(key);
    hashes_.push_back(hash);
    slots_[i] = code;
    if (entries_.size() * 2 > slots_.size()) Rehash();
    return code;
  }
  const std::vector<std::string_view>& entries() const { return entries_; }

 private:
  // Categories are mostly short words: hash and compare them inline, 8 bytes at a time, rather
  // than through library calls.
  static uint64_t Load(const char* p, size_t n) {
    uint64_t word = 0;
    std::memcpy(&word, p, n);
    return word;
  }
  static size_t Hash(std::string_view key) {
    uint64_t h = key.size() * 0x9E3779B97F4A7C15ull;
    size_t i = 0;
    for (; i + 8 <= key.size(); i += 8) h = (h ^ Load(key.data() + i, 8)) * 0xBF58476D1CE4E5B9ull;
    h = (h ^ Load(key.data() + i, key.size() - i)) * 0x94D049BB133111EBull;
    return static_cast<size_t>(h ^ (h >> 29));
  }
  static bool Equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    if (a.size() <= 8) return Load(a.data(), a.size()) == Load(b.data(), b.size());
    return std::memcmp(a.data(), b.data(), a.size()) == 0;
  }

  void Rehash() {
    slots_.assign(slots_.size() * 2, -1);
    size_t mask = slots_.size() - 1;
    for (size_t code = 0; code < entries_.size(); ++code) {
      size_t i = hashes_[code] & mask;
      while (slots_[i] >= 0) i = (i + 1) & mask;
      slots_[i] = static_cast<int32_t>(code);
    }
  }

  std::vector<std::string_view> entries_;
  std::vector<size_t> hashes_;
  std::vector<int32_t> slots_;  // entry code, or -1 for a free slot
  // A list never moves its strings, so views stay valid; and costs nothing while empty, the
  // usual case (only quoted cells with doubled quotes need a copy).
  std::forward_list<std::string> owned_;
};

// What a chunk does with each header column.
enum class Plan : uint8_t {
  kSkip,      // not selected by only_columns
  kNumber,    // forced numeric: a non-number is an error
  kInfer,     // numeric so far
  kGaveUp,    // was kInfer, met text after numbers; ParseCsv re-reads it as categorical
  kCategory,  // dictionary codes
};

struct ChunkColumn {
  Plan plan;
  std::vector<float> values;
  std::vector<int32_t> codes;
  Dictionary dictionary;
};

struct ChunkError {
  size_t offset;  // into the whole text
  std::string message;
  bool unterminated_quote;
};

struct Chunk {
  size_t begin = 0;  // byte range in the whole text, starting at a row
  size_t end = 0;
  size_t rows = 0;
  std::vector<ChunkColumn> columns;  // one per header column
  std::optional<ChunkError> error;
};

// Parses chunks of rows into chunk-local columns. Stateless between calls; safe to share.
class ChunkParser {
 public:
  ChunkParser(std::string_view text, const Syntax& syntax, const std::vector<std::string>& names)
      : text_(text), syntax_(syntax), names_(names) {}

  void Parse(Chunk& chunk, const std::vector<Plan>& plans) const {
    chunk.columns.clear();
    chunk.columns.resize(plans.size());
    for (size_t c = 0; c < plans.size(); ++c) chunk.columns[c].plan = plans[c];
    chunk.rows = 0;
    chunk.error.reset();
    std::string scratch;
    const char* p = text_.data() + chunk.begin;
    const char* end = text_.data() + chunk.end;
    const size_t num_columns = plans.size();
    while (SkipBlankLines(syntax_, p, end)) {
      const char* row_start = p;
      size_t c = 0;
      FieldEnd field_end;
      do {
        if (c < num_columns && TryPlainNumber(chunk.columns[c], p, end, field_end)) {
          ++c;
          continue;
        }
        RawField f;
        field_end = ScanField(syntax_, p, end, f);
        if (field_end >= FieldEnd::kUnterminatedQuote) {
          return SetError(chunk, p,
                          ColumnLabel(c) + (field_end == FieldEnd::kTextAfterQuote
                                                ? ": text after the closing quote; a quote "
                                                  "inside a quoted field must be doubled (\"\")"
                                                : ": quoted field opened here is never closed"),
                          field_end == FieldEnd::kUnterminatedQuote);
        }
        if (c < num_columns && !Store(chunk.columns[c], f, scratch)) {
          return SetError(
              chunk, f.start,
              ColumnLabel(c) + ": " + Quoted(FieldText(f, scratch)) + " is not a number");
        }
        ++c;
      } while (field_end == FieldEnd::kDelimiter);
      if (c != num_columns) {
        return SetError(chunk, row_start,
                        "row has " + std::to_string(c) + " fields, expected " +
                            std::to_string(num_columns) + " as in the header");
      }
      if (++chunk.rows == kRowsToEstimateSize) Reserve(chunk, p);
    }
  }

 private:
  static constexpr size_t kRowsToEstimateSize = 64;

  // The common numeric cell, "12.5," with nothing around it: the number reader finds the cell's
  // end itself, which saves lexing the bytes twice. Anything else (blanks, quotes, a '+', missing
  // markers, CRLF) is left to the general path, which gives the same value.
  bool TryPlainNumber(ChunkColumn& column, const char*& p, const char* end,
                      FieldEnd& field_end) const {
    if (column.plan != Plan::kNumber && column.plan != Plan::kInfer) return false;
    if (!syntax_.numbers_stop_at_delimiter) return false;
    float value;
    const char* ptr = ReadFloat(p, end, value);
    if (ptr == nullptr || std::isnan(value)) return false;
    if (ptr == end) {
      field_end = FieldEnd::kInput;
    } else if (*ptr == syntax_.delimiter) {
      field_end = FieldEnd::kDelimiter;
    } else if (*ptr == '\n') {
      field_end = FieldEnd::kLine;
    } else {
      return false;
    }
    column.values.push_back(value);
    p = ptr == end ? end : ptr + 1;
    return true;
  }

  // Sizes the columns for the whole chunk from its first rows, so they grow once, not by
  // doubling (which copies, and costs page faults on fresh memory).
  void Reserve(Chunk& chunk, const char* p) const {
    double bytes_per_row = static_cast<double>(p - (text_.data() + chunk.begin)) / chunk.rows;
    auto rows = static_cast<size_t>((chunk.end - chunk.begin) / bytes_per_row * 1.05) + 16;
    for (ChunkColumn& column : chunk.columns) {
      if (column.plan == Plan::kNumber || column.plan == Plan::kInfer) column.values.reserve(rows);
      if (column.plan == Plan::kCategory) column.codes.reserve(rows);
    }
  }

  // False only for a non-number in a forced-numeric column.
  bool Store(ChunkColumn& column, const RawField& f, std::string& scratch) const {
    switch (column.plan) {
      case Plan::kSkip:
      case Plan::kGaveUp:
        return true;
      case Plan::kNumber:
      case Plan::kInfer: {
        float value;
        if (ParseNumber(syntax_, f, value)) {
          column.values.push_back(value);
          return true;
        }
        if (column.plan == Plan::kNumber) return false;
        if (std::all_of(column.values.begin(), column.values.end(),
                        [](float v) { return std::isnan(v); })) {
          // Nothing but missing cells so far (typically none: a text column gives up on its
          // first cell), so no text is lost: continue as categorical without a re-read.
          column.codes.assign(column.values.size(), kMissingCode);
          column.values = {};
          column.plan = Plan::kCategory;
          return Store(column, f, scratch);
        }
        column.plan = Plan::kGaveUp;
        column.values = {};
        return true;
      }
      case Plan::kCategory: {
        std::string_view cell = FieldText(f, scratch);
        column.codes.push_back(IsMissingText(cell) ? kMissingCode
                                                   : column.dictionary.Intern(cell, !f.escaped));
        return true;
      }
    }
    return true;
  }

  std::string ColumnLabel(size_t c) const {
    if (c < names_.size()) return "column '" + names_[c] + "'";
    return "field " + std::to_string(c + 1) + " (the header has " + std::to_string(names_.size()) +
           ")";
  }

  void SetError(Chunk& chunk, const char* at, std::string message,
                bool unterminated = false) const {
    chunk.error =
        ChunkError{static_cast<size_t>(at - text_.data()), std::move(message), unterminated};
  }

  std::string_view text_;
  const Syntax& syntax_;
  const std::vector<std::string>& names_;
};

// Splits [begin, end) of `text` into chunks that start at rows. A newline ends a row when the
// quotes before it are even in number, which is exact for files whose quotes all open, close or
// double inside quoted fields. A stray quote inside unquoted text can make a boundary fall
// inside a quoted field; the chunk before it then ends in an unterminated quote, and FirstError
// re-parses from there in one piece.
std::vector<Chunk> SplitIntoChunks(std::string_view text, size_t begin, size_t end,
                                   size_t chunk_bytes, unsigned threads) {
  // The cap bounds the per-chunk bookkeeping when a tiny chunk_bytes meets a large input.
  constexpr size_t kMaxPieces = 1 << 14;
  size_t pieces =
      std::clamp<size_t>((end - begin) / std::max<size_t>(chunk_bytes, 1), 1, kMaxPieces);
  if (pieces == 1) return {Chunk{begin, end}};
  std::vector<size_t> piece_start(pieces + 1);
  for (size_t i = 0; i <= pieces; ++i) piece_start[i] = begin + (end - begin) * i / pieces;
  std::vector<size_t> quotes(pieces);
  ParallelFor(pieces, threads, [&](size_t i) {
    quotes[i] = std::count(text.begin() + piece_start[i], text.begin() + piece_start[i + 1], '"');
  });
  std::vector<size_t> odd(pieces);  // whether an odd number of quotes precede the piece
  for (size_t i = 1; i < pieces; ++i) odd[i] = (odd[i - 1] + quotes[i - 1]) & 1;
  std::vector<size_t> boundary(pieces, end);  // `end` when the piece holds no row start
  ParallelFor(pieces, threads, [&](size_t i) {
    if (i == 0) return;
    bool in_quotes = odd[i];
    for (size_t k = piece_start[i]; k < piece_start[i + 1]; ++k) {
      if (text[k] == '"') in_quotes = !in_quotes;
      if (text[k] == '\n' && !in_quotes) {
        boundary[i] = k + 1;
        break;
      }
    }
  });
  std::vector<Chunk> chunks(1);
  chunks[0].begin = begin;
  for (size_t i = 1; i < pieces; ++i) {
    if (boundary[i] >= end) continue;
    chunks.back().end = boundary[i];
    chunks.emplace_back().begin = boundary[i];
  }
  chunks.back().end = end;
  return chunks;
}

// The first error in file order, or nothing. Chunks parsed from a true row start report true
// errors; a chunk that ends inside a quote only proves the next boundary wrong, so the rest of
// the input is re-parsed as one chunk.
std::optional<ChunkError> FirstError(std::vector<Chunk>& chunks, const ChunkParser& parser,
                                     const std::vector<Plan>& plans) {
  for (size_t i = 0; i < chunks.size(); ++i) {
    if (!chunks[i].error) continue;
    if (chunks[i].error->unterminated_quote && i + 1 < chunks.size()) {
      chunks[i].end = chunks.back().end;
      chunks.resize(i + 1);
      parser.Parse(chunks[i], plans);
      if (!chunks[i].error) return std::nullopt;
    }
    return chunks[i].error;
  }
  return std::nullopt;
}

// Reserves `n` elements. The merged columns are large and written once, front to back; on Linux
// huge pages make that one page fault per 2 MiB instead of per 4 KiB, and page faults are a
// large share of reading a big file.
template <typename T>
void ReserveLarge(std::vector<T>& v, size_t n) {
  v.reserve(n);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHugePage = uintptr_t{2} << 20;
  uintptr_t begin = (reinterpret_cast<uintptr_t>(v.data()) + kHugePage - 1) & ~(kHugePage - 1);
  uintptr_t end = reinterpret_cast<uintptr_t>(v.data() + v.capacity()) & ~(kHugePage - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#endif
}

Column MergeNumeric(const std::string& name, const std::vector<Chunk>& chunks, size_t c,
                    size_t rows) {
  std::vector<float> values;
  ReserveLarge(values, rows);
  for (const Chunk& chunk : chunks) {
    const auto& v = chunk.columns[c].values;
    values.insert(values.end(), v.begin(), v.end());
  }
  return Column::Numeric(name, std::move(values));
}

// Global codes follow first appearance across chunks in order, as a sequential parse would.
Column MergeCategorical(const std::string& name, const std::vector<Chunk>& chunks, size_t c,
                        size_t rows) {
  Dictionary global;
  std::vector<int32_t> codes;
  ReserveLarge(codes, rows);
  std::vector<int32_t> remap;
  for (const Chunk& chunk : chunks) {
    const ChunkColumn& column = chunk.columns[c];
    remap.clear();
    for (std::string_view entry : column.dictionary.entries()) {
      remap.push_back(global.Intern(entry, /*key_outlives_dictionary=*/true));
    }
    for (int32_t code : column.codes) codes.push_back(code < 0 ? kMissingCode : remap[code]);
  }
  std::vector<std::string> dictionary(global.entries().begin(), global.entries().end());
  return Column::Categorical(name, std::move(codes), std::move(dictionary));
}

struct Header {
  std::vector<std::string> names;
  size_t begin;  // offsets into the text
  size_t body_begin;
};

Result<Header> ParseHeader(std::string_view text, std::string_view source, const Syntax& syntax,
                           size_t begin) {
  auto fail = [&](size_t offset, const std::string& message) {
    return Fail(ErrorCode::kInvalidData,
                std::string(source) + ":" + std::to_string(LineAt(text, offset)) + ": " + message);
  };
  const char* p = text.data() + begin;
  const char* end = text.data() + text.size();
  if (!SkipBlankLines(syntax, p, end)) {
    return Fail(ErrorCode::kInvalidData,
                std::string(source) + ": the input is empty; expected a header row");
  }
  Header header;
  header.begin = static_cast<size_t>(p - text.data());
  std::string scratch;
  FieldEnd field_end;
  do {
    RawField f;
    field_end = ScanField(syntax, p, end, f);
    std::string column = "header column " + std::to_string(header.names.size() + 1);
    if (field_end == FieldEnd::kUnterminatedQuote) {
      return fail(p - text.data(), column + ": quoted field opened here is never closed");
    }
    if (field_end == FieldEnd::kTextAfterQuote) {
      return fail(p - text.data(), column + ": text after the closing quote");
    }
    std::string name(FieldText(f, scratch));
    if (name.empty()) return fail(f.start - text.data(), column + " has an empty name");
    for (size_t i = 0; i < header.names.size(); ++i) {
      if (header.names[i] == name) {
        return fail(f.start - text.data(), "column name '" + name + "' appears twice (columns " +
                                               std::to_string(i + 1) + " and " +
                                               std::to_string(header.names.size() + 1) + ")");
      }
    }
    header.names.push_back(std::move(name));
  } while (field_end == FieldEnd::kDelimiter);
  header.body_begin = static_cast<size_t>(p - text.data());
  return header;
}

// What each header column becomes, from only_columns and column_types.
Result<std::vector<Plan>> PlanColumns(const std::vector<std::string>& names,
                                      std::string_view source, const CsvReadOptions& options) {
  std::vector<Plan> plans(names.size(), options.only_columns ? Plan::kSkip : Plan::kInfer);
  if (options.only_columns) {
    for (const std::string& wanted : *options.only_columns) {
      auto it = std::find(names.begin(), names.end(), wanted);
      if (it == names.end()) {
        std::string known;
        for (const std::string& name : names) known += (known.empty() ? "" : ", ") + name;
        return Fail(ErrorCode::kNotFound, std::string(source) + ": column '" + wanted +
                                              "' is not in the header; columns: " + known);
      }
      plans[it - names.begin()] = Plan::kInfer;
    }
  }
  for (size_t c = 0; c < names.size(); ++c) {
    auto it = options.column_types.find(names[c]);
    if (plans[c] == Plan::kSkip || it == options.column_types.end()) continue;
    plans[c] = it->second == ColumnType::kNumeric ? Plan::kNumber : Plan::kCategory;
  }
  return plans;
}

}  // namespace

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

Result<Table> ParseCsv(std::string_view text, std::string_view source,
                       const CsvReadOptions& options) {
  char delim = options.delimiter;
  if (delim == '"' || delim == '\n' || delim == '\r') {
    return Fail(ErrorCode::kInvalidArgument,
                "the CSV delimiter cannot be a quote or a line break; use ',', ';', '\\t' or '|'");
  }
  Syntax syntax(delim);
  size_t begin = text.starts_with(kByteOrderMark) ? kByteOrderMark.size() : 0;
  HONE_ASSIGN_OR_RETURN(Header header, ParseHeader(text, source, syntax, begin));
  HONE_ASSIGN_OR_RETURN(std::vector<Plan> plans, PlanColumns(header.names, source, options));

  unsigned threads = ResolveThreads(options.threads);
  size_t body = text.size() - header.body_begin;
  size_t chunk_bytes = options.chunk_bytes;
  if (chunk_bytes == 0) {
    // A few chunks per thread balance uneven rows and a machine shared with other work.
    chunk_bytes = threads == 1 ? body : std::max<size_t>(body / (threads * 8), 256 << 10);
  }
  std::vector<Chunk> chunks =
      SplitIntoChunks(text, header.body_begin, text.size(), chunk_bytes, threads);
  ChunkParser parser(text, syntax, header.names);
  ParallelFor(chunks.size(), threads, [&](size_t i) { parser.Parse(chunks[i], plans); });
  if (auto error = FirstError(chunks, parser, plans)) {
    return Fail(ErrorCode::kInvalidData, std::string(source) + ":" +
                                             std::to_string(LineAt(text, error->offset)) + ": " +
                                             error->message);
  }
  size_t rows = 0;
  for (const Chunk& chunk : chunks) rows += chunk.rows;
  if (rows == 0) {
    return Fail(ErrorCode::kInvalidData, std::string(source) + ":" +
                                             std::to_string(LineAt(text, header.begin)) +
                                             ": the header is not followed by any data rows");
  }

  // An inferred column that met text in any chunk is categorical everywhere. Chunks that read it
  // as numbers, or gave up after numbers, re-read its text, so that "007" stays "007", not 7.
  for (const Chunk& chunk : chunks) {
    for (size_t c = 0; c < plans.size(); ++c) {
      if (plans[c] == Plan::kInfer && chunk.columns[c].plan != Plan::kInfer) {
        plans[c] = Plan::kCategory;
      }
    }
  }
  ParallelFor(chunks.size(), threads, [&](size_t i) {
    std::vector<Plan> reread(plans.size(), Plan::kSkip);
    bool any = false;
    for (size_t c = 0; c < plans.size(); ++c) {
      if (plans[c] == Plan::kCategory && chunks[i].columns[c].plan != Plan::kCategory) {
        reread[c] = Plan::kCategory;
        any = true;
      }
    }
    if (!any) return;
    Chunk text_only{chunks[i].begin, chunks[i].end};
    parser.Parse(text_only, reread);
    for (size_t c = 0; c < plans.size(); ++c) {
      if (reread[c] == Plan::kCategory) chunks[i].columns[c] = std::move(text_only.columns[c]);
    }
  });

  std::vector<size_t> selected;
  for (size_t c = 0; c < plans.size(); ++c) {
    if (plans[c] != Plan::kSkip) selected.push_back(c);
  }
  std::vector<std::optional<Column>> merged(selected.size());
  ParallelFor(selected.size(), threads, [&](size_t i) {
    size_t c = selected[i];
    merged[i] = plans[c] == Plan::kCategory ? MergeCategorical(header.names[c], chunks, c, rows)
                                            : MergeNumeric(header.names[c], chunks, c, rows);
  });
  std::vector<Column> columns;
  columns.reserve(merged.size());
  for (auto& column : merged) columns.push_back(*std::move(column));
  return Table::Create(std::move(columns));
}

Result<Table> ReadCsv(const std::filesystem::path& path, const CsvReadOptions& options) {
  HONE_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseCsv(text, path.string(), options);
}

namespace {

// Appends `text` as one field, quoted when a reader would otherwise split, trim or end it.
void AppendField(std::string& out, std::string_view text, char delim) {
  bool quote = !text.empty() && (text.front() == ' ' || text.front() == '\t' ||
                                 text.back() == ' ' || text.back() == '\t');
  for (char c : text) quote = quote || c == delim || c == '"' || c == '\n' || c == '\r';
  if (!quote) {
    out += text;
    return;
  }
  out += '"';
  for (char c : text) {
    out += c;
    if (c == '"') out += '"';
  }
  out += '"';
}

}  // namespace

std::string FormatCsv(const Table& table, char delimiter) {
  std::string out;
  const size_t num_columns = table.num_columns();
  // A missing cell is written empty, but a row of one empty cell would be a blank line, which
  // readers skip; "" keeps the row.
  const std::string_view missing = num_columns == 1 ? "\"\"" : "";
  std::vector<std::vector<std::string>> encoded(num_columns);  // categorical cell texts
  for (size_t c = 0; c < num_columns; ++c) {
    const Column& column = table.column(c);
    if (c > 0) out += delimiter;
    AppendField(out, column.name(), delimiter);
    for (const std::string& entry : column.dictionary()) {
      AppendField(encoded[c].emplace_back(), entry, delimiter);
    }
  }
  out += '\n';
  for (size_t row = 0; row < table.num_rows(); ++row) {
    for (size_t c = 0; c < num_columns; ++c) {
      const Column& column = table.column(c);
      if (c > 0) out += delimiter;
      if (column.IsMissing(row)) {
        out += missing;
      } else if (column.is_categorical()) {
        out += encoded[c][column.codes()[row]];
      } else {
        char buf[32];  // to_chars gives the shortest text that reads back to the same float
        auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), column.values()[row]);
        AppendField(out, std::string_view(buf, end - buf), delimiter);
      }
    }
    out += '\n';
  }
  return out;
}

Result<void> WriteCsv(const std::filesystem::path& path, const Table& table, char delimiter) {
  return WriteFileAtomic(path, FormatCsv(table, delimiter));
}

}  // namespace hone::core
