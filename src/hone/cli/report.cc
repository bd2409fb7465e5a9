#include "hone/cli/report.h"

#include <cmath>
#include <cstdio>

#include "hone/core/digest.h"
#include "hone/core/file.h"

namespace hone::cli {

int ExitCodeFor(const Error&) {
  // Every error is bad input or a failure. kExitCheckFailed is for checks that ran and said no
  // (the gates), which are verdicts, not errors.
  return kExitError;
}

std::string DumpJson(const nlohmann::json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int ReportError(Io& io, std::string_view command, const Error& error, bool json) {
  io.err << "hone " << command << ": error: " << error.message() << "\n";
  if (json) {
    io.out << DumpJson({{"command", command},
                        {"error",
                         {{"code", ErrorCodeName(error.code())}, {"message", error.message()}}}})
           << "\n";
  }
  return ExitCodeFor(error);
}

Result<DataFile> ReadDataFile(const std::string& path, const core::CsvReadOptions& options) {
  HONE_ASSIGN_OR_RETURN(core::FileBytes bytes, core::ReadFileBytes(path));
  HONE_ASSIGN_OR_RETURN(core::Table table, core::ParseCsv(bytes.view(), path, options));
  return DataFile{std::move(table), core::Sha256Hex(bytes.view())};
}

core::CsvReadOptions ModelReadOptions(const learn::Bundle& b, bool with_target, unsigned threads) {
  core::CsvReadOptions csv;
  csv.threads = threads;
  std::vector<std::string> columns;
  for (const auto& f : b.features.features()) {
    columns.push_back(f.name);
    csv.column_types[f.name] = f.type;
  }
  if (with_target) {
    columns.push_back(b.target.name);
    if (b.target.task == learn::Task::kRegression) {
      csv.column_types[b.target.name] = core::ColumnType::kNumeric;
    }
  }
  csv.only_columns = std::move(columns);
  return csv;
}

nlohmann::json MetricsJson(const learn::MetricList& metrics) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : metrics) out[name] = value;
  return out;
}

void PrintMetrics(std::ostream& out, const learn::MetricList& metrics, const std::string& indent) {
  size_t width = 0;
  for (const auto& [name, value] : metrics) width = std::max(width, name.size());
  for (const auto& [name, value] : metrics) {
    char number[64];
    std::snprintf(number, sizeof(number), "%.6g", value);
    out << indent << name << std::string(width - name.size() + 2, ' ') << number << "\n";
  }
}

}  // namespace hone::cli
