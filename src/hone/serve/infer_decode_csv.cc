// text/csv bodies of MLflow's /invocations: a header row of column names, then one row per
// line. A small dedicated reader rather than core::ParseCsv: a request is a few rows, read
// straight into feature values with no intermediate Table, and its errors name line and column
// as a client expects. Same syntax as core::ParseCsv: quoted fields with doubled quotes,
// delimiters and line breaks; CRLF, LF or CR line ends; a UTF-8 byte-order mark; blank lines
// skipped; unquoted fields trimmed of spaces and tabs; core::IsMissingText cells missing.
#include <string>
#include <vector>

#include <fast_float/fast_float.h>

#include "hone/core/csv.h"
#include "hone/serve/infer_values.h"

namespace hone::serve::internal {

namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsLineEnd(char c) { return c == '\n' || c == '\r'; }

class CsvCursor {
 public:
  explicit CsvCursor(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  bool AtEnd() const { return p_ == end_; }
  size_t line() const { return line_; }

  // Skips empty lines; false at the end of the text.
  bool SkipBlankLines() {
    while (p_ != end_) {
      const char* q = p_;
      while (q != end_ && IsBlank(*q)) ++q;
      if (q == end_) {
        p_ = q;
        return false;
      }
      if (!IsLineEnd(*q)) return true;
      p_ = q;
      EndLine();
    }
    return false;
  }

  // Reads one field into `text` (a view into the input, or into `scratch` when quoted with
  // doubled quotes). Returns false with `problem` set on bad syntax. `last` says whether the
  // field ended its line (or the text).
  bool Field(std::string_view& text, std::string& scratch, bool& last, std::string& problem) {
    while (p_ != end_ && IsBlank(*p_)) ++p_;
    if (p_ != end_ && *p_ == '"') {
      ++p_;
      const char* start = p_;
      bool escaped = false;
      for (;;) {
        if (p_ == end_) {
          problem = "a quoted field is never closed";
          return false;
        }
        if (*p_ == '"') {
          if (p_ + 1 != end_ && p_[1] == '"') {
            escaped = true;
            p_ += 2;
            continue;
          }
          break;
        }
        if (*p_ == '\n' || (*p_ == '\r' && (p_ + 1 == end_ || p_[1] != '\n'))) ++line_;
        ++p_;
      }
      text = std::string_view(start, static_cast<size_t>(p_ - start));
      ++p_;  // the closing quote
      if (escaped) {
        scratch.clear();
        for (size_t i = 0; i < text.size(); ++i) {
          scratch += text[i];
          if (text[i] == '"') ++i;
        }
        text = scratch;
      }
      while (p_ != end_ && IsBlank(*p_)) ++p_;
      if (p_ != end_ && *p_ != ',' && !IsLineEnd(*p_)) {
        problem = "text after the closing quote";
        return false;
      }
    } else {
      const char* start = p_;
      while (p_ != end_ && *p_ != ',' && !IsLineEnd(*p_)) ++p_;
      const char* stop = p_;
      while (stop != start && IsBlank(stop[-1])) --stop;
      text = std::string_view(start, static_cast<size_t>(stop - start));
    }
    last = p_ == end_ || *p_ != ',';
    if (last) {
      EndLine();
    } else {
      ++p_;
    }
    return true;
  }

 private:
  void EndLine() {
    if (p_ == end_) return;
    if (*p_ == '\r' && p_ + 1 != end_ && p_[1] == '\n') ++p_;
    ++p_;
    ++line_;
  }

  const char* p_;
  const char* end_;
  size_t line_ = 1;
};

tl::unexpected<Error> Invalid(size_t line, std::string_view column, const std::string& problem) {
  std::string where = "line " + std::to_string(line);
  if (!column.empty()) where += ", column " + std::string(column);
  return Fail(ErrorCode::kInvalidArgument, where + ": " + problem);
}

}  // namespace

Result<DecodedRows> DecodeCsvRows(std::string_view body, const learn::FeatureSchema& schema,
                                  const learn::TargetInfo& target, const DecodeLimits& limits) {
  if (body.starts_with(kByteOrderMark)) body.remove_prefix(kByteOrderMark.size());
  CsvCursor cursor(body);
  if (!cursor.SkipBlankLines()) {
    return Fail(ErrorCode::kInvalidArgument, "the CSV body is empty; expected a header row");
  }
  FeatureNames names(schema, target);
  std::vector<size_t> columns;
  std::vector<bool> seen(schema.size());
  std::string scratch, problem;
  std::string_view text;
  bool last = false;
  while (!last) {
    const size_t line = cursor.line();
    if (!cursor.Field(text, scratch, last, problem)) return Invalid(line, "", problem);
    size_t j = names.Find(text);
    if (j == FeatureNames::kUnknown) return Invalid(line, "", names.Unknown(text));
    if (j != FeatureNames::kTarget) {
      if (seen[j]) return Invalid(line, "", "column '" + std::string(text) + "' appears twice");
      seen[j] = true;
    }
    columns.push_back(j);
  }

  // A column's header text is its feature's (or the target's) name.
  auto column_name = [&](size_t c) -> std::string_view {
    if (c >= columns.size()) return {};
    return columns[c] == FeatureNames::kTarget
               ? std::string_view(target.name)
               : std::string_view(schema.features()[columns[c]].name);
  };
  const size_t width = schema.size();
  DecodedRows decoded;
  size_t rows = 0;
  while (cursor.SkipBlankLines()) {
    const size_t line = cursor.line();
    // Past the limit the rows are only counted, so that the error can say how many there are.
    const bool keep = rows < limits.max_rows;
    if (keep) decoded.values.resize((rows + 1) * width, kMissing);
    float* row = keep ? decoded.values.data() + rows * width : nullptr;
    size_t c = 0;
    for (last = false; !last; ++c) {
      const size_t field_line = cursor.line();
      if (!cursor.Field(text, scratch, last, problem)) {
        return Invalid(field_line, column_name(c), problem);
      }
      if (c >= columns.size()) continue;
      const size_t j = columns[c];
      if (!keep || j == FeatureNames::kTarget || core::IsMissingText(text)) continue;
      if (schema.features()[j].type == core::ColumnType::kCategorical) {
        row[j] = schema.EncodeCategory(j, text);
        continue;
      }
      double value = 0;
      auto parsed = fast_float::from_chars(text.data(), text.data() + text.size(), value);
      if (parsed.ec != std::errc() || parsed.ptr != text.data() + text.size()) {
        return Invalid(field_line, column_name(c),
                       "expected a number, got '" + std::string(text) + "'");
      }
      if (!ToFloat(value, row[j])) {
        return Invalid(field_line, column_name(c),
                       "the number " + std::string(text) + " is outside float's range");
      }
    }
    if (c != columns.size()) {
      return Invalid(line, "",
                     "the row has " + std::to_string(c) + " fields but the header has " +
                         std::to_string(columns.size()));
    }
    ++rows;
  }
  HONE_TRY(CheckRowLimit(rows, limits));
  decoded.rows = rows;
  return decoded;
}

}  // namespace hone::serve::internal
