// Shared pieces of the commands: exit codes, error reporting, reading data, printing metrics.
#ifndef HONE_CLI_REPORT_H_
#define HONE_CLI_REPORT_H_

#include <string>

#include <nlohmann/json.hpp>

#include "hone/cli/commands.h"
#include "hone/core/csv.h"
#include "hone/core/error.h"
#include "hone/learn/bundle.h"
#include "hone/learn/metrics.h"

namespace hone::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitCheckFailed = 1;
inline constexpr int kExitError = 2;

/// The one place errors become exit codes.
int ExitCodeFor(const Error& error);

/// Prints `hone <command>: error: <message>` to err and, with --json, {"error": {...}} to out.
/// Returns the exit code.
int ReportError(Io& io, std::string_view command, const Error& error, bool json);

/// A CSV file read for a command, with the digest of its bytes.
struct DataFile {
  core::Table table;
  std::string sha256;
};
Result<DataFile> ReadDataFile(const std::string& path, const core::CsvReadOptions& options);

/// Read options for data given to a model: only the columns it reads (and its target when
/// `with_target`), with the types it was trained on, so that a text cell in a numeric feature
/// is reported with its line and column, and extra columns cost nothing.
core::CsvReadOptions ModelReadOptions(const learn::Bundle& bundle, bool with_target,
                                      unsigned threads);

nlohmann::json MetricsJson(const learn::MetricList& metrics);
/// Metric lines, indented, names padded to a column.
void PrintMetrics(std::ostream& out, const learn::MetricList& metrics, const std::string& indent);
/// JSON on one line (invalid UTF-8 from data replaced, never thrown on).
std::string DumpJson(const nlohmann::json& json);

}  // namespace hone::cli

#endif  // HONE_CLI_REPORT_H_
