// `hone init`: a working pipeline in an empty folder — a commented hone.yaml and a synthetic
// house-price data set — so that `hone init && hone run` trains, gates, registers and promotes
// at once, and the files show how to point hone at real data.
#ifndef HONE_PIPELINE_INIT_H_
#define HONE_PIPELINE_INIT_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "hone/core/error.h"

namespace hone::pipeline {

/// The example hone.yaml `hone init` writes.
std::string ExampleSpec();

/// `rows` synthetic home sales (CSV with a header): neighborhood, house_type, sqft, bedrooms,
/// bathrooms, year_built, condition, distance_km, price. The same seed gives the same bytes.
std::string ExampleData(size_t rows, uint64_t seed);

/// Writes hone.yaml and data/house_prices.csv into `dir` (made if missing). Refuses, naming
/// the file, when either exists, so nothing a user wrote is overwritten. Returns the files.
Result<std::vector<std::filesystem::path>> InitProject(const std::filesystem::path& dir);

}  // namespace hone::pipeline

#endif  // HONE_PIPELINE_INIT_H_
