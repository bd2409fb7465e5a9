// ParseCsv and FormatCsv throughput on a generated in-memory file shaped like the data hone
// trains on: 15 numeric columns (some missing) and 5 categorical ones (a few quoted).
#include <string>

#include <benchmark/benchmark.h>

#include "hone/core/csv.h"
#include "hone/core/random.h"

namespace hone::core {
namespace {

std::string MakeCsv(size_t rows) {
  Rng rng(42);
  std::string text;
  for (int c = 0; c < 15; ++c) {
    text += 'x';
    text += std::to_string(c);
    text += ',';
  }
  text += "city,segment,plan,channel,note\n";
  const char* cities[] = {"Oslo", "Lima", "Kyiv", "Pune", "\"Washington, D.C.\"", "NA"};
  const char* plans[] = {"free", "basic", "pro", "team", "enterprise"};
  char buf[32];
  for (size_t r = 0; r < rows; ++r) {
    for (int c = 0; c < 15; ++c) {
      if (rng.Below(20) != 0) {
        std::snprintf(buf, sizeof(buf), "%.4f", (rng.Uniform() - 0.3) * 1000);
        text += buf;
      }
      text += ',';
    }
    text += cities[rng.Below(6)];
    text += ",s";
    text += std::to_string(rng.Below(40));
    text += ',';
    text += plans[rng.Below(5)];
    text += rng.Below(2) ? ",web," : ",store,";
    text += rng.Below(100) == 0 ? "\"said \"\"call me\"\"\"\n" : "ok\n";
  }
  return text;
}

const std::string& Csv() {
  static const std::string text = MakeCsv(200000);
  return text;
}

void BM_ParseCsv(benchmark::State& state) {
  CsvReadOptions options;
  options.threads = static_cast<unsigned>(state.range(0));
  const std::string& text = Csv();  // generated once, outside the timed loop
  for (auto _ : state) {
    auto table = ParseCsv(text, "bench.csv", options);
    if (!table) state.SkipWithError(table.error().message().c_str());
    benchmark::DoNotOptimize(table);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ParseCsv)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_FormatCsv(benchmark::State& state) {
  Table table = *ParseCsv(Csv(), "bench.csv");
  for (auto _ : state) benchmark::DoNotOptimize(FormatCsv(table));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * Csv().size()));
}
BENCHMARK(BM_FormatCsv)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace hone::core

BENCHMARK_MAIN();
