// hone train: fit a model on a CSV file, report its metrics, write its bundle.
#include <chrono>
#include <cstdio>

#include "hone/cli/commands.h"
#include "hone/cli/report.h"
#include "hone/cli/store_report.h"
#include "hone/core/digest.h"
#include "hone/core/parallel.h"
#include "hone/learn/training.h"
#include "hone/registry/code_state.h"
#include "hone/registry/registry.h"

namespace hone::cli {
namespace {

struct TrainFlags {
  std::string data;
  std::string target;
  std::string task = "auto";
  std::string model = "random_forest";
  std::vector<std::string> params;
  double test_size = 0.2;
  std::string split = "random";
  int cv = 0;
  uint64_t seed = 42;
  unsigned threads = 0;
  std::vector<std::string> ignore;
  std::string out;
  bool json = false;
  std::string help_params;
  std::string register_as;
  std::string description;
  StoreFlags store;
};

Result<learn::TrainRequest> BuildRequest(const TrainFlags& f) {
  if (f.data.empty()) return Fail(ErrorCode::kInvalidArgument, "--data is required");
  if (f.target.empty()) return Fail(ErrorCode::kInvalidArgument, "--target is required");
  if (f.out.empty() && f.register_as.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "--out or --register is required: where should the model go?");
  }
  if (!f.register_as.empty()) HONE_TRY(store::CheckName("model", f.register_as));
  learn::TrainRequest r;
  r.target = f.target;
  HONE_ASSIGN_OR_RETURN(r.task, learn::ParseTaskRequest(f.task));
  r.model = f.model;
  for (const std::string& p : f.params) {
    HONE_ASSIGN_OR_RETURN(auto kv, learn::ParseParamAssignment(p));
    r.params.push_back(std::move(kv));
  }
  r.test_size = f.test_size;
  HONE_ASSIGN_OR_RETURN(r.split, learn::ParseSplitSpec(f.split));
  r.cv_folds = f.cv;
  r.seed = f.seed;
  r.threads = f.threads;
  r.ignore = f.ignore;
  r.data_source = f.data;
  return r;
}

void PrintText(std::ostream& out, const TrainFlags& f, const learn::TrainOutcome& o,
               const std::string& sha256, size_t bundle_bytes) {
  const learn::Bundle& b = o.bundle;
  size_t categorical = 0;
  for (const auto& feature : b.features.features()) {
    categorical += feature.type == core::ColumnType::kCategorical;
  }
  out << "trained " << b.model_kind << " (" << learn::TaskName(b.target.task) << ", target '"
      << b.target.name << "') on " << f.data << "\n";
  out << "  rows      " << o.rows_total << " read";
  if (o.rows_dropped > 0) out << ", " << o.rows_dropped << " without a target skipped";
  out << "; " << o.rows_train << " train / " << o.rows_test << " test (split "
      << b.training["split"].get<std::string>() << ", seed " << f.seed << ")\n";
  out << "  features  " << b.features.size() << " (" << b.features.size() - categorical
      << " numeric, " << categorical << " categorical)\n";
  char seconds[32];
  std::snprintf(seconds, sizeof(seconds), "%.3f", o.train_seconds);
  out << "  fit       " << seconds << " s on " << core::ResolveThreads(f.threads) << " thread(s)\n";
  if (o.cv) {
    out << "  cross-validation (" << o.cv->folds << " folds, mean ± std)\n";
    for (const auto& [name, ms] : o.cv->summary) {
      char line[96];
      std::snprintf(line, sizeof(line), "    %-18s %.6g ± %.2g\n", name.c_str(), ms.first,
                    ms.second);
      out << line;
    }
  }
  out << "  metrics on " << o.evaluated_on
      << (o.evaluated_on == "train" ? " rows (optimistic)" : " rows") << "\n";
  PrintMetrics(out, o.metrics, "    ");
  if (f.out.empty()) return;
  out << "  wrote     " << f.out << " (" << bundle_bytes << " bytes, sha256 "
      << sha256.substr(0, 16) << ")\n";
}

/// The configuration that, with the data and the code, determines the model: its digest is the
/// run's config digest.
std::string ConfigDigest(const TrainFlags& f, const nlohmann::json& params) {
  nlohmann::json config = {
      {"model", f.model}, {"target", f.target}, {"params", params}, {"test_size", f.test_size},
      {"split", f.split}, {"seed", f.seed},     {"cv", f.cv},       {"ignore", f.ignore},
      {"task", f.task}};
  return core::Sha256Hex(DumpJson(config));
}

/// What `--register` adds to a training: a run with its lineage, and a new version.
struct Registration {
  std::string run_id;
  store::ModelVersion version;
};

/// Records the run (which already trained) and registers the bundle as the next version of
/// `f.register_as`. The bundle reaches the artifact store before the version naming it.
Result<Registration> RecordAndRegister(Io& io, store::Store& s, const TrainFlags& f,
                                       const learn::TrainOutcome& o, const std::string& bundle,
                                       const std::string& data_sha256, store::TimeMs start_ms) {
  const store::Actor actor = registry::DefaultActor();
  store::RunStart start;
  start.command = io.command_line;
  start.start_ms = start_ms;
  start.host = registry::HostName();
  start.user = actor.name;
  if (auto code = registry::CurrentCodeState()) {
    start.code_commit = code->commit;
    start.code_dirty = code->dirty;
  }
  start.config_digest = ConfigDigest(f, o.bundle.params);
  start.data_digest = data_sha256;
  HONE_ASSIGN_OR_RETURN(std::string run_id, s.meta->CreateRun(start));
  auto recorded = [&]() -> Result<Registration> {
    std::map<std::string, std::string> params = learn::ParamTexts(o.bundle.params);
    params["model"] = o.bundle.model_kind;
    params["target"] = o.bundle.target.name;
    params["seed"] = std::to_string(f.seed);
    params["test_size"] = FormatMetric(f.test_size);
    HONE_TRY(s.meta->LogParams(run_id, params));
    HONE_TRY(s.meta->SetTags(run_id, {{"task", learn::TaskName(o.bundle.target.task)},
                                      {"data", f.data},
                                      {"registered_model", f.register_as}}));
    std::vector<store::Metric> metrics;
    std::map<std::string, double> version_metrics;
    const store::TimeMs now = store::NowMs();
    for (const auto& [name, value] : o.metrics) {
      metrics.push_back({name, value, 0, now});
      version_metrics[name] = value;
    }
    HONE_TRY(s.meta->LogMetrics(run_id, metrics));
    registry::Registry r(*s.meta, s.artifacts, actor);
    store::NewVersion v;
    v.model = f.register_as;
    v.run_id = run_id;
    v.data_digest = start.data_digest;
    v.code_commit = start.code_commit;
    v.code_dirty = start.code_dirty;
    v.config_digest = start.config_digest;
    v.params = std::move(params);
    v.metrics = std::move(version_metrics);
    v.description = f.description;
    HONE_ASSIGN_OR_RETURN(store::ModelVersion version, r.Register(std::move(v), bundle));
    HONE_TRY(s.meta->LogArtifact(
        run_id, {"model.hone", version.bundle_digest, static_cast<int64_t>(bundle.size())}));
    HONE_TRY(s.meta->EndRun(run_id, store::RunStatus::kFinished, store::NowMs()));
    return Registration{run_id, std::move(version)};
  }();
  if (!recorded) (void)s.meta->EndRun(run_id, store::RunStatus::kFailed, store::NowMs());
  return recorded;
}

int RunTrain(Io& io, const TrainFlags& f) {
  if (!f.help_params.empty()) {
    auto trainer = learn::FindTrainer(f.help_params);
    if (!trainer) return ReportError(io, "train", trainer.error(), f.json);
    io.out << (*trainer)->name() << ": " << (*trainer)->summary() << "\n\n"
           << (*trainer)->params().Describe();
    return kExitOk;
  }
  auto start = std::chrono::steady_clock::now();
  const store::TimeMs start_ms = store::NowMs();
  auto request = BuildRequest(f);
  if (!request) return ReportError(io, "train", request.error(), f.json);
  // Open (or make) the store first: a bad --store fails before a long training.
  std::optional<store::Store> store;
  if (!f.register_as.empty()) {
    auto opened = OpenStoreFrom(f.store, /*create=*/true);
    if (!opened) return ReportError(io, "train", opened.error(), f.json);
    store = std::move(*opened);
  }
  // Fail on an unknown model or parameter before reading a large file.
  auto trainer = learn::FindTrainer(request->model);
  if (!trainer) return ReportError(io, "train", trainer.error(), f.json);
  if (auto p = (*trainer)->params().Resolve(request->params); !p) {
    return ReportError(io, "train", p.error(), f.json);
  }

  core::CsvReadOptions csv;
  csv.threads = f.threads;
  // A regression target must be numbers: the reader then names the first cell that is not.
  if (request->task == learn::TaskRequest::kRegression) {
    csv.column_types[request->target] = core::ColumnType::kNumeric;
  }
  auto data = ReadDataFile(f.data, csv);
  if (!data) return ReportError(io, "train", data.error(), f.json);
  request->data_sha256 = data->sha256;

  auto outcome = learn::TrainOnTable(data->table, *request);
  if (!outcome) {
    return ReportError(io, "train", outcome.error().WithContext(f.data), f.json);
  }
  learn::WrittenBundle written_bundle;
  if (!f.out.empty()) {
    auto w = learn::WriteBundle(f.out, outcome->bundle);
    if (!w) return ReportError(io, "train", w.error(), f.json);
    written_bundle = *w;
  }
  std::optional<Registration> registration;
  if (store) {
    const std::string bytes = learn::EncodeBundle(outcome->bundle);
    auto registered = RecordAndRegister(io, *store, f, *outcome, bytes, data->sha256, start_ms);
    if (!registered) return ReportError(io, "train", registered.error(), f.json);
    registration = std::move(*registered);
    written_bundle.sha256 = registration->version.bundle_digest;
    written_bundle.bytes = bytes.size();
  }
  const learn::WrittenBundle* written = &written_bundle;
  double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (!f.json) {
    PrintText(io.out, f, *outcome, written->sha256, written->bytes);
    if (registration) {
      io.out << "  registered " << f.register_as << "/" << registration->version.version << " (run "
             << registration->run_id.substr(0, 10) << ", store " << store->meta->Describe()
             << ")\n";
    }
    return kExitOk;
  }
  const learn::Bundle& b = outcome->bundle;
  nlohmann::json j = {
      {"command", "train"},
      {"model", b.model_kind},
      {"task", learn::TaskName(b.target.task)},
      {"target", b.target.name},
      {"data", {{"path", f.data}, {"sha256", data->sha256}}},
      {"rows",
       {{"total", outcome->rows_total},
        {"dropped_missing_target", outcome->rows_dropped},
        {"train", outcome->rows_train},
        {"test", outcome->rows_test}}},
      {"features", b.features.size()},
      {"split", b.training["split"]},
      {"test_size", f.test_size},
      {"seed", f.seed},
      {"threads", core::ResolveThreads(f.threads)},
      {"params", b.params},
      {"metrics", MetricsJson(outcome->metrics)},
      {"evaluated_on", outcome->evaluated_on},
      {"train_seconds", outcome->train_seconds},
      {"total_seconds", total},
      {"feature_importance", b.feature_importance},
      {"out", f.out},
      {"bundle_sha256", written->sha256},
      {"bundle_bytes", written->bytes},
  };
  if (b.target.task != learn::Task::kRegression) j["classes"] = b.target.classes;
  if (f.out.empty()) j["out"] = nullptr;
  if (registration) {
    j["registered"] = {
        {"model", f.register_as},
        {"version", registration->version.version},
        {"digest", registration->version.bundle_digest},
        {"run", registration->run_id},
        {"parent", registration->version.parent ? nlohmann::json(*registration->version.parent)
                                                : nlohmann::json()}};
  }
  if (b.metrics.contains("cv")) j["cv"] = b.metrics["cv"];
  io.out << DumpJson(j) << "\n";
  return kExitOk;
}

}  // namespace

