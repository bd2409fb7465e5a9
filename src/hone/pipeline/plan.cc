// PlanPipeline: what `hone run --dry-run` prints.
#include <utility>

#include "hone/learn/search.h"
#include "hone/pipeline/pipeline_run.h"

namespace hone::pipeline {
namespace {

std::string Join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : std::string(separator)) + item;
  return out;
}

std::string TrainLine(const Spec& spec) {
  if (!spec.train.command.empty()) {
    return "command '" + spec.train.command + "' (timeout " +
           std::to_string(static_cast<long>(spec.train.timeout_seconds)) +
           " s), its XGBoost model imported";
  }
  std::vector<std::string> params;
  for (const auto& [name, value] : spec.train.params) params.push_back(name + "=" + value);
  std::string line = spec.train.model + (params.empty() ? "" : " " + Join(params, " "));
  if (spec.search) {
    const learn::SearchRequest& s = *spec.search;
    std::vector<std::string> dims;
    for (const learn::SearchDimension& d : s.space) dims.push_back(d.param);
    line += "; " + std::string(s.method == learn::SearchMethod::kGrid ? "grid" : "random") +
            " search (" +
            (s.method == learn::SearchMethod::kGrid ? std::string("every point")
                                                    : std::to_string(s.trials) + " trials") +
            ", " + std::to_string(s.folds) + "-fold cv) over " + Join(dims, ", ");
  }
  return line;
}

// "; pii: email dropped, customer_id hashed" (nothing without pii).
std::string PiiText(const core::PiiPolicy& pii) {
  std::vector<std::string> parts;
  for (const core::PiiColumn& c : pii.columns) {
    parts.push_back(c.name + (c.mode == core::PiiMode::kDrop ? " dropped" : " hashed"));
  }
  return parts.empty() ? "" : "; pii: " + Join(parts, ", ");
}

}  // namespace

Result<Plan> PlanPipeline(const Spec& spec, store::Store* store) {
  HONE_TRY(CheckSpecFits(spec));
  Plan plan;
  HONE_ASSIGN_OR_RETURN(Snapshot snapshot, TakeSpecSnapshot(spec));
  std::optional<Champion> champion;
  std::string cache = "no store yet: every stage would run";
  if (store != nullptr) {
    registry::Registry registry(*store->meta, store->artifacts, store::Actor{"dry-run"});
    HONE_ASSIGN_OR_RETURN(champion, LoadChampion(spec, *store->meta, registry));
    const StageKeys keys =
        ComputeStageKeys(spec, snapshot.digest, registry::CurrentCodeState(spec.dir));
    std::optional<store::ModelVersion> version;
    if (champion) version = champion->version;
    HONE_ASSIGN_OR_RETURN(auto earlier, FindUnchanged(*store->meta, keys, version));
    HONE_ASSIGN_OR_RETURN(auto trained, FindTrainedModel(*store->meta, keys.train));
    if (earlier) {
      cache = "unchanged: run " + earlier->id.substr(0, 10) +
              " handled these inputs; nothing "
              "would run";
    } else if (trained) {
      cache = "the train stage would reuse the model of run " + trained->run.id.substr(0, 10);
    } else {
      cache = "every stage would run";
    }
  }
  std::vector<std::string> checks;
  for (const gate::DataCheck& c : spec.checks) {
    checks.push_back(std::string(gate::DataCheckKindName(c.kind)) +
                     (c.columns.empty() ? "" : "(" + Join(c.columns, ", ") + ")") +
                     (c.severity == gate::Severity::kWarn ? " [warn]" : ""));
  }
  std::vector<std::string> gates;
  for (const gate::MetricGate& g : spec.gates) gates.push_back(g.text);
  const std::string split = spec.test_size > 0
                                ? std::to_string(static_cast<int>(spec.test_size * 100 + 0.5)) +
                                      "% holdout (" + spec.split.ToString() + " split, seed " +
                                      std::to_string(spec.seed) + ")"
                                : "no holdout";
  std::string evaluate = split;
  if (spec.evaluate.cv > 0) evaluate += "; " + std::to_string(spec.evaluate.cv) + "-fold cv";
  if (!spec.evaluate.slices.empty()) evaluate += "; slices by " + Join(spec.evaluate.slices, ", ");
  evaluate += "; latency on " + std::to_string(spec.evaluate.latency_rows) + " rows";
  const std::string champion_text =
      champion ? champion->label + " (" + spec.promote.alias + ")" : "no champion yet";

  plan.lines = {
      "plan for model '" + spec.model + "' (" + spec.file.string() + ")",
      "  1 snapshot  " + snapshot.description + ": " + std::to_string(snapshot.table.num_rows()) +
          " rows, sha256 " + snapshot.digest.substr(0, 12) +
          (spec.data.snapshot ? ", kept in the artifact store" : "") + PiiText(spec.pii),
      "  2 checks    " + (checks.empty() ? std::string("none") : Join(checks, "; ")),
      "  3 train     " + TrainLine(spec) + " on target '" + spec.target + "'",
      "  4 evaluate  " + evaluate,
      "  5 gate      " + (gates.empty() ? std::string("none") : Join(gates, "; ")) + " — " +
          champion_text,
      "  6 register  a blessed candidate becomes the next version of " + spec.model,
      spec.promote.enabled ? "  7 promote   " + spec.promote.alias + " moves to it" +
                                 (champion ? " (only if it still points at " +
                                                 std::to_string(champion->version.version) + ")"
                                           : "")
                           : "  7 promote   off",
      "  cache       " + cache,
  };
  plan.json = {{"model", spec.model},
               {"spec", spec.ToJson()},
               {"data",
                {{"source", snapshot.description},
                 {"sha256", snapshot.digest},
                 {"rows", snapshot.table.num_rows()}}},
               {"champion", champion ? nlohmann::json(champion->label) : nlohmann::json()},
               {"cache", cache}};
  return plan;
}

}  // namespace hone::pipeline
