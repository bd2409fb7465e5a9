// RunPipeline: the stages of `hone run` in order, each recorded on the run as it completes.
#include "hone/pipeline/run.h"

#include <chrono>
#include <cstdio>
#include <utility>

#include "hone/core/digest.h"
#include "hone/learn/evaluate.h"
#include "hone/pipeline/pipeline_run.h"
#include "hone/pipeline/stage_keys.h"

namespace hone::pipeline {

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPromoted:
      return "promoted";
    case Outcome::kRegistered:
      return "registered";
    case Outcome::kRejected:
      return "rejected";
    case Outcome::kUnchanged:
      return "unchanged";
  }
  return "unchanged";
}

int PipelineResult::ExitCode() const {
  const Outcome decided = outcome == Outcome::kUnchanged ? recorded : outcome;
  return decided == Outcome::kRejected ? 1 : 0;
}

nlohmann::json PipelineResult::ToJson() const {
  nlohmann::json stage_list = nlohmann::json::array();
  for (const StageReport& s : stages) {
    stage_list.push_back(
        {{"name", s.name}, {"status", s.status}, {"seconds", s.seconds}, {"note", s.note}});
  }
  nlohmann::json j = {
      {"command", "run"},
      {"model", report.model},
      {"outcome", OutcomeName(outcome)},
      {"exit_code", ExitCode()},
      {"run", run_id},
      {"alias", alias},
      {"version", version ? nlohmann::json(*version) : nlohmann::json()},
      {"champion", champion ? nlohmann::json(*champion) : nlohmann::json()},
      {"data",
       {{"source", report.data_source}, {"sha256", report.data_digest}, {"rows", report.rows}}},
      {"verdict", report.verdict.ToJson()},
      {"stages", stage_list},
      {"seconds", report.seconds},
  };
  if (outcome == Outcome::kUnchanged) j["recorded_outcome"] = OutcomeName(recorded);
  nlohmann::json metrics = nlohmann::json::array();
  for (const gate::MetricRow& row : report.metrics) {
    nlohmann::json m = {{"name", row.name}, {"candidate", row.candidate}};
    m["champion"] = row.champion ? nlohmann::json(*row.champion) : nlohmann::json();
    if (row.comparison) {
      m["delta"] = row.comparison->delta;
      m["ci"] = {row.comparison->ci_low, row.comparison->ci_high};
      m["method"] = row.comparison->method;
      if (row.comparison->p_value) m["p_value"] = *row.comparison->p_value;
    }
    metrics.push_back(std::move(m));
  }
  j["metrics"] = std::move(metrics);
  j["details"] = details;
  return j;
}

Result<PipelineResult> RunPipeline(const Spec& spec, store::Store& store,
                                   const RunOptions& options) {
  PipelineRun run(spec, store, options);
  return run.Execute();
}

}  // namespace hone::pipeline
