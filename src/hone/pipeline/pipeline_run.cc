#include "hone/pipeline/pipeline_run.h"

#include <cstdio>
#include <utility>

#include "hone/core/digest.h"
#include "hone/learn/evaluate.h"
#include "hone/learn/search.h"
#include "hone/pipeline/command_trainer.h"
#include "hone/pipeline/evaluate_stage.h"

namespace hone::pipeline {
namespace {

std::string Short(std::string_view digest) { return std::string(digest.substr(0, 12)); }

learn::MetricList CvMeans(const nlohmann::json& bundle_metrics) {
  learn::MetricList out;
  if (!bundle_metrics.contains("cv")) return out;
  for (const auto& [name, value] : bundle_metrics["cv"]["mean"].items()) {
    if (value.is_number()) out.push_back({name, value.get<double>()});
  }
  return out;
}

/// A fresh folder for a command stage's files.
Result<std::filesystem::path> ScratchFolder(std::string_view run_id) {
  std::error_code ec;
  std::filesystem::path dir =
      std::filesystem::temp_directory_path(ec) / ("hone-run-" + std::string(run_id));
  if (ec) return Fail(ErrorCode::kIo, "no temporary folder: " + ec.message());
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir, ec);
  if (ec) return Fail(ErrorCode::kIo, "cannot create " + dir.string() + ": " + ec.message());
  return dir;
}

}  // namespace

core::CsvReadOptions CsvOptionsOf(const Spec& spec) {
  core::CsvReadOptions csv;
  csv.threads = spec.train.threads;
  // A regression target must be numbers: the reader then names the first cell that is not.
  if (spec.task == learn::TaskRequest::kRegression) {
    csv.column_types[spec.target] = core::ColumnType::kNumeric;
  }
  // A pii column is read as text: an identifier such as 12345678901 is hashed as written, not
  // as the float it would round to.
  for (const core::PiiColumn& c : spec.pii.columns) {
    csv.column_types[c.name] = core::ColumnType::kCategorical;
  }
  return csv;
}

learn::TrainRequest TrainRequestOf(const Spec& spec, const Snapshot& snapshot) {
  learn::TrainRequest r;
  r.target = spec.target;
  r.task = spec.task;
  const bool command = !spec.train.command.empty();
  // A command stage's model is imported as gbdt; hone does not know the program's parameters.
  r.model = command ? "gbdt" : spec.train.model;
  if (!command) r.params = spec.train.params;
  r.test_size = spec.test_size;
  r.split = spec.split;
  r.cv_folds = command ? 0 : spec.evaluate.cv;
  r.seed = spec.seed;
  r.threads = spec.train.threads;
  // A column the pii policy dropped is gone already; ignoring it too is not a mistake.
  for (const std::string& name : spec.ignore) {
    const core::PiiColumn* pii = spec.pii.Find(name);
    if (pii == nullptr || pii->mode != core::PiiMode::kDrop) r.ignore.push_back(name);
  }
  r.data_source = snapshot.description;
  r.data_sha256 = snapshot.digest;
  r.pii = snapshot.pii;
  return r;
}

Result<void> CheckSpecFits(const Spec& spec) {
  const bool command = !spec.train.command.empty();
  if (command && spec.search) {
    return Fail(ErrorCode::kInvalidArgument,
                spec.file.string() +
                    ": search runs hone's own trainers; it cannot be combined "
                    "with train.command");
  }
  if (command && spec.evaluate.cv > 0) {
    return Fail(ErrorCode::kInvalidArgument,
                spec.file.string() +
                    ": evaluate.cv retrains hone's own trainers; it cannot be "
                    "combined with train.command");
  }
  for (const gate::MetricGate& g : spec.gates) {
    if (g.kind != gate::MetricGate::Kind::kAbsolute && spec.test_size <= 0) {
      return Fail(ErrorCode::kInvalidArgument,
                  spec.file.string() + ": gate '" + g.text +
                      "' compares with the champion on the holdout, but test_size is 0");
    }
  }
  return {};
}

Result<std::optional<Champion>> LoadChampion(const Spec& spec, store::MetaStore& meta,
                                             registry::Registry& registry) {
  auto version = meta.ResolveAlias(spec.model, spec.promote.alias);
  if (!version) {
    if (version.error().code() == ErrorCode::kNotFound) return std::optional<Champion>();
    return Fail(version.error());
  }
  Champion c;
  c.label = spec.model + "/" + std::to_string(*version);
  HONE_ASSIGN_OR_RETURN(c.version, meta.GetVersion(spec.model, *version));
  HONE_ASSIGN_OR_RETURN(registry::ResolvedModel resolved, registry.Resolve(c.label));
  HONE_ASSIGN_OR_RETURN(c.loaded, learn::LoadBundleBytes(resolved.bundle.view(), c.label));
  if (!c.loaded.bundle.profile.empty()) {
    auto profile = core::DataProfile::FromJson(c.loaded.bundle.profile);
    if (profile) c.profile = std::move(*profile);
  }
  return std::optional<Champion>(std::move(c));
}

