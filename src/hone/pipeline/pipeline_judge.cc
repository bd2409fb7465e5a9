// The second half of a pipeline run: evaluate the candidate, judge it against the gates and
// the champion, register and promote it, and record the verdict.
#include <cmath>
#include <cstdio>
#include <utility>

#include "hone/learn/evaluate.h"
#include "hone/pipeline/evaluate_stage.h"
#include "hone/pipeline/pipeline_run.h"

namespace hone::pipeline {
namespace {

std::string Number(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.4g", value);
  return text;
}

const double* Find(const learn::MetricList& list, std::string_view name) {
  for (const auto& [key, value] : list) {
    if (key == name) return &value;
  }
  return nullptr;
}

}  // namespace

std::map<std::string, std::string> PipelineRun::TrainedParams() const {
  // A command stage's parameters are its program's; hone's own trainers record every resolved
  // value.
  if (!spec_.train.command.empty()) {
    std::map<std::string, std::string> params(spec_.train.params.begin(), spec_.train.params.end());
    params["command"] = spec_.train.command;
    return params;
  }
  std::map<std::string, std::string> params = learn::ParamTexts(candidate_.bundle.params);
  params["model"] = candidate_.bundle.model_kind;
  return params;
}

Result<void> PipelineRun::EvaluateStage() {
  auto start = std::chrono::steady_clock::now();
  const core::Table& table = snapshot_.table;
  figures_ = candidate_.metrics;
  for (const auto& [name, value] : candidate_.cv_mean) figures_.push_back({"cv_" + name, value});

  // Latency on the holdout rows, else on the first rows of the data.
  core::Table timed_rows;
  if (!candidate_.test_rows.empty()) {
    timed_rows = table.Take(candidate_.test_rows);
  } else {
    timed_rows = table;
  }
  HONE_ASSIGN_OR_RETURN(Latency latency,
                        MeasureLatency(*candidate_.model, candidate_.bundle.features, timed_rows,
                                       spec_.evaluate.latency_rows));
  if (latency.rows > 0) {
    figures_.push_back({"p50_latency_us", latency.p50_us});
    figures_.push_back({"p99_latency_us", latency.p99_us});
  }
  figures_.push_back({"model_bytes", static_cast<double>(candidate_.bytes.size())});
  figures_.push_back({"train_seconds", candidate_.train_seconds});

  nlohmann::json metrics = nlohmann::json::object();
  for (const auto& [name, value] : figures_) metrics[name] = value;
  result_.details["evaluated_on"] = candidate_.evaluated_on;
  result_.details["metrics"] = metrics;
  result_.details["latency"] = {
      {"rows", latency.rows}, {"p50_us", latency.p50_us}, {"p99_us", latency.p99_us}};
  if (!spec_.evaluate.slices.empty() && !candidate_.test_rows.empty()) {
    HONE_ASSIGN_OR_RETURN(std::vector<SliceMetrics> slices,
                          SliceMetricsOf(candidate_.bundle.target, timed_rows, candidate_.test_y,
                                         candidate_.test_outputs, spec_.evaluate.slices));
    result_.details["slices"] = SlicesJson(slices);
  }

  std::vector<store::Metric> logged;
  const store::TimeMs now = store::NowMs();
  for (const auto& [name, value] : figures_) {
    if (std::isfinite(value)) logged.push_back({name, value, 0, now});
  }
  HONE_TRY(store_.meta->LogMetrics(result_.run_id, logged));
  std::map<std::string, std::string> params = TrainedParams();
  params["target"] = candidate_.bundle.target.name;
  params["seed"] = std::to_string(spec_.seed);
  HONE_TRY(store_.meta->LogParams(result_.run_id, params));

  std::string note = "on " + std::to_string(candidate_.test_rows.size()) + " " +
                     candidate_.evaluated_on + " rows:";
  size_t shown = 0;
  for (const auto& [name, value] : candidate_.metrics) {
    if (shown++ == 3) break;
    note += " " + name + " " + Number(value);
  }
  if (latency.rows > 0) note += ", p99 " + Number(latency.p99_us) + " us";
  Stage("evaluate", "ran", SecondsSince(start), note);
  return {};
}

Result<void> PipelineRun::GateStage() {
  auto start = std::chrono::steady_clock::now();
  gate::GateInput input;
  input.candidate = figures_;
  std::vector<float> champion_outputs;
  std::string cannot_compare;
  if (champion_) {
    input.champion_label = champion_->label;
    const learn::Bundle& theirs = champion_->loaded.bundle;
    if (!(theirs.target == candidate_.bundle.target)) {
      cannot_compare = "the champion predicts a different target or classes";
    } else if (!candidate_.test_rows.empty()) {
      auto outputs =
          learn::PredictTable(*champion_->loaded.model, theirs.features,
                              snapshot_.table.Take(candidate_.test_rows), request_.threads);
      if (outputs) {
        champion_outputs = std::move(*outputs);
        input.pairs.emplace(gate::PairedPredictions{candidate_.bundle.target, candidate_.test_y,
                                                    candidate_.test_outputs, champion_outputs});
        champion_metrics_ =
            learn::ScorePredictions(candidate_.bundle.target, candidate_.test_y, champion_outputs);
      } else {
        cannot_compare = "the champion cannot score the holdout: " + outputs.error().message();
      }
    }
  }
  std::vector<gate::CheckResult> gates =
      gate::RunModelGates(spec_.gates, input, spec_.bootstrap, &comparisons_);
  if (!cannot_compare.empty()) {
    for (size_t i = 0; i < gates.size() && i < spec_.gates.size(); ++i) {
      if (spec_.gates[i].kind == gate::MetricGate::Kind::kAbsolute) continue;
      gates[i].passed = false;
      gates[i].reason = "cannot compare with " + champion_->label + ": " + cannot_compare;
    }
  }
  size_t failed = 0;
  for (const gate::CheckResult& g : gates)
    failed += !g.passed && g.severity == gate::Severity::kError;
  for (gate::CheckResult& g : gates) checks_.push_back(std::move(g));
  std::string note = std::to_string(spec_.gates.size() - failed) + " of " +
                     std::to_string(spec_.gates.size()) + " gates passed";
  note += champion_ ? ", against " + champion_->label : ", no champion yet";
  Stage("gate", spec_.gates.empty() ? "skipped" : "ran", SecondsSince(start), note);
  return {};
}

Result<void> PipelineRun::ReleaseStage() {
  gate::Verdict verdict = gate::Decide(std::move(checks_));
  // The verdict is kept with the run whatever it says.
  const std::string verdict_json = verdict.ToJson().dump(2);
  HONE_ASSIGN_OR_RETURN(std::string verdict_digest, registry_.PutArtifact(verdict_json));
  HONE_TRY(store_.meta->LogArtifact(
      result_.run_id, {"verdict.json", verdict_digest, static_cast<int64_t>(verdict_json.size())}));
  result_.report.verdict = std::move(verdict);
  if (!result_.report.verdict.blessed) {
    result_.outcome = Outcome::kRejected;
    std::string reasons;
    for (const gate::CheckResult* f : result_.report.verdict.Failures()) {
      reasons += (reasons.empty() ? "" : "; ") + f->name + ": " + f->reason;
    }
    Stage("register", "skipped", 0, "rejected: " + reasons);
    return {};
  }
  auto start = std::chrono::steady_clock::now();
  store::NewVersion v;
  v.model = spec_.model;
  v.run_id = result_.run_id;
  v.data_digest = snapshot_.digest;
  if (code_) {
    v.code_commit = code_->commit;
    v.code_dirty = code_->dirty;
  }
  v.config_digest = config_digest_;
  v.params = TrainedParams();
  for (const auto& [name, value] : figures_) {
    if (std::isfinite(value)) v.metrics[name] = value;
  }
  if (champion_) v.parent = champion_->version.version;
  v.description = "hone run of " + spec_.file.filename().string() +
                  (champion_ ? ", blessed against " + champion_->label : ", first version");
  HONE_ASSIGN_OR_RETURN(store::ModelVersion version,
                        registry_.Register(std::move(v), candidate_.bytes));
  result_.version = version.version;
  result_.report.candidate = spec_.model + "/" + std::to_string(version.version);
  Stage("register", "ran", SecondsSince(start), result_.report.candidate);
  if (!spec_.promote.enabled) {
    result_.outcome = Outcome::kRegistered;
    return {};
  }
  start = std::chrono::steady_clock::now();
  // Compare-and-swap against the champion the gate judged: if someone moved the alias since,
  // this promotion is refused rather than overwrite their decision.
  std::optional<std::optional<int64_t>> expect = std::optional<int64_t>(result_.champion);
  auto moved = registry_.Promote(spec_.model, version.version, spec_.promote.alias, expect);
  if (!moved) {
    result_.outcome = Outcome::kRegistered;
    (void)store_.meta->SetTags(result_.run_id, {{kOutcomeTag, "registered"}});
    return Fail(moved.error().WithContext(
        result_.report.candidate + " is registered but not promoted to " + spec_.promote.alias));
  }
  result_.outcome = Outcome::kPromoted;
  Stage("promote", "ran", SecondsSince(start),
        spec_.promote.alias + ": " +
            (champion_ ? std::to_string(champion_->version.version) : std::string("none")) +
            " -> " + std::to_string(version.version));
  return {};
}

Result<void> PipelineRun::Finish() {
  result_.report.outcome = OutcomeName(result_.outcome);
  if (result_.report.candidate.empty()) result_.report.candidate = "candidate";
  for (const auto& [name, value] : figures_) {
    gate::MetricRow row{name, value, std::nullopt, std::nullopt};
    if (const double* theirs = Find(champion_metrics_, name)) row.champion = *theirs;
    for (const gate::Comparison& c : comparisons_) {
      if (c.metric == name) row.comparison = c;
    }
    result_.report.metrics.push_back(std::move(row));
  }
  result_.report.seconds = SecondsSince(started_);
  HONE_TRY(store_.meta->SetTags(result_.run_id, {{kOutcomeTag, OutcomeName(result_.outcome)}}));
  return store_.meta->EndRun(result_.run_id, store::RunStatus::kFinished, store::NowMs());
}

}  // namespace hone::pipeline
