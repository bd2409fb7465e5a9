// CSV reading in three steps: a quote-aware split of the body into chunks of whole rows, a
// parallel parse of each chunk into chunk-local columns, and a merge in chunk order. Every value
// and every error is the one a single sequential parse would produce, whatever the chunking.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "hone/core/csv.h"
#include "hone/core/csv_chunk.h"
#include "hone/core/csv_dictionary.h"
#include "hone/core/csv_scan.h"
#include "hone/core/file.h"
#include "hone/core/parallel.h"

namespace hone::core {
namespace {

using csv_internal::Chunk;
using csv_internal::ChunkColumn;
using csv_internal::ChunkParser;
using csv_internal::Dictionary;
using csv_internal::FieldEnd;
using csv_internal::FieldText;
using csv_internal::FirstError;
using csv_internal::LineAt;
using csv_internal::Plan;
using csv_internal::RawField;
using csv_internal::ScanField;
using csv_internal::SkipBlankLines;
using csv_internal::SplitIntoChunks;
using csv_internal::Syntax;

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

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
  HONE_ASSIGN_OR_RETURN(FileBytes bytes, ReadFileBytes(path));
  return ParseCsv(bytes.view(), path.string(), options);
}

}  // namespace hone::core
