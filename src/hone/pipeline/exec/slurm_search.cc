#include "hone/pipeline/exec/slurm_search.h"

#include <charconv>
#include <map>
#include <system_error>

#include "hone/core/csv.h"
#include "hone/learn/bundle.h"
#include "hone/pipeline/exec/slurm.h"
#include "hone/pipeline/pipeline_run.h"
#include "hone/pipeline/stage_keys.h"
#include "hone/registry/registry.h"

namespace hone::pipeline::exec {
namespace {

namespace fs = std::filesystem;

constexpr char kTrialTag[] = "trial";
constexpr char kTrialErrorTag[] = "hone.trial_error";
constexpr char kSearchMetricTag[] = "hone.search_metric";
constexpr char kHigherIsBetterTag[] = "hone.higher_is_better";
constexpr char kSecondsMetric[] = "trial_seconds";

// `text` as one word for /bin/sh.
std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// The run's data snapshot, read back from the artifact folder by its digest and parsed as the
// pipeline parses its source.
Result<Snapshot> LoadSnapshot(const Spec& spec, store::Store& store, const TrialRunInfo& info) {
  HONE_ASSIGN_OR_RETURN(store::Run parent, store.meta->GetRun(info.parent_run));
  HONE_ASSIGN_OR_RETURN(core::FileBytes bytes, store.artifacts.Get(info.data_digest));
  Snapshot snapshot;
  snapshot.bytes = std::string(bytes.view());
  snapshot.digest = info.data_digest;
  if (auto d = parent.tags.find("data"); d != parent.tags.end()) snapshot.description = d->second;
  if (auto p = parent.tags.find(kPiiTag); p != parent.tags.end()) {
    snapshot.pii = nlohmann::json::parse(p->second, nullptr, /*allow_exceptions=*/false);
    if (!snapshot.pii.is_object()) {
      return Fail(ErrorCode::kCorrupt,
                  "run " + info.parent_run + " has a malformed " + std::string(kPiiTag) + " tag");
    }
  }
  HONE_ASSIGN_OR_RETURN(
      snapshot.table,
      core::ParseCsv(snapshot.bytes, "data snapshot " + info.data_digest.substr(0, 12),
                     CsvOptionsOf(spec)));
  return snapshot;
}

// A job of this hone binary on this store: its log folder (ARTIFACTS/slurm/RUN), working
// directory and environment; `arguments` follow the binary on its command line.
Result<SlurmJob> HoneJob(const Spec& spec, store::Store& store, const std::string& run_id,
                         const fs::path& hone_binary, const std::string& arguments,
                         const SlurmStageSpec& resources) {
  if (store.location.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "the Slurm executor needs a store other processes can open (--store)");
  }
  std::error_code ec;
  const fs::path artifacts = fs::absolute(store.artifacts.root(), ec);
  const fs::path logs = artifacts / "slurm" / run_id;
  fs::create_directories(logs, ec);
  if (ec) {
    return Fail(ErrorCode::kIo,
                "cannot make the jobs' log folder '" + logs.string() + "': " + ec.message());
  }
  const fs::path spec_file = fs::absolute(spec.file, ec);
  SlurmJob job;
  job.log = logs;
  job.workdir = spec_file.parent_path();
  job.resources = {resources.partition,
                   resources.time_minutes > 0 ? std::to_string(resources.time_minutes) : "",
                   resources.cpus, resources.memory};
  job.command = ShellQuote(hone_binary.string()) + " " + arguments + " --file " +
                ShellQuote(spec_file.string()) + " --run " + run_id;
  // The store's URL may hold a password: it goes through the environment, not the command.
  job.env = {{"HONE_STORE", store.location}, {"HONE_ARTIFACTS", artifacts.string()}};
  return job;
}

// Submits `job`, waits for every task to end, and fails unless every one completed.
Result<void> SubmitAndWait(const SlurmJob& job, CommandRunner* runner,
                           const std::atomic<bool>* cancel, int64_t poll_ms) {
  std::unique_ptr<CommandRunner> own;
  if (runner == nullptr) {
    own = SystemCommandRunner();
    runner = own.get();
  }
  Slurm slurm(*runner);
  HONE_ASSIGN_OR_RETURN(std::string id, slurm.Submit(job));
  HONE_ASSIGN_OR_RETURN(std::vector<SlurmTask> tasks,
                        slurm.Wait(id, job.array_size, cancel, std::chrono::milliseconds(poll_ms)));
  return RequireCompleted(id, job, tasks);
}

}  // namespace

