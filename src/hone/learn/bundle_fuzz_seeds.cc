// Writes the seed corpus of hone_bundle_fuzz: one small bundle per model kind and task, trained
// on 48 made-up rows (a numeric feature and a categorical one, both with missing values), so
// that every payload parser starts from bytes it accepts. Bundles are built, not committed.
//
//   hone_bundle_fuzz_seeds DIR
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "hone/learn/bundle.h"
#include "hone/learn/training.h"

namespace {

using hone::core::Column;
using hone::core::Table;
using hone::learn::TrainRequest;

struct Seed {
  const char* file;
  const char* model;
  const char* target;
  std::vector<std::pair<std::string, std::string>> params;
};

Table Rows() {
  constexpr size_t kRows = 48;
  std::vector<float> x(kRows), amount(kRows);
  std::vector<int32_t> color(kRows), churned(kRows), plan(kRows);
  for (size_t i = 0; i < kRows; ++i) {
    x[i] = i % 11 == 3 ? NAN : static_cast<float>((i * 7) % 23);
    // "violet" (3) occurs once, so a split may leave it without training rows.
    color[i] = i % 13 == 5 ? -1 : i == 40 ? 3 : static_cast<int32_t>(i % 3);
    amount[i] = 2.5f * x[i] + 10.0f * static_cast<float>(color[i]) + static_cast<float>(i % 4);
    if (std::isnan(amount[i])) amount[i] = 1;
    churned[i] = static_cast<int32_t>((i * 5 + i / 7) % 2);
    plan[i] = static_cast<int32_t>((i + static_cast<size_t>(color[i] + 1)) % 3);
  }
  std::vector<Column> cols;
  cols.push_back(Column::Numeric("x", x));
  cols.push_back(Column::Categorical("color", color, {"red", "green", "blue", "violet"}));
  cols.push_back(Column::Numeric("amount", amount));
  cols.push_back(Column::Categorical("churned", churned, {"no", "yes"}));
  cols.push_back(Column::Categorical("plan", plan, {"basic", "plus", "pro"}));
  return *Table::Create(std::move(cols));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  const Table table = Rows();
  const std::vector<Seed> seeds = {
      {"forest_regression.hone",
       "random_forest",
       "amount",
       {{"n_estimators", "3"}, {"max_depth", "3"}}},
      {"forest_binary.hone", "random_forest", "churned", {{"n_estimators", "2"}}},
      // Shallow, so that leaves are impure and hold class distributions.
      {"forest_multiclass.hone",
       "random_forest",
       "plan",
       {{"n_estimators", "3"}, {"max_depth", "2"}}},
      {"gbdt_regression.hone", "gbdt", "amount", {{"n_estimators", "2"}, {"max_depth", "2"}}},
      {"gbdt_binary.hone", "gbdt", "churned", {{"n_estimators", "2"}, {"max_depth", "2"}}},
      {"gbdt_multiclass.hone", "gbdt", "plan", {{"n_estimators", "1"}, {"max_depth", "2"}}},
      {"linear_regression.hone", "linear", "amount", {{"n_estimators", "5"}}},
      {"linear_multiclass.hone", "linear", "plan", {{"n_estimators", "5"}}},
  };
  for (const Seed& seed : seeds) {
    TrainRequest request;
    request.target = seed.target;
    request.model = seed.model;
    request.params = seed.params;
    request.task = seed.target == std::string("amount") ? hone::learn::TaskRequest::kRegression
                                                        : hone::learn::TaskRequest::kAuto;
    request.test_size = 0.25;
    request.threads = 1;
    for (const char* other : {"amount", "churned", "plan"}) {
      if (other != std::string(seed.target)) request.ignore.push_back(other);
    }
    request.data_source = "bundle_fuzz_seeds";
    auto trained = hone::learn::TrainOnTable(table, request);
    if (!trained) {
      std::fprintf(stderr, "%s: %s\n", seed.file, trained.error().message().c_str());
      return 1;
    }
    auto written = hone::learn::WriteBundle(dir / seed.file, trained->bundle);
    if (!written) {
      std::fprintf(stderr, "%s: %s\n", seed.file, written.error().message().c_str());
      return 1;
    }
  }
  std::printf("wrote %zu seed bundles to %s\n", seeds.size(), dir.c_str());
  return 0;
}