Action AddTrainCommand(CLI::App& app) {
  auto f = std::make_shared<TrainFlags>();
  CLI::App* cmd = app.add_subcommand("train", "Train a model on a CSV file and write its bundle");
  cmd->add_option("--data", f->data, "Training data (CSV with a header row)");
  cmd->add_option("--target", f->target, "Column to predict");
  cmd->add_option("--task", f->task, "auto, regression or classification")->capture_default_str();
  cmd->add_option("--model", f->model, "random_forest, gbdt or linear")->capture_default_str();
  cmd->add_option("--param", f->params, "Model parameter KEY=VALUE (repeatable)");
  cmd->add_option("--test-size", f->test_size, "Fraction of rows held out for testing, [0, 1)")
      ->capture_default_str();
  cmd->add_option("--split", f->split, "random, stratified or time:COLUMN")->capture_default_str();
  cmd->add_option("--cv", f->cv, "Cross-validation folds on the training rows (0 = none)")
      ->capture_default_str();
  cmd->add_option("--seed", f->seed, "Seed of every random choice")->capture_default_str();
  cmd->add_option("--threads", f->threads, "Threads (0 = all cores)")->capture_default_str();
  cmd->add_option("--ignore", f->ignore, "Column to leave out of the features (repeatable)");
  cmd->add_option("--out", f->out, "Where to write the model bundle (e.g. model.hone)");
  cmd->add_flag("--json", f->json, "Print one JSON object instead of text");
  cmd->add_option("--help-params", f->help_params, "Print the parameters of MODEL and exit");
  cmd->add_option("--register", f->register_as,
                  "Record the run in the store and register the model as the next version of "
                  "NAME");
  cmd->add_option("--description", f->description, "Description of the registered version");
  AddStoreFlags(cmd, f->store);
  return [f](Io& io) { return RunTrain(io, *f); };
}

}  // namespace hone::cli