PipelineRun::PipelineRun(const Spec& spec, store::Store& store, const RunOptions& options)
    : spec_(spec),
      store_(store),
      options_(options),
      registry_(*store.meta, store.artifacts, options.actor),
      started_(std::chrono::steady_clock::now()) {}

double PipelineRun::SecondsSince(std::chrono::steady_clock::time_point start) const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void PipelineRun::Stage(std::string name, std::string status, double seconds, std::string note) {
  if (options_.progress) {
    char line[64];
    std::snprintf(line, sizeof(line), "%-9s %-7s %7.2f s  ", name.c_str(), status.c_str(), seconds);
    options_.progress(line + note);
  }
  result_.stages.push_back({std::move(name), std::move(status), seconds, std::move(note)});
}

Result<PipelineResult> PipelineRun::Execute() {
  HONE_TRY(CheckSpecFits(spec_));
  HONE_TRY(store::CheckName("model", spec_.model));
  result_.alias = spec_.promote.alias;
  result_.report.model = spec_.model;
  HONE_TRY(TakeSnapshotStage());
  HONE_ASSIGN_OR_RETURN(champion_, LoadChampion(spec_, *store_.meta, registry_));
  if (champion_) {
    result_.champion = champion_->version.version;
    result_.report.champion = champion_->label;
  }
  code_ = registry::CurrentCodeState(spec_.dir);
  keys_ = ComputeStageKeys(spec_, snapshot_.digest, code_);
  HONE_ASSIGN_OR_RETURN(bool unchanged, CheckUnchanged());
  if (unchanged) {
    result_.report.seconds = SecondsSince(started_);
    return std::move(result_);
  }
  HONE_TRY(StartRun());
  // Ctrl-C ends a command stage at once; between stages it stops the run before the next one.
  auto interrupted = [&]() -> Result<void> {
    if (options_.cancel && options_.cancel->load()) {
      return Fail(ErrorCode::kInternal,
                  "interrupted; run " + result_.run_id.substr(0, 10) + " is recorded as killed");
    }
    return {};
  };
  auto body = [&]() -> Result<void> {
    HONE_ASSIGN_OR_RETURN(bool data_ok, DataChecksStage());
    if (data_ok) {
      HONE_TRY(interrupted());
      HONE_TRY(TrainStage());
      HONE_TRY(interrupted());
      HONE_TRY(EvaluateStage());
      HONE_TRY(GateStage());
    }
    HONE_TRY(interrupted());
    return ReleaseStage();
  }();
  if (!body) {
    const bool cancelled = options_.cancel && options_.cancel->load();
    (void)store_.meta->EndRun(result_.run_id,
                              cancelled ? store::RunStatus::kKilled : store::RunStatus::kFailed,
                              store::NowMs());
    return Fail(body.error());
  }
  HONE_TRY(Finish());
  return std::move(result_);
}

Result<void> PipelineRun::TakeSnapshotStage() {
  auto start = std::chrono::steady_clock::now();
  HONE_ASSIGN_OR_RETURN(snapshot_, TakeSpecSnapshot(spec_));
  result_.report.data_source = snapshot_.description;
  result_.report.data_digest = snapshot_.digest;
  result_.report.rows = snapshot_.table.num_rows();
  result_.details["data"] = {{"source", snapshot_.description},
                             {"sha256", snapshot_.digest},
                             {"rows", snapshot_.table.num_rows()},
                             {"columns", snapshot_.table.num_columns()},
                             {"bytes", snapshot_.bytes.size()}};
  Stage("snapshot", "ran", SecondsSince(start),
        snapshot_.description + ": " + std::to_string(snapshot_.table.num_rows()) +
            " rows, sha256 " + Short(snapshot_.digest));
  return {};
}

