// The drift report of `hone monitor` on one core: 1M live rows × 20 features (16 numeric, 4
// categorical of 5, 12, 30 and 80 levels, a few percent missing) against the reference profile
// of a 100k-row table with the same columns (core::ProfileTable, as `hone train` keeps in the
// bundle); 4 numeric features and 1 categorical one shifted.
//   BM_AccumulateAndReport  counting the 1M rows on the reference's bins (the batch path:
//                           WindowAccumulator::AddBatch, 64k rows a call) + Take + ComputeDrift
//   BM_Accumulate           the counting alone
//   BM_Report               ComputeDrift alone, on the counted window
//   BM_AddRow               one served row (the request path), single thread and 2 threads
// bench/drift_vs_python.sh runs this and bench/drift_peer.py (SciPy on the raw values) side by
// side.
//
//   build/h-window-rel/bench/hone_bench_drift
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "hone/core/profile.h"
#include "hone/core/random.h"
#include "hone/core/table.h"
#include "hone/monitor/drift_report.h"
#include "hone/monitor/window.h"

namespace hone::monitor {
namespace {

constexpr size_t kNumeric = 16;
constexpr size_t kLevels[] = {5, 12, 30, 80};
constexpr size_t kReferenceRows = 100000;
constexpr size_t kLiveRows = 1000000;
constexpr size_t kChunk = 65536;

double Normal(core::Rng& rng) {
  // Box–Muller; 1 - Uniform() is in (0, 1].
  return std::sqrt(-2 * std::log(1 - rng.Uniform())) * std::cos(2 * M_PI * rng.Uniform());
}

// Column j's value: normal, log-normal, uniform or a bimodal mix by j % 4, scaled by j; the
// first four columns shifted by `shift` standard-ish units in the live data.
float NumericValue(core::Rng& rng, size_t j, double shift) {
  if (rng.Below(50) == 0) return NAN;
  double v = 0;
  switch (j % 4) {
    case 0:
      v = Normal(rng);
      break;
    case 1:
      v = std::exp(0.5 * Normal(rng));
      break;
    case 2:
      v = rng.Uniform() * 3;
      break;
    default:
      v = (rng.Below(3) == 0 ? 4 : 0) + Normal(rng);
      break;
  }
  if (j < 4) v += shift;
  return static_cast<float>(v * static_cast<double>(j + 1));
}

// A Zipf-like category index of `levels`, or -1 (missing) one time in 40; `tilt` moves mass
// towards the last level (the live shift of the first categorical feature).
int32_t CategoryCode(core::Rng& rng, size_t levels, double tilt) {
  if (rng.Below(40) == 0) return core::kMissingCode;
  if (tilt > 0 && rng.Uniform() < tilt) return static_cast<int32_t>(levels - 1);
  const double u = rng.Uniform();
  return static_cast<int32_t>(std::pow(u, 2.0) * static_cast<double>(levels));
}

std::vector<std::string> Dictionary(size_t c) {
  std::vector<std::string> d;
  for (size_t i = 0; i < kLevels[c]; ++i)
    d.push_back("c" + std::to_string(c) + "_" + std::to_string(i));
  return d;
}

std::vector<MonitoredColumn> Features() {
  std::vector<MonitoredColumn> f;
  for (size_t j = 0; j < kNumeric; ++j)
    f.push_back({"x" + std::to_string(j), core::ColumnType::kNumeric, {}});
  for (size_t c = 0; c < 4; ++c) {
    f.push_back({"cat" + std::to_string(c), core::ColumnType::kCategorical, Dictionary(c)});
  }
  return f;
}

const core::DataProfile& Reference() {
  static const core::DataProfile profile = [] {
    core::Rng rng(42);
    std::vector<core::Column> columns;
    for (size_t j = 0; j < kNumeric; ++j) {
      std::vector<float> v(kReferenceRows);
      for (float& x : v) x = NumericValue(rng, j, 0);
      columns.push_back(core::Column::Numeric("x" + std::to_string(j), std::move(v)));
    }
    for (size_t c = 0; c < 4; ++c) {
      std::vector<int32_t> codes(kReferenceRows);
      for (int32_t& code : codes) code = CategoryCode(rng, kLevels[c], 0);
      columns.push_back(
          core::Column::Categorical("cat" + std::to_string(c), std::move(codes), Dictionary(c)));
    }
    auto table = core::Table::Create(std::move(columns));
    if (!table) std::abort();
    return core::ProfileTable(*table);
  }();
  return profile;
}

// The live rows as served: column-major floats, category indices as floats, NaN missing.
const std::vector<std::vector<float>>& Live() {
  static const std::vector<std::vector<float>> live = [] {
    core::Rng rng(43);
    std::vector<std::vector<float>> cols(kNumeric + 4, std::vector<float>(kLiveRows));
    for (size_t j = 0; j < kNumeric; ++j) {
      for (float& x : cols[j]) x = NumericValue(rng, j, 0.3);
    }
    for (size_t c = 0; c < 4; ++c) {
      for (float& x : cols[kNumeric + c]) {
        const int32_t code = CategoryCode(rng, kLevels[c], c == 0 ? 0.2 : 0);
        x = code < 0 ? NAN : static_cast<float>(code);
      }
    }
    return cols;
  }();
  return live;
}

WindowSummary Accumulate() {
  WindowAccumulator acc(Features(), Reference(), std::nullopt);
  const auto& live = Live();
  std::vector<std::span<const float>> chunk(live.size());
  for (size_t start = 0; start < kLiveRows; start += kChunk) {
    const size_t n = std::min(kChunk, kLiveRows - start);
    for (size_t j = 0; j < live.size(); ++j) chunk[j] = std::span(live[j]).subspan(start, n);
    acc.AddBatch(chunk);
  }
  return acc.Take();
}

DriftReport Report(const WindowSummary& window) {
  auto report = ComputeDrift(Reference(), window);
  if (!report) {
    std::fprintf(stderr, "drift report: %s\n", report.error().message().c_str());
    std::abort();
  }
  return *std::move(report);
}

void SetCounters(benchmark::State& state, const DriftReport& report) {
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kLiveRows));
  state.counters["drifted"] = static_cast<double>(report.columns_drifted);
  state.counters["rows"] = static_cast<double>(report.rows);
}

