// Stage 1: a data source becomes a snapshot: the CSV bytes the table is read from, and their
// content digest, which is the data's identity in lineage and in the stage keys.
#ifndef HONE_PIPELINE_SOURCE_H_
#define HONE_PIPELINE_SOURCE_H_

#include <filesystem>
#include <string>
#include <vector>

#include "hone/core/csv.h"
#include "hone/core/error.h"
#include "hone/core/table.h"
#include "hone/pipeline/spec.h"

namespace hone::pipeline {

struct Snapshot {
  /// The snapshot as CSV bytes: a file's own bytes; for a glob, the first file followed by the
  /// data rows of the others (each file's header must equal the first's); for a query, its
  /// result written as CSV (core::FormatCsv conventions; NULL is an empty cell).
  std::string bytes;
  /// Lower-case hex SHA-256 of `bytes`.
  std::string digest;
  core::Table table;
  /// What was read, for messages and lineage: "data/sales.csv", "incoming/*.csv (3 files)",
  /// "sqlite:///shop.db: SELECT …" (passwords never appear).
  std::string description;
  /// The files read (kFile, kGlob), in order.
  std::vector<std::filesystem::path> files;
  /// With a spec's `pii:` (TakeSpecSnapshot), the record of the transform `bytes` and `table`
  /// went through (learn::BundlePiiJson), for the bundle; else empty.
  nlohmann::json pii = nlohmann::json::object();
};

/// Reads `source` (relative paths against `dir`) into a snapshot. Errors name the file (with
/// line and column for bad CSV), the glob that matched nothing, or the database and query.
Result<Snapshot> TakeSnapshot(const DataSourceSpec& source, const std::filesystem::path& dir,
                              const core::CsvReadOptions& csv);

/// The spec's data as the pipeline sees it: TakeSnapshot, then the spec's `pii:` applied
/// (core::ApplyPii, with the key from core::LoadPiiKey and `pii_key_file`), so that `bytes`,
/// `digest` and `table` hold no raw value of a pii column: the bytes are the transformed table
/// written as CSV, the digest theirs. Errors name the column and where `pii:` declares it.
/// The table is read as the pipeline reads it (CsvOptionsOf).
Result<Snapshot> TakeSpecSnapshot(const Spec& spec);

}  // namespace hone::pipeline

#endif  // HONE_PIPELINE_SOURCE_H_