Result<bool> PipelineRun::CheckUnchanged() {
  if (options_.force) return false;
  std::optional<store::ModelVersion> champion;
  if (champion_) champion = champion_->version;
  HONE_ASSIGN_OR_RETURN(std::optional<store::Run> earlier,
                        FindUnchanged(*store_.meta, keys_, champion));
  if (!earlier) return false;
  result_.outcome = Outcome::kUnchanged;
  result_.run_id = earlier->id;
  auto outcome = earlier->tags.find(kOutcomeTag);
  const std::string recorded = outcome == earlier->tags.end() ? "promoted" : outcome->second;
  result_.recorded = recorded == "rejected"     ? Outcome::kRejected
                     : recorded == "registered" ? Outcome::kRegistered
                                                : Outcome::kPromoted;
  result_.report.outcome = "unchanged";
  // The earlier verdict stands, so CI shows the same checks and gates again.
  for (const store::RunArtifact& a : earlier->artifacts) {
    if (a.name != "verdict.json") continue;
    auto bytes = store_.artifacts.Get(a.digest);
    if (!bytes) break;
    auto verdict = gate::Verdict::FromJson(
        nlohmann::json::parse(bytes->view(), nullptr, /*allow_exceptions=*/false));
    if (verdict) result_.report.verdict = std::move(*verdict);
  }
  Stage("unchanged", "cached", 0,
        "data, spec and code are those of run " + earlier->id.substr(0, 10) + " (" + recorded +
            "); nothing to do");
  return true;
}

Result<void> PipelineRun::StartRun() {
  store::RunStart start;
  start.command = options_.command_line;
  start.start_ms = store::NowMs();
  start.host = registry::HostName();
  start.user = options_.actor.name;
  if (code_) {
    start.code_commit = code_->commit;
    start.code_dirty = code_->dirty;
  }
  config_digest_ = core::Sha256Hex(spec_.ToJson().dump());
  start.config_digest = config_digest_;
  start.data_digest = snapshot_.digest;
  HONE_ASSIGN_OR_RETURN(result_.run_id, store_.meta->CreateRun(start));
  HONE_TRY(store_.meta->SetTags(result_.run_id, {{kPipelineTag, spec_.model},
                                                 {kInputKeyTag, keys_.input},
                                                 {kTrainKeyTag, keys_.train},
                                                 {kChampionTag, ChampionLabel(result_.champion)},
                                                 {"data", snapshot_.description},
                                                 {"registered_model", spec_.model}}));
  if (!snapshot_.pii.empty()) {
    // The Slurm jobs, which read the snapshot back, record the same policy in their bundles.
    HONE_TRY(store_.meta->SetTags(result_.run_id, {{kPiiTag, snapshot_.pii.dump()}}));
  }
  if (spec_.data.snapshot) {
    HONE_ASSIGN_OR_RETURN(std::string digest, registry_.PutArtifact(snapshot_.bytes));
    HONE_TRY(store_.meta->LogArtifact(
        result_.run_id, {"data.csv", digest, static_cast<int64_t>(snapshot_.bytes.size())}));
  }
  return {};
}

Result<bool> PipelineRun::DataChecksStage() {
  auto start = std::chrono::steady_clock::now();
  const core::DataProfile* reference =
      champion_ && champion_->profile ? &*champion_->profile : nullptr;
  // Schema and drift compare with the reference profile, which covers what the model reads:
  // columns the spec leaves out (identifiers, the time column) are not compared.
  core::Table compared = snapshot_.table;
  for (const std::string& name : spec_.ignore) compared = compared.Drop(name);
  if (spec_.split.kind == learn::SplitSpec::Kind::kTime) {
    compared = compared.Drop(spec_.split.time_column);
  }
  std::vector<gate::CheckResult> results;
  for (const gate::DataCheck& check : spec_.checks) {
    const bool profiled =
        check.kind == gate::DataCheck::Kind::kSchema || check.kind == gate::DataCheck::Kind::kDrift;
    for (gate::CheckResult& r : gate::RunDataChecks(profiled ? compared : snapshot_.table,
                                                    std::span(&check, 1), reference)) {
      results.push_back(std::move(r));
    }
  }
  size_t failed = 0, warned = 0;
  for (const gate::CheckResult& r : results) {
    if (r.passed) continue;
    (r.severity == gate::Severity::kError ? failed : warned) += 1;
  }
  checks_ = std::move(results);
  std::string note = std::to_string(checks_.size() - failed - warned) + " passed";
  if (warned > 0) note += ", " + std::to_string(warned) + " warning(s)";
  if (failed > 0) note += ", " + std::to_string(failed) + " failed: training skipped";
  Stage("checks", spec_.checks.empty() ? "skipped" : "ran", SecondsSince(start), note);
  return failed == 0;
}

