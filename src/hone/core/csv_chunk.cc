// Chunk splitting and chunk parsing for ParseCsv; see csv_chunk.h.
#include "hone/core/csv_chunk.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "hone/core/parallel.h"

namespace hone::core::csv_internal {

void ChunkParser::Parse(Chunk& chunk, const std::vector<Plan>& plans) const {
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
        return SetError(chunk, f.start,
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

// The private helpers are `inline`, as members defined in the class would be: GCC inlines more
// readily what is so marked, and TryPlainNumber and Store run once per cell.
inline bool ChunkParser::TryPlainNumber(ChunkColumn& column, const char*& p, const char* end,
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

inline void ChunkParser::Reserve(Chunk& chunk, const char* p) const {
  double bytes_per_row = static_cast<double>(p - (text_.data() + chunk.begin)) / chunk.rows;
  auto rows = static_cast<size_t>((chunk.end - chunk.begin) / bytes_per_row * 1.05) + 16;
  for (ChunkColumn& column : chunk.columns) {
    if (column.plan == Plan::kNumber || column.plan == Plan::kInfer) column.values.reserve(rows);
    if (column.plan == Plan::kCategory) column.codes.reserve(rows);
  }
}

inline bool ChunkParser::Store(ChunkColumn& column, const RawField& f, std::string& scratch) const {
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

inline std::string ChunkParser::ColumnLabel(size_t c) const {
  if (c < names_.size()) return "column '" + names_[c] + "'";
  return "field " + std::to_string(c + 1) + " (the header has " + std::to_string(names_.size()) +
         ")";
}

inline void ChunkParser::SetError(Chunk& chunk, const char* at, std::string message,
                                  bool unterminated) const {
  chunk.error =
      ChunkError{static_cast<size_t>(at - text_.data()), std::move(message), unterminated};
}

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

}  // namespace hone::core::csv_internal
