// Writing CSV that ParseCsv reads back to the same table.
#include <charconv>
#include <string>
#include <string_view>
#include <vector>

#include "hone/core/csv.h"
#include "hone/core/file.h"

namespace hone::core {

void AppendCsvField(std::string& out, std::string_view text, char delim) {
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
    AppendCsvField(out, column.name(), delimiter);
    for (const std::string& entry : column.dictionary()) {
      AppendCsvField(encoded[c].emplace_back(), entry, delimiter);
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
        AppendCsvField(out, std::string_view(buf, end - buf), delimiter);
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