Result<void> PipelineRun::TrainStage() {
  auto start = std::chrono::steady_clock::now();
  request_ = TrainRequestOf(spec_, snapshot_);
  HONE_ASSIGN_OR_RETURN(learn::PreparedData data,
                        learn::PrepareTraining(snapshot_.table, request_));
  std::optional<TrainedModel> trained;
  if (!options_.force) {
    HONE_ASSIGN_OR_RETURN(trained, FindTrainedModel(*store_.meta, keys_.train));
  }
  if (trained) {
    HONE_TRY(ReuseModel(data, *trained));
    Stage("train", "cached", SecondsSince(start),
          "the model of run " + trained->run.id.substr(0, 10) + " (same data, spec and code)");
  } else {
    HONE_TRY(TrainModel(data));
    Stage("train", "ran", SecondsSince(start),
          candidate_.bundle.model_kind + " on " + std::to_string(data.split.train.size()) +
              " rows" + (spec_.train.command.empty() ? "" : " by '" + spec_.train.command + "'"));
  }
  candidate_.digest = core::Sha256Hex(candidate_.bytes);
  HONE_ASSIGN_OR_RETURN(std::string digest, registry_.PutArtifact(candidate_.bytes));
  return store_.meta->LogArtifact(
      result_.run_id, {"model.hone", digest, static_cast<int64_t>(candidate_.bytes.size())});
}

Result<void> PipelineRun::TrainModel(const learn::PreparedData& data) {
  learn::TrainOutcome outcome;
  if (!spec_.train.command.empty()) {
    HONE_ASSIGN_OR_RETURN(std::filesystem::path scratch, ScratchFolder(result_.run_id));
    CommandTraining command{
        spec_.train.command, spec_.train.params, spec_.train.timeout_seconds, spec_.dir, scratch,
        snapshot_.bytes,     options_.cancel};
    auto trained = TrainWithCommand(snapshot_.table, request_, data, command);
    // The log is kept with the run whatever happened: it is what explains a failure.
    if (auto log = core::ReadFile(scratch / "train.log")) {
      if (auto digest = registry_.PutArtifact(*log)) {
        (void)store_.meta->LogArtifact(result_.run_id,
                                       {"train.log", *digest, static_cast<int64_t>(log->size())});
      }
    }
    std::error_code ec;
    std::filesystem::remove_all(scratch, ec);
    if (!trained) return Fail(trained.error());
    outcome = std::move(trained->outcome);
    if (!trained->metrics.empty()) result_.details["command_metrics"] = trained->metrics;
  } else {
    learn::TrainRequest request = request_;
    learn::ParamAssignments best;
    if (spec_.search) {
      HONE_ASSIGN_OR_RETURN(best, SearchStage(data));
      for (const auto& assignment : best) request.params.push_back(assignment);
    }
    if (spec_.executor == "slurm") return TrainOnSlurm(data, best);
    HONE_ASSIGN_OR_RETURN(outcome, learn::TrainOnTable(snapshot_.table, request));
  }
  candidate_.bytes = learn::EncodeBundle(outcome.bundle);
  candidate_.bundle = std::move(outcome.bundle);
  candidate_.model = std::move(outcome.model);
  candidate_.test_rows = std::move(outcome.test_rows);
  candidate_.test_y = std::move(outcome.test_y);
  candidate_.test_outputs = std::move(outcome.test_outputs);
  candidate_.metrics = std::move(outcome.metrics);
  candidate_.evaluated_on = outcome.evaluated_on;
  if (outcome.cv) {
    for (const auto& [name, ms] : outcome.cv->summary)
      candidate_.cv_mean.push_back({name, ms.first});
  }
  candidate_.train_seconds = outcome.train_seconds;
  return {};
}

exec::TrialRunInfo PipelineRun::TrialInfo(const std::string& command) const {
  return {result_.run_id, spec_.model, snapshot_.digest, command, options_.actor.name};
}

void PipelineRun::RecordTrial(const learn::TrialResult& t) {
  // Every trial is a child run; a failure to record one does not stop the search.
  (void)exec::RecordTrialRun(
      *store_.meta,
      TrialInfo(options_.command_line + " (search trial " + std::to_string(t.index) + ")"), t,
      /*metric=*/"", /*higher_is_better=*/false);
}

