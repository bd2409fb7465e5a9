// The parallel half of CSV reading: the split of the body into chunks of whole rows, and the
// parse of each chunk into chunk-local columns, which ParseCsv (csv_read.cc) merges in order.
#ifndef HONE_CORE_CSV_CHUNK_H_
#define HONE_CORE_CSV_CHUNK_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hone/core/csv_dictionary.h"
#include "hone/core/csv_scan.h"

namespace hone::core::csv_internal {

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

  void Parse(Chunk& chunk, const std::vector<Plan>& plans) const;

 private:
  static constexpr size_t kRowsToEstimateSize = 64;

  // The common numeric cell, "12.5," with nothing around it: the number reader finds the cell's
  // end itself, which saves lexing the bytes twice. Anything else (blanks, quotes, a '+', missing
  // markers, CRLF) is left to the general path, which gives the same value.
  bool TryPlainNumber(ChunkColumn& column, const char*& p, const char* end,
                      FieldEnd& field_end) const;

  // Sizes the columns for the whole chunk from its first rows, so they grow once, not by
  // doubling (which copies, and costs page faults on fresh memory).
  void Reserve(Chunk& chunk, const char* p) const;

  // False only for a non-number in a forced-numeric column.
  bool Store(ChunkColumn& column, const RawField& f, std::string& scratch) const;

  std::string ColumnLabel(size_t c) const;

  void SetError(Chunk& chunk, const char* at, std::string message, bool unterminated = false) const;

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
                                   size_t chunk_bytes, unsigned threads);

// The first error in file order, or nothing. Chunks parsed from a true row start report true
// errors; a chunk that ends inside a quote only proves the next boundary wrong, so the rest of
// the input is re-parsed as one chunk.
std::optional<ChunkError> FirstError(std::vector<Chunk>& chunks, const ChunkParser& parser,
                                     const std::vector<Plan>& plans);

}  // namespace hone::core::csv_internal

#endif  // HONE_CORE_CSV_CHUNK_H_