void BM_AccumulateAndReport(benchmark::State& state) {
  Reference();
  Live();
  DriftReport report;
  for (auto _ : state) {
    report = Report(Accumulate());
    benchmark::DoNotOptimize(report);
  }
  SetCounters(state, report);
  state.SetLabel(report.status);
}
BENCHMARK(BM_AccumulateAndReport)->Unit(benchmark::kMillisecond);

void BM_Accumulate(benchmark::State& state) {
  Reference();
  Live();
  for (auto _ : state) {
    WindowSummary window = Accumulate();
    benchmark::DoNotOptimize(window);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kLiveRows));
}
BENCHMARK(BM_Accumulate)->Unit(benchmark::kMillisecond);

void BM_Report(benchmark::State& state) {
  const WindowSummary window = Accumulate();
  DriftReport report;
  for (auto _ : state) {
    report = Report(window);
    benchmark::DoNotOptimize(report);
  }
  state.SetLabel(report.status);
}
BENCHMARK(BM_Report)->Unit(benchmark::kMicrosecond);

// One served row into a shared accumulator, from every benchmark thread at once.
void BM_AddRow(benchmark::State& state) {
  static std::unique_ptr<WindowAccumulator> acc;
  if (state.thread_index() == 0) {
    acc = std::make_unique<WindowAccumulator>(Features(), Reference(), std::nullopt);
  }
  const auto& live = Live();
  std::vector<std::vector<float>> rows(1024, std::vector<float>(live.size()));
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t j = 0; j < live.size(); ++j)
      rows[r][j] = live[j][r * 7 + static_cast<size_t>(state.thread_index())];
  }
  size_t r = 0;
  for (auto _ : state) {
    acc->AddRow(rows[r]);
    r = (r + 1) & 1023;
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    benchmark::DoNotOptimize(acc->Take());
  }
}
BENCHMARK(BM_AddRow)->Threads(1)->Threads(2)->Unit(benchmark::kNanosecond)->UseRealTime();

}  // namespace
}  // namespace hone::monitor

BENCHMARK_MAIN();