Result<learn::ParamAssignments> PipelineRun::SearchStage(const learn::PreparedData& data) {
  nlohmann::json trials = nlohmann::json::array();
  auto describe = [&](const learn::TrialResult& t) {
    nlohmann::json trial = {{"index", t.index}, {"score", t.score}, {"seconds", t.seconds}};
    trial["params"] = nlohmann::json::object();
    for (const auto& [k, v] : t.params) trial["params"][k] = v;
    if (t.error) trial["error"] = *t.error;
    trials.push_back(std::move(trial));
  };
  learn::SearchOutcome found;
  if (spec_.executor == "slurm") {
    HONE_ASSIGN_OR_RETURN(exec::SlurmContext jobs, SlurmJobs("hone exec-trial (search trial of " +
                                                             options_.command_line + ")"));
    HONE_ASSIGN_OR_RETURN(found, exec::RunSearchOnSlurm(jobs));
    for (const learn::TrialResult& t : found.trials) describe(t);
  } else {
    // Trials are judged by cross-validation on the training rows only: the holdout stays
    // unseen until the chosen model is evaluated.
    const core::Table train_rows = snapshot_.table.Take(data.TableRows(data.split.train));
    auto on_trial = [&](const learn::TrialResult& t) {
      describe(t);
      RecordTrial(t);
    };
    HONE_ASSIGN_OR_RETURN(found, learn::RunSearch(train_rows, request_, *spec_.search, on_trial));
  }
  result_.details["search"] = {{"metric", found.metric},
                               {"best", found.best},
                               {"executor", spec_.executor},
                               {"trials", std::move(trials)}};
  return found.trials[found.best].params;
}

Result<exec::SlurmContext> PipelineRun::SlurmJobs(const std::string& command) {
  exec::SlurmContext jobs;
  jobs.spec = &spec_;
  jobs.store = &store_;
  jobs.run = TrialInfo(command);
  // The jobs read the data from the artifact store, by digest: what this run read, even if
  // the source has changed since.
  HONE_ASSIGN_OR_RETURN(jobs.run.data_digest, registry_.PutArtifact(snapshot_.bytes));
  std::error_code ec;
  jobs.hone_binary = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) {
    return Fail(ErrorCode::kIo, "cannot find this hone binary for the Slurm jobs: " + ec.message());
  }
  jobs.cancel = options_.cancel;
  return jobs;
}

Result<void> PipelineRun::TrainOnSlurm(const learn::PreparedData& data,
                                       const learn::ParamAssignments& best) {
  HONE_ASSIGN_OR_RETURN(exec::SlurmContext jobs,
                        SlurmJobs("hone exec-train (" + options_.command_line + ")"));
  HONE_ASSIGN_OR_RETURN(std::string digest, exec::RunTrainOnSlurm(jobs, best));
  return UseBundle(data, digest, "the Slurm train job of run " + result_.run_id);
}

Result<void> PipelineRun::ReuseModel(const learn::PreparedData& data, const TrainedModel& trained) {
  return UseBundle(data, trained.bundle.digest, "run " + trained.run.id);
}

Result<void> PipelineRun::UseBundle(const learn::PreparedData& data, const std::string& digest,
                                    const std::string& source) {
  HONE_ASSIGN_OR_RETURN(core::FileBytes bytes, store_.artifacts.Get(digest));
  HONE_ASSIGN_OR_RETURN(learn::LoadedModel loaded, learn::LoadBundleBytes(bytes.view(), source));
  candidate_.bytes = std::string(bytes.view());
  candidate_.bundle = std::move(loaded.bundle);
  candidate_.model = std::move(loaded.model);
  candidate_.cv_mean = CvMeans(candidate_.bundle.metrics);
  const core::Table& table = snapshot_.table;
  if (!data.split.test.empty()) {
    candidate_.test_rows = data.TableRows(data.split.test);
    candidate_.test_y.reserve(data.split.test.size());
    for (uint32_t row : data.split.test) candidate_.test_y.push_back(data.y[row]);
    HONE_ASSIGN_OR_RETURN(candidate_.test_outputs,
                          learn::PredictTable(*candidate_.model, candidate_.bundle.features,
                                              table.Take(candidate_.test_rows), request_.threads));
    candidate_.metrics = learn::ScorePredictions(candidate_.bundle.target, candidate_.test_y,
                                                 candidate_.test_outputs);
    candidate_.evaluated_on = "test";
  } else if (!candidate_.cv_mean.empty()) {
    candidate_.metrics = candidate_.cv_mean;
    candidate_.evaluated_on = "cv";
  } else {
    const nlohmann::json& on_train = candidate_.bundle.metrics["train"];
    for (const auto& [name, value] : on_train.items()) {
      if (value.is_number()) candidate_.metrics.push_back({name, value.get<double>()});
    }
    candidate_.evaluated_on = "train";
  }
  return {};
}

}  // namespace hone::pipeline