Result<std::string> RecordTrialRun(store::MetaStore& meta, const TrialRunInfo& info,
                                   const learn::TrialResult& trial, const std::string& metric,
                                   bool higher_is_better) {
  store::RunStart start;
  start.command = info.command;
  start.start_ms = store::NowMs();
  start.host = registry::HostName();
  start.user = info.user;
  start.data_digest = info.data_digest;
  HONE_ASSIGN_OR_RETURN(std::string id, meta.CreateRun(start));
  HONE_TRY(meta.LogParams(id, {trial.params.begin(), trial.params.end()}));
  std::map<std::string, std::string> tags = {{kParentRunTag, info.parent_run},
                                             {kPipelineTag, info.model},
                                             {kTrialTag, std::to_string(trial.index)}};
  if (!metric.empty()) {
    tags[kSearchMetricTag] = metric;
    tags[kHigherIsBetterTag] = higher_is_better ? "true" : "false";
  }
  if (trial.error) tags[kTrialErrorTag] = trial.error->substr(0, 1000);
  HONE_TRY(meta.SetTags(id, tags));
  std::vector<store::Metric> metrics;
  for (const auto& [name, value] : trial.cv_mean) {
    metrics.push_back({"cv_" + name, value, 0, store::NowMs()});
  }
  metrics.push_back({kSecondsMetric, trial.seconds, 0, store::NowMs()});
  HONE_TRY(meta.LogMetrics(id, metrics));
  HONE_TRY(meta.EndRun(id, trial.error ? store::RunStatus::kFailed : store::RunStatus::kFinished,
                       store::NowMs()));
  return id;
}

Result<learn::SearchOutcome> ReadTrialRuns(store::MetaStore& meta, const std::string& parent_run,
                                           const std::vector<learn::ParamAssignments>& planned) {
  store::RunQuery query;
  query.tag = {kParentRunTag, parent_run};
  query.limit = planned.size() * 2 + 16;  // a requeued task may have recorded twice
  HONE_ASSIGN_OR_RETURN(std::vector<store::Run> runs, meta.ListRuns(query));
  std::map<size_t, const store::Run*> by_index;  // newest first: the first seen stands
  for (const store::Run& run : runs) {
    auto index = run.tags.find(kTrialTag);
    if (index == run.tags.end()) continue;
    const std::string& text = index->second;
    size_t i = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
    if (ec != std::errc() || end != text.data() + text.size()) continue;  // not one of ours
    if (i < planned.size()) by_index.emplace(i, &run);
  }
  std::string metric;
  bool higher_is_better = false;
  std::vector<learn::TrialResult> trials;
  for (size_t i = 0; i < planned.size(); ++i) {
    auto found = by_index.find(i);
    if (found == by_index.end()) {
      return Fail(ErrorCode::kIo, "search trial " + std::to_string(i) + " of run " + parent_run +
                                      " left no record in the store");
    }
    const store::Run& run = *found->second;
    if (auto m = run.tags.find(kSearchMetricTag); m != run.tags.end()) metric = m->second;
    if (auto h = run.tags.find(kHigherIsBetterTag); h != run.tags.end()) {
      higher_is_better = h->second == "true";
    }
    learn::TrialResult t;
    t.index = i;
    t.params = planned[i];
    for (const store::Metric& m : run.metrics) {
      if (m.key == kSecondsMetric) t.seconds = m.value;
      if (m.key.starts_with("cv_")) t.cv_mean.emplace_back(m.key.substr(3), m.value);
    }
    if (auto e = run.tags.find(kTrialErrorTag); e != run.tags.end()) t.error = e->second;
    trials.push_back(std::move(t));
  }
  if (metric.empty()) {
    return Fail(ErrorCode::kInvalidData,
                "the search trials of run " + parent_run + " do not name the metric they judge by");
  }
  for (learn::TrialResult& t : trials) {
    if (t.error) continue;
    auto it = std::find_if(t.cv_mean.begin(), t.cv_mean.end(),
                           [&](const auto& m) { return m.first == metric; });
    if (it == t.cv_mean.end()) {
      t.error = "no cv_" + metric + " recorded";
    } else {
      t.score = it->second;
    }
  }
  return learn::ChooseBest(metric, higher_is_better, std::move(trials));
}

