// libFuzzer entry point for the CSV reader. Any bytes must give a table or an error, never a
// crash or a hang, and the chunked parallel parse must agree with a sequential one: the first
// byte picks the chunk size and whether the schema forces types, so one corpus covers all.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "hone/core/csv.h"

namespace {

using hone::core::ColumnType;
using hone::core::CsvReadOptions;
using hone::core::FormatCsv;
using hone::core::ParseCsv;
using hone::core::Table;

bool SameTable(const Table& a, const Table& b) {
  if (!(a.schema() == b.schema()) || FormatCsv(a) != FormatCsv(b)) return false;
  for (size_t c = 0; c < a.num_columns(); ++c) {
    if (a.column(c).dictionary() != b.column(c).dictionary()) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  CsvReadOptions sequential;
  sequential.threads = 1;
  if (data[0] & 0x80) {
    sequential.column_types = {{"a", ColumnType::kNumeric}, {"b", ColumnType::kCategorical}};
  }
  CsvReadOptions chunked = sequential;
  chunked.threads = 2;
  chunked.chunk_bytes = 1 + (data[0] & 0x3f);
  auto a = ParseCsv(text, "fuzz.csv", sequential);
  auto b = ParseCsv(text, "fuzz.csv", chunked);
  bool same = a.has_value() == b.has_value() &&
              (a ? SameTable(*a, *b) : a.error().message() == b.error().message());
  if (!same) {
    std::fprintf(stderr, "sequential and chunked parses differ:\n  %s\n  %s\n",
                 a ? "table" : a.error().message().c_str(),
                 b ? "table" : b.error().message().c_str());
    std::abort();
  }
  return 0;
}
