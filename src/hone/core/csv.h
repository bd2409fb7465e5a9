// Reading and writing CSV files (RFC 4180 plus what real files do).
#ifndef HONE_CORE_CSV_H_
#define HONE_CORE_CSV_H_

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hone/core/error.h"
#include "hone/core/table.h"

namespace hone::core {

struct CsvReadOptions {
  /// Field separator.
  char delimiter = ',';
  /// Types forced by column name; every other column's type is inferred: numeric when every
  /// non-missing cell parses as a number, categorical otherwise. A forced-numeric column with a
  /// cell that is not a number is an error naming file, line and column.
  std::unordered_map<std::string, ColumnType> column_types;
  /// When set, only these columns are read (others are skipped without being parsed), in file
  /// order. A name absent from the header is an error listing the header's columns.
  std::optional<std::vector<std::string>> only_columns;
  /// Threads for parsing (0 = all hardware threads). The result does not depend on it.
  unsigned threads = 0;
  /// Approximate bytes of input per parallel parsing chunk (0 = chosen from the input size and
  /// the thread count). The result does not depend on it; tests and the fuzzer set it small to
  /// exercise the merging of many chunks.
  size_t chunk_bytes = 0;
};

/// True for the cell texts read as missing: "", "NA", "N/A", "n/a", "NaN", "nan", "-NaN",
/// "-nan", "null", "NULL", "Null", "None", "<NA>", "#N/A" (surrounding blanks ignored).
bool IsMissingText(std::string_view cell);

/// Parses CSV text. `source` names the input in error messages ("data.csv:12: ...").
///
/// Handles: a header row (required; names must be unique and non-empty), quoted fields with
/// embedded delimiters, doubled quotes and newlines, CRLF and LF line ends, a UTF-8 byte-order
/// mark, a missing final newline, and blank lines (skipped). Unquoted fields are trimmed of
/// surrounding spaces and tabs; quoted fields are kept verbatim. Numbers parse with fast_float.
/// Errors (kInvalidData) name the source, the 1-based line and, where there is one, the column:
/// a row with too many or too few fields, an unterminated quote, text after a closing quote, an
/// empty input, a header-only input (zero rows).
///
/// Choices where files disagree: a quote opens a quoted field only as the field's first non-blank
/// byte and is plain text elsewhere (`5" screen`); a lone CR also ends a line; a missing-marker
/// is missing whether quoted or not; column_types entries naming no header column are ignored (a
/// model's schema may list the label a scoring file lacks); an only_columns name absent from the
/// header is kNotFound.
Result<Table> ParseCsv(std::string_view text, std::string_view source,
                       const CsvReadOptions& options = {});

/// Reads and parses a file; `path` names it in errors.
Result<Table> ReadCsv(const std::filesystem::path& path, const CsvReadOptions& options = {});

/// Appends `text` as one CSV field as FormatCsv writes it: quoted when a reader would otherwise
/// split, trim or end it (the delimiter, a quote, CR or LF, surrounding blanks). An empty text
/// is written empty.
void AppendCsvField(std::string& out, std::string_view text, char delimiter);

/// Formats a table as CSV: a header, then one line per row, LF line ends; fields that contain
/// the delimiter, a quote, CR or LF, or that have surrounding blanks, are quoted; missing cells
/// are empty; numbers are written in their shortest round-trip form.
std::string FormatCsv(const Table& table, char delimiter = ',');

/// FormatCsv, written atomically to `path`.
Result<void> WriteCsv(const std::filesystem::path& path, const Table& table, char delimiter = ',');

}  // namespace hone::core

#endif  // HONE_CORE_CSV_H_