Result<learn::SearchOutcome> RunSearchOnSlurm(const SlurmContext& search) {
  const Spec& spec = *search.spec;
  HONE_ASSIGN_OR_RETURN(std::vector<learn::ParamAssignments> planned,
                        learn::PlanTrials(*spec.search));
  HONE_ASSIGN_OR_RETURN(SlurmJob job,
                        HoneJob(spec, *search.store, search.run.parent_run, search.hone_binary,
                                "exec-trial --data " + search.run.data_digest, spec.slurm.search));
  job.name = "hone-search-" + spec.model;
  job.array_size = static_cast<int>(planned.size());
  job.max_running = spec.slurm.search.max_running;
  job.log /= "trial-%a.log";
  HONE_TRY(SubmitAndWait(job, search.runner, search.cancel, spec.slurm.poll_ms));
  return ReadTrialRuns(*search.store->meta, search.run.parent_run, planned);
}

Result<std::string> RunTrainOnSlurm(const SlurmContext& train,
                                    const learn::ParamAssignments& params) {
  const Spec& spec = *train.spec;
  std::string arguments = "exec-train --data " + train.run.data_digest;
  for (const auto& [name, value] : params) {
    arguments += " --param " + ShellQuote(name + "=" + value);
  }
  HONE_ASSIGN_OR_RETURN(SlurmJob job, HoneJob(spec, *train.store, train.run.parent_run,
                                              train.hone_binary, arguments, spec.slurm.train));
  job.name = "hone-train-" + spec.model;
  job.log /= "train.log";
  HONE_TRY(SubmitAndWait(job, train.runner, train.cancel, spec.slurm.poll_ms));
  HONE_ASSIGN_OR_RETURN(store::Run run, train.store->meta->GetRun(train.run.parent_run));
  auto digest = run.tags.find(kSlurmBundleTag);
  if (digest == run.tags.end()) {
    return Fail(ErrorCode::kIo, "the Slurm train job of run " + train.run.parent_run +
                                    " completed but recorded no bundle (log: " + job.log.string() +
                                    ")");
  }
  return digest->second;
}

Result<std::string> RunTrainTask(const Spec& spec, store::Store& store, const TrialRunInfo& info,
                                 const learn::ParamAssignments& params, unsigned threads) {
  HONE_ASSIGN_OR_RETURN(Snapshot snapshot, LoadSnapshot(spec, store, info));
  learn::TrainRequest request = TrainRequestOf(spec, snapshot);
  for (const auto& assignment : params) request.params.push_back(assignment);
  request.threads = threads;
  HONE_ASSIGN_OR_RETURN(learn::TrainOutcome outcome, learn::TrainOnTable(snapshot.table, request));
  const std::string bytes = learn::EncodeBundle(outcome.bundle);
  HONE_ASSIGN_OR_RETURN(std::string digest, store.artifacts.Put(bytes));
  HONE_TRY(store.meta->SetTags(info.parent_run, {{kSlurmBundleTag, digest}}));
  return digest;
}

Result<learn::TrialResult> RunTrialTask(const Spec& spec, store::Store& store,
                                        const TrialRunInfo& info, size_t index, unsigned threads) {
  if (!spec.search) {
    return Fail(ErrorCode::kInvalidArgument, spec.file.string() + " has no search: section");
  }
  HONE_ASSIGN_OR_RETURN(Snapshot snapshot, LoadSnapshot(spec, store, info));
  // The training rows exactly as the pipeline's search sees them: the holdout stays unseen.
  learn::TrainRequest request = TrainRequestOf(spec, snapshot);
  HONE_ASSIGN_OR_RETURN(learn::PreparedData data, learn::PrepareTraining(snapshot.table, request));
  const core::Table train_rows = snapshot.table.Take(data.TableRows(data.split.train));
  request.threads = threads;
  HONE_ASSIGN_OR_RETURN(learn::OneTrial one,
                        learn::RunOneTrial(train_rows, request, *spec.search, index));
  HONE_TRY(RecordTrialRun(*store.meta, info, one.trial, one.metric, one.higher_is_better));
  return one.trial;
}

}  // namespace hone::pipeline::exec
