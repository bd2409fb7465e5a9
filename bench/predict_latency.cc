// Prediction latency of a model bundle: batch (rows per second over a whole file) and single
// row (the serving path: raw cells → encoded features → PredictRow), as JSON.
//
//   hone_bench_predict MODEL.hone DATA.csv [--repeats N] [--threads N]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hone/core/csv.h"
#include "hone/learn/bundle.h"
#include "hone/learn/evaluate.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "hone_bench_predict: %s\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    return Fail("usage: hone_bench_predict MODEL.hone DATA.csv [--repeats N] [--threads N]");
  }
  int repeats = 5;
  unsigned threads = 1;
  for (int i = 3; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--repeats") {
      repeats = std::max(1, std::atoi(argv[i + 1]));
    } else if (flag == "--threads") {
      threads = static_cast<unsigned>(std::max(1, std::atoi(argv[i + 1])));
    } else {
      return Fail("unknown flag " + flag);
    }
  }
  auto loaded = hone::learn::LoadBundle(argv[1]);
  if (!loaded) return Fail(loaded.error().message());
  const auto& bundle = loaded->bundle;
  hone::core::CsvReadOptions csv;
  std::vector<std::string> columns;
  for (const auto& f : bundle.features.features()) {
    columns.push_back(f.name);
    csv.column_types[f.name] = f.type;
  }
  csv.only_columns = columns;
  auto table = hone::core::ReadCsv(argv[2], csv);
  if (!table) return Fail(table.error().message());
  const size_t rows = table->num_rows(), k = loaded->model->num_outputs();

  // Batch: encode and predict the whole table, best of `repeats`, on `threads` threads.
  double best_batch = 1e30;
  for (int r = 0; r < repeats; ++r) {
    auto t0 = Clock::now();
    auto out = hone::learn::PredictTable(*loaded->model, bundle.features, *table, threads);
    auto t1 = Clock::now();
    if (!out) return Fail(out.error().message());
    best_batch = std::min(best_batch, Seconds(t0, t1));
  }

  // Single rows: each row's cells as a request would carry them (numbers, category text),
  // encoded and predicted one at a time.
  const auto& features = bundle.features.features();
  std::vector<std::vector<float>> numbers(rows, std::vector<float>(features.size()));
  std::vector<std::vector<std::string>> texts(rows, std::vector<std::string>(features.size()));
  for (size_t j = 0; j < features.size(); ++j) {
    const auto& col = table->column(*table->FindColumn(features[j].name));
    for (size_t i = 0; i < rows; ++i) {
      if (col.is_numeric()) {
        numbers[i][j] = col.values()[i];
      } else {
        texts[i][j] = col.CellText(i);
      }
    }
  }
  size_t single = std::min<size_t>(rows, 2000);
  std::vector<double> latencies;
  std::vector<float> row(features.size()), out(k);
  double checksum = 0;
  for (int r = 0; r < repeats; ++r) {
    for (size_t i = 0; i < single; ++i) {
      auto t0 = Clock::now();
      for (size_t j = 0; j < features.size(); ++j) {
        row[j] = features[j].type == hone::core::ColumnType::kNumeric
                     ? numbers[i][j]
                     : bundle.features.EncodeCategory(j, texts[i][j]);
      }
      if (!loaded->model->PredictRow(row, out)) return Fail("PredictRow failed");
      auto t1 = Clock::now();
      checksum += out[0];
      latencies.push_back(Seconds(t0, t1));
    }
  }
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    return latencies[std::min(latencies.size() - 1,
                              static_cast<size_t>(p * static_cast<double>(latencies.size())))];
  };
  nlohmann::json result = {
      {"model", bundle.model_kind},
      {"rows", rows},
      {"batch_seconds", best_batch},
      {"batch_us_per_row", best_batch / static_cast<double>(rows) * 1e6},
      {"single_row_us_median", pct(0.5) * 1e6},
      {"single_row_us_p99", pct(0.99) * 1e6},
      {"single_row_samples", latencies.size()},
      {"checksum", checksum},
  };
  std::printf("%s\n", result.dump().c_str());
  return 0;
}
