#include "hone/pipeline/init.h"

#include <cmath>
#include <cstdio>

#include "hone/core/file.h"
#include "hone/core/random.h"

namespace hone::pipeline {
namespace {

struct Neighborhood {
  const char* name;
  double price_per_sqft;
  double distance_km;
};
constexpr Neighborhood kNeighborhoods[] = {
    {"Old Town", 310, 1.5},  {"Riverside", 260, 3.0}, {"Maple Grove", 190, 8.0},
    {"Hillcrest", 240, 5.5}, {"Lakeview", 285, 6.5},  {"Eastgate", 150, 11.0},
    {"Midtown", 275, 2.5},   {"Pinewood", 170, 14.0},
};
constexpr const char* kHouseTypes[] = {"detached", "townhouse", "condo"};
constexpr double kHouseTypeFactor[] = {1.0, 0.88, 0.8};
constexpr const char* kConditions[] = {"poor", "fair", "good", "excellent"};
constexpr double kConditionFactor[] = {0.8, 0.93, 1.0, 1.12};

double Normal(core::Rng& rng) {
  // Box–Muller; 1 - Uniform() is in (0, 1], so the logarithm is finite.
  return std::sqrt(-2.0 * std::log(1.0 - rng.Uniform())) * std::cos(2 * M_PI * rng.Uniform());
}

}  // namespace

std::string ExampleSpec() {
  return R"(# hone.yaml: the pipeline `hone run` executes. Reference: docs/hone-yaml.md.
model: house_prices

data:
  path: data/house_prices.csv     # or  glob: data/*.csv  (new files are new data)
  snapshot: true                  # keep the exact bytes, so any version can be retrained

target: price
split: {method: random, test_size: 0.2, seed: 42}

checks:                           # all run; `error` stops the pipeline, `warn` only reports
  - row_count: {min: 200}
  - schema                        # same columns and types as the production version
  - nulls: {max: 0.05}
  - range: {column: sqft, min: 100, max: 20000}
  - categories: {column: condition, allowed: [poor, fair, good, excellent]}
  - drift: {max: 0.25, severity: warn}

train:
  model: gbdt
  params: {n_estimators: 200, max_depth: 6, learning_rate: 0.1}

evaluate:
  slices: [house_type]

gates:
  - r2 >= 0.7
  - p99_latency_us <= 5000
  - rmse: {no_worse_than: champion, relative_margin: 0.02}

promote:
  alias: production
)";
}

std::string ExampleData(size_t rows, uint64_t seed) {
  core::Rng rng(seed);
  std::string csv =
      "neighborhood,house_type,sqft,bedrooms,bathrooms,year_built,condition,distance_km,price\n";
  char line[256];
  for (size_t i = 0; i < rows; ++i) {
    const Neighborhood& n = kNeighborhoods[rng.Below(std::size(kNeighborhoods))];
    const size_t type = rng.Below(std::size(kHouseTypes));
    const size_t condition = std::min<size_t>(3, rng.Below(10) / 3 + (rng.Below(4) == 0));
    const double sqft = std::round(
        std::clamp(std::exp(7.4 + 0.35 * Normal(rng)) * (type == 2 ? 0.6 : 1.0), 350.0, 9000.0));
    const int bedrooms = std::clamp(static_cast<int>(sqft / 550 + Normal(rng) * 0.7), 1, 7);
    const double bathrooms =
        std::clamp(std::round((bedrooms * 0.6 + Normal(rng) * 0.4) * 2) / 2, 1.0, 5.0);
    const int year = 1940 + static_cast<int>(rng.Below(83));
    const double age = 2023 - year;
    const double distance = std::max(0.3, n.distance_km + Normal(rng) * 1.2);
    const double price = sqft * n.price_per_sqft * kHouseTypeFactor[type] *
                         kConditionFactor[condition] * (1.0 - 0.0025 * age + 0.00002 * age * age) *
                         std::exp(-0.01 * distance) * (1.0 + 0.04 * bathrooms) *
                         std::exp(0.08 * Normal(rng));
    std::snprintf(line, sizeof(line), "%s,%s,%.0f,%d,%.1f,%d,%s,%.2f,%.0f\n", n.name,
                  kHouseTypes[type], sqft, bedrooms, bathrooms, year, kConditions[condition],
                  distance, std::round(price / 100) * 100);
    csv += line;
  }
  return csv;
}

Result<std::vector<std::filesystem::path>> InitProject(const std::filesystem::path& dir) {
  const std::filesystem::path spec = dir / "hone.yaml";
  const std::filesystem::path data = dir / "data" / "house_prices.csv";
  std::error_code ec;
  for (const auto& file : {spec, data}) {
    if (std::filesystem::exists(file, ec)) {
      return Fail(ErrorCode::kInvalidArgument,
                  file.string() +
                      " already exists; hone init writes only into a folder "
                      "without a pipeline");
    }
  }
  std::filesystem::create_directories(data.parent_path(), ec);
  if (ec) {
    return Fail(ErrorCode::kIo,
                "cannot create " + data.parent_path().string() + ": " + ec.message());
  }
  HONE_TRY(core::WriteFileAtomic(data, ExampleData(3000, 42)));
  HONE_TRY(core::WriteFileAtomic(spec, ExampleSpec()));
  return std::vector<std::filesystem::path>{spec, data};
}

}  // namespace hone::pipeline
