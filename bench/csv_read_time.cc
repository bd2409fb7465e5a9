// hone_csv_read_time FILE [REPEATS] [THREADS]: reads FILE with ReadCsv REPEATS times (default 3)
// and prints the best wall-clock time as JSON, for bench/csv_vs_pandas.py. It also times
// ParseCsv alone on the file's bytes, so that the cost of reading the file shows separately.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include "hone/core/csv.h"
#include "hone/core/file.h"
#include "hone/core/parallel.h"

namespace {

// Best wall-clock seconds of `repeats` calls of `fn`; false if a call fails.
bool Best(int repeats, const std::function<bool()>& fn, double& best) {
  best = 1e300;
  for (int i = 0; i < repeats; ++i) {
    auto start = std::chrono::steady_clock::now();
    if (!fn()) return false;
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    best = std::min(best, took.count());
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: %s FILE [REPEATS] [THREADS]\n", argv[0]);
    return 2;
  }
  const char* path = argv[1];
  int repeats = std::max(argc > 2 ? std::atoi(argv[2]) : 3, 1);
  hone::core::CsvReadOptions options;
  options.threads = argc > 3 ? static_cast<unsigned>(std::atoi(argv[3])) : 0;
  size_t rows = 0;
  size_t columns = 0;
  std::string error;
  auto read = [&] {
    auto table = hone::core::ReadCsv(path, options);
    if (!table) {
      error = table.error().message();
      return false;
    }
    rows = table->num_rows();
    columns = table->num_columns();
    return true;
  };
  auto text = hone::core::ReadFile(path);
  auto parse = [&] {
    auto table = hone::core::ParseCsv(*text, path, options);
    if (!table) error = table.error().message();
    return table.has_value();
  };
  double read_seconds = 0;
  double parse_seconds = 0;
  if (!text || !Best(repeats, read, read_seconds) || !Best(repeats, parse, parse_seconds)) {
    std::fprintf(stderr, "%s\n", text ? error.c_str() : text.error().message().c_str());
    return 2;
  }
  std::printf(
      "{\"seconds\": %.6f, \"parse_seconds\": %.6f, \"rows\": %zu, \"columns\": %zu, "
      "\"repeats\": %d, \"threads\": %u}\n",
      read_seconds, parse_seconds, rows, columns, repeats,
      hone::core::ResolveThreads(options.threads));
  return 0;
}
