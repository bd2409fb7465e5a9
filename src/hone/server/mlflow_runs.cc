// MLflow's runs: create, get, update, delete, restore, the logging calls, search and a
// metric's history. A run created here is a hone run (command "mlflow") with its experiment
// and name kept beside it.
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "hone/server/mlflow_internal.h"
#include "hone/server/mlflow_search.h"

namespace hone::server::mlflow {
namespace {

using store::Role;

constexpr size_t kMaxSearchResults = 50000;  // MLflow's own cap

Json MetricJson(const store::Metric& m) {
  Json value = m.value;
  if (!std::isfinite(m.value))
    value = std::isnan(m.value) ? "NaN" : m.value > 0 ? "Infinity" : "-Infinity";
  return Json{{"key", m.key}, {"value", value}, {"timestamp", m.timestamp_ms}, {"step", m.step}};
}

Result<store::RunStatus> ParseStatus(const std::string& s) {
  if (s == "RUNNING" || s == "SCHEDULED") return store::RunStatus::kRunning;
  if (s == "FINISHED") return store::RunStatus::kFinished;
  if (s == "FAILED") return store::RunStatus::kFailed;
  if (s == "KILLED") return store::RunStatus::kKilled;
  return Fail(ErrorCode::kInvalidArgument, "Invalid value '" + s +
                                               "' for parameter 'status'; known: RUNNING, "
                                               "SCHEDULED, FINISHED, FAILED, KILLED");
}

// MLflow's size limits for a dataset's fields (mlflow/utils/validation.py).
constexpr size_t kMaxDatasetName = 500, kMaxDatasetDigest = 36, kMaxDatasetSource = 65535,
                 kMaxDatasetSchema = 1048575, kMaxDatasetProfile = 16384;

Json InputsJson(const std::vector<store::RunInput>& inputs) {
  Json datasets = Json::array();
  for (const store::RunInput& in : inputs) {
    Json d{{"name", in.name},
           {"digest", in.digest},
           {"source_type", in.source_type},
           {"source", in.source}};
    if (!in.schema.empty()) d["schema"] = in.schema;
    if (!in.profile.empty()) d["profile"] = in.profile;
    datasets.push_back(Json{{"tags", KeyValueArray(in.tags)}, {"dataset", d}});
  }
  return Json{{"dataset_inputs", datasets}};
}

Result<Json> GetRunJson(Call& c, const std::string& id) {
  HONE_ASSIGN_OR_RETURN(store::Run run, c.ctx.meta.GetRun(id));
  HONE_ASSIGN_OR_RETURN(store::MlflowRunInfo info, c.ctx.meta.GetMlflowRun(run.id));
  HONE_ASSIGN_OR_RETURN(std::vector<store::RunInput> inputs, c.ctx.meta.ListRunInputs(run.id));
  Json j = RunJson(run, info);
  j["inputs"] = InputsJson(inputs);
  return j;
}

// Runs are created only in an active experiment, as MLflow does.
Result<void> RequireExperiment(Call& c, const std::string& id) {
  HONE_ASSIGN_OR_RETURN(std::vector<store::Experiment> all, c.ctx.meta.ListExperiments());
  for (const store::Experiment& e : all) {
    if (e.id != id) continue;
    if (!e.deleted) return {};
    return Fail(
        ErrorCode::kInvalidArgument,
        "The experiment " + id + " must be in the 'active' state. Current state is deleted.");
  }
  return Fail(ErrorCode::kNotFound, "No Experiment with id=" + id + " exists");
}

// One dataset field: a string of at most `limit` characters; `required` ones not empty.
Result<std::string> DatasetField(const Json& d, const char* key, size_t limit, bool required,
                                 size_t index) {
  const std::string where = "datasets[" + std::to_string(index) + "].dataset." + key;
  if (!d.contains(key) || d[key].is_null()) {
    if (!required) return std::string();
    return Fail(ErrorCode::kInvalidArgument,
                "Missing value for required parameter '" + where + "'");
  }
  if (!d[key].is_string()) {
    return Fail(ErrorCode::kInvalidArgument,
                "Invalid value for parameter '" + where + "': it must be a string");
  }
  std::string v = d[key].get<std::string>();
  if (required && v.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "Missing value for required parameter '" + where + "'");
  }
  if (v.size() > limit) {
    return Fail(ErrorCode::kInvalidArgument, "Invalid value for parameter '" + where +
                                                 "': it exceeds " + std::to_string(limit) +
                                                 " characters");
  }
  return v;
}

// runs/log-inputs: {"run_id", "datasets": [{"tags": [{key, value}], "dataset": {"name",
// "digest", "source_type", "source", "schema", "profile"}}], "models": […]}. Models (logged
// models, MLflow 3) are accepted and not kept.
Result<Json> LogInputs(Call& c, const std::string& id) {
  std::vector<store::RunInput> inputs;
  if (c.in.contains("datasets") && !c.in["datasets"].is_null()) {
    if (!c.in["datasets"].is_array()) {
      return Fail(ErrorCode::kInvalidArgument,
                  "Invalid value for parameter 'datasets': expected a list");
    }
    size_t i = 0;
    for (const Json& entry : c.in["datasets"]) {
      if (!entry.is_object() || !entry.contains("dataset") || !entry["dataset"].is_object()) {
        return Fail(ErrorCode::kInvalidArgument, "Missing value for required parameter 'datasets[" +
                                                     std::to_string(i) + "].dataset'");
      }
      const Json& d = entry["dataset"];
      store::RunInput in;
      HONE_ASSIGN_OR_RETURN(in.name, DatasetField(d, "name", kMaxDatasetName, true, i));
      HONE_ASSIGN_OR_RETURN(in.digest, DatasetField(d, "digest", kMaxDatasetDigest, true, i));
      HONE_ASSIGN_OR_RETURN(in.source_type,
                            DatasetField(d, "source_type", kMaxDatasetSource, false, i));
      HONE_ASSIGN_OR_RETURN(in.source, DatasetField(d, "source", kMaxDatasetSource, false, i));
      HONE_ASSIGN_OR_RETURN(in.schema, DatasetField(d, "schema", kMaxDatasetSchema, false, i));
      HONE_ASSIGN_OR_RETURN(in.profile, DatasetField(d, "profile", kMaxDatasetProfile, false, i));
      HONE_ASSIGN_OR_RETURN(in.tags, KeyValues(entry, "tags"));
      inputs.push_back(std::move(in));
      ++i;
    }
  }
  if (c.in.contains("models") && !c.in["models"].is_null() && !c.in["models"].is_array()) {
    return Fail(ErrorCode::kInvalidArgument,
                "Invalid value for parameter 'models': expected a list");
  }
  if (!inputs.empty()) HONE_TRY(c.ctx.meta.LogRunInputs(id, inputs));
  return Json::object();
}

// A run id must be the whole id here (hone's own API also takes prefixes). GetMlflowRun looks
// the id up exactly and reads no metrics: GetRun would read the run's whole history on every
// logging call.
Result<std::string> ExactRun(Call& c) {
  HONE_ASSIGN_OR_RETURN(std::string id, RunIdOf(c));
  HONE_TRY(c.ctx.meta.GetMlflowRun(id));
  return id;
}

Result<Json> CreateRun(Call& c) {
  const std::string experiment = OptStr(c, "experiment_id").value_or("0");
  HONE_TRY(RequireExperiment(c, experiment));
  HONE_ASSIGN_OR_RETURN(std::optional<int64_t> start, OptInt(c, "start_time"));
  HONE_ASSIGN_OR_RETURN(auto tags, KeyValues(c.in, "tags"));
  store::RunStart rs{.command = "mlflow",
                     .start_ms = start.value_or(store::NowMs()),
                     .user = OptStr(c, "user_id").value_or(c.request.principal.name)};
  HONE_ASSIGN_OR_RETURN(std::string id, c.ctx.meta.CreateRun(rs));
  std::string name = OptStr(c, "run_name").value_or("");
  if (name.empty() && tags.contains("mlflow.runName")) name = tags["mlflow.runName"];
  if (name.empty()) name = "run-" + id.substr(0, 8);
  tags["mlflow.runName"] = name;
  HONE_TRY(c.ctx.meta.PutMlflowRun({.run_id = id, .experiment_id = experiment, .run_name = name}));
  HONE_TRY(c.ctx.meta.SetTags(id, tags));
  HONE_ASSIGN_OR_RETURN(Json run, GetRunJson(c, id));
  return Json{{"run", run}};
}

Result<Json> UpdateRun(Call& c) {
  HONE_ASSIGN_OR_RETURN(std::string id, ExactRun(c));
  HONE_ASSIGN_OR_RETURN(store::MlflowRunInfo info, c.ctx.meta.GetMlflowRun(id));
  if (auto name = OptStr(c, "run_name"); name && !name->empty()) {
    info.run_name = *name;
    HONE_TRY(c.ctx.meta.PutMlflowRun(info));
    HONE_TRY(c.ctx.meta.SetTags(id, {{"mlflow.runName", *name}}));
  }
  if (auto status = OptStr(c, "status")) {
    HONE_ASSIGN_OR_RETURN(store::RunStatus s, ParseStatus(*status));
    HONE_ASSIGN_OR_RETURN(std::optional<int64_t> end, OptInt(c, "end_time"));
    HONE_TRY(c.ctx.meta.EndRun(id, s, end.value_or(store::NowMs())));
  }
  HONE_ASSIGN_OR_RETURN(store::Run run, c.ctx.meta.GetRun(id));
  return Json{{"run_info", RunInfoJson(run, info)}};
}

Result<Json> LogBatch(Call& c, const std::string& id) {
  HONE_ASSIGN_OR_RETURN(auto params, KeyValues(c.in, "params"));
  HONE_ASSIGN_OR_RETURN(auto tags, KeyValues(c.in, "tags"));
  std::vector<store::Metric> metrics;
  if (c.in.contains("metrics") && !c.in["metrics"].is_null()) {
    if (!c.in["metrics"].is_array()) {
      return Fail(ErrorCode::kInvalidArgument, "Invalid value for parameter 'metrics'");
    }
    for (const Json& m : c.in["metrics"]) {
      Call one{c.ctx, c.request, m.is_object() ? m : Json::object()};
      HONE_ASSIGN_OR_RETURN(std::string key, Str(one, "key"));
      HONE_ASSIGN_OR_RETURN(double value, Number(one, "value"));
      HONE_ASSIGN_OR_RETURN(std::optional<int64_t> ts, OptInt(one, "timestamp"));
      HONE_ASSIGN_OR_RETURN(std::optional<int64_t> step, OptInt(one, "step"));
      metrics.push_back({key, value, step.value_or(0), ts.value_or(store::NowMs())});
    }
  }
  if (!params.empty()) HONE_TRY(c.ctx.meta.LogParams(id, params));
  if (!tags.empty()) HONE_TRY(c.ctx.meta.SetTags(id, tags));
  if (!metrics.empty()) HONE_TRY(c.ctx.meta.LogMetrics(id, metrics));
  if (auto it = tags.find("mlflow.runName"); it != tags.end()) {
    HONE_ASSIGN_OR_RETURN(store::MlflowRunInfo info, c.ctx.meta.GetMlflowRun(id));
    info.run_name = it->second;
    HONE_TRY(c.ctx.meta.PutMlflowRun(info));
  }
  return Json::object();
}

Result<Json> SearchRuns(Call& c) {
  HONE_ASSIGN_OR_RETURN(auto page, Page(c, 1000, kMaxSearchResults));
  std::vector<std::string> experiments;
  if (c.in.contains("experiment_ids") && c.in["experiment_ids"].is_array()) {
    for (const Json& e : c.in["experiment_ids"]) {
      experiments.push_back(e.is_string() ? e.get<std::string>() : e.dump());
    }
  } else if (auto one = OptStr(c, "experiment_ids")) {
    experiments.push_back(*one);  // a GET's query parameter
  }
  const std::string view = OptStr(c, "run_view_type").value_or("ACTIVE_ONLY");
  if (view != "ACTIVE_ONLY" && view != "DELETED_ONLY" && view != "ALL") {
    return Fail(ErrorCode::kInvalidArgument,
                "Invalid value '" + view +
                    "' for parameter 'run_view_type'; known: ACTIVE_ONLY, DELETED_ONLY, ALL");
  }
  std::vector<Clause> clauses;
  if (auto f = OptStr(c, "filter"); f && !f->empty()) {
    HONE_ASSIGN_OR_RETURN(clauses, ParseRunFilter(*f));
  }
  std::vector<OrderTerm> order;
  if (c.in.contains("order_by") && c.in["order_by"].is_array()) {
    for (const Json& o : c.in["order_by"]) {
      if (!o.is_string()) return Fail(ErrorCode::kInvalidArgument, "order_by holds strings");
      HONE_ASSIGN_OR_RETURN(OrderTerm t, ParseOrderBy(o.get<std::string>()));
      order.push_back(std::move(t));
    }
  } else if (auto o = OptStr(c, "order_by"); o && !o->empty()) {
    HONE_ASSIGN_OR_RETURN(OrderTerm t, ParseOrderBy(*o));
    order.push_back(std::move(t));
  }

  HONE_ASSIGN_OR_RETURN(std::vector<store::MlflowRunInfo> infos, c.ctx.meta.ListMlflowRuns());
  std::unordered_map<std::string, store::MlflowRunInfo> by_id;
  for (store::MlflowRunInfo& i : infos) by_id.emplace(i.run_id, std::move(i));
  // The store lists runs newest first, then by id: MLflow's default order. A search in that
  // order reads them a chunk at a time and stops once it has its page and one run more (so
  // that it knows whether a next page exists); any other order reads every run and sorts.
  const bool store_order = order.empty() || (order.size() == 1 && order[0].kind == "attributes" &&
                                             order[0].key == "start_time" && !order[0].ascending);
  const size_t wanted = page.second + page.first + 1;
  std::vector<RunRow> rows;
  store::RunQuery chunk{.limit = store_order ? std::max<size_t>(wanted, 500) : size_t{1} << 40};
  for (;;) {
    HONE_ASSIGN_OR_RETURN(std::vector<store::Run> runs, c.ctx.meta.ListRuns(chunk));
    const size_t read = runs.size();
    for (store::Run& run : runs) {
      auto it = by_id.find(run.id);
      store::MlflowRunInfo info =
          it != by_id.end() ? it->second : store::MlflowRunInfo{.run_id = run.id};
      if (!experiments.empty() && std::find(experiments.begin(), experiments.end(),
                                            info.experiment_id) == experiments.end()) {
        continue;
      }
      if ((view == "ACTIVE_ONLY" && info.deleted) || (view == "DELETED_ONLY" && !info.deleted)) {
        continue;
      }
      RunRow row{std::move(run), std::move(info)};
      if (Matches(row, clauses)) rows.push_back(std::move(row));
    }
    if (!store_order || read < chunk.limit || rows.size() >= wanted) break;
    chunk.offset += read;
    chunk.limit *= 2;  // a selective filter: read further in larger steps
  }
  if (!store_order) SortRuns(rows, order);
  Json out{{"runs", Json::array()}};
  for (size_t i = page.second; i < rows.size() && i < page.second + page.first; ++i) {
    out["runs"].push_back(RunJson(rows[i].run, rows[i].info));
  }
  SetNextPage(out, page.second, page.first, rows.size());
  return out;
}

}  // namespace

std::string MlflowStatus(store::RunStatus s) {
  std::string name = store::RunStatusName(s);
  for (char& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return name;
}

Json RunInfoJson(const store::Run& run, const store::MlflowRunInfo& info) {
  Json j{{"run_id", run.id},
         {"run_uuid", run.id},
         {"run_name", info.run_name},
         {"experiment_id", info.experiment_id},
         {"user_id", run.start.user},
         {"status", MlflowStatus(run.status)},
         {"start_time", run.start.start_ms},
         {"artifact_uri", ""},
         {"lifecycle_stage", info.deleted ? "deleted" : "active"}};
  if (run.end_ms) j["end_time"] = *run.end_ms;
  return j;
}

Json RunJson(const store::Run& run, const store::MlflowRunInfo& info) {
  std::map<std::string, const store::Metric*> latest;
  for (const store::Metric& m : run.metrics) {
    const store::Metric*& best = latest[m.key];
    if (!best || std::tie(m.step, m.timestamp_ms) >= std::tie(best->step, best->timestamp_ms)) {
      best = &m;
    }
  }
  Json metrics = Json::array();
  for (const auto& [key, m] : latest) metrics.push_back(MetricJson(*m));
  return Json{{"info", RunInfoJson(run, info)},
              {"data",
               {{"metrics", metrics},
                {"params", KeyValueArray(run.params)},
                {"tags", KeyValueArray(MlflowTags(run, info))}}}};
}

Result<Json> Runs(Call& c, const std::vector<std::string>& p) {
  if (p.size() != 2) return Fail(NoEndpoint(c));
  const std::string& op = p[1];
  const Principal& who = c.request.principal;
  if (op == "get") {
    HONE_TRY(RequireRole(who, Role::kViewer, "read runs"));
    HONE_ASSIGN_OR_RETURN(std::string id, ExactRun(c));
    HONE_ASSIGN_OR_RETURN(Json run, GetRunJson(c, id));
    return Json{{"run", run}};
  }
  if (op == "search") {
    HONE_TRY(RequireRole(who, Role::kViewer, "search runs"));
    return SearchRuns(c);
  }
  if (op == "delete" || op == "restore") {
    HONE_TRY(RequireRole(who, Role::kAdmin, op + " runs"));
    HONE_ASSIGN_OR_RETURN(std::string id, ExactRun(c));
    HONE_TRY(c.ctx.meta.SetRunDeleted(id, op == "delete", c.actor()));
    return Json::object();
  }
  HONE_TRY(RequireRole(who, Role::kTrainer, "create and log to runs"));
  if (op == "create") return CreateRun(c);
  if (op == "update") return UpdateRun(c);
  HONE_ASSIGN_OR_RETURN(std::string id, ExactRun(c));
  if (op == "log-metric") {
    HONE_ASSIGN_OR_RETURN(std::string key, Str(c, "key"));
    HONE_ASSIGN_OR_RETURN(double value, Number(c, "value"));
    HONE_ASSIGN_OR_RETURN(std::optional<int64_t> ts, OptInt(c, "timestamp"));
    HONE_ASSIGN_OR_RETURN(std::optional<int64_t> step, OptInt(c, "step"));
    const store::Metric m{key, value, step.value_or(0), ts.value_or(store::NowMs())};
    HONE_TRY(c.ctx.meta.LogMetrics(id, std::span(&m, 1)));
    return Json::object();
  }
  if (op == "log-parameter") {
    HONE_ASSIGN_OR_RETURN(std::string key, Str(c, "key"));
    HONE_ASSIGN_OR_RETURN(std::string value, Str(c, "value"));
    HONE_TRY(c.ctx.meta.LogParams(id, {{key, value}}));
    return Json::object();
  }
  if (op == "set-tag") {
    HONE_ASSIGN_OR_RETURN(std::string key, Str(c, "key"));
    HONE_ASSIGN_OR_RETURN(std::string value, Str(c, "value"));
    c.in["tags"] = Json::array({Json{{"key", key}, {"value", value}}});
    c.in.erase("metrics");
    c.in.erase("params");
    return LogBatch(c, id);
  }
  if (op == "log-batch") return LogBatch(c, id);
  if (op == "log-inputs") return LogInputs(c, id);
  if (op == "delete-tag") {
    HONE_ASSIGN_OR_RETURN(std::string key, Str(c, "key"));
    HONE_TRY(c.ctx.meta.DeleteRunTag(id, key));
    if (key == "mlflow.runName") {  // the name is kept beside the run, too
      HONE_ASSIGN_OR_RETURN(store::MlflowRunInfo info, c.ctx.meta.GetMlflowRun(id));
      info.run_name.clear();
      HONE_TRY(c.ctx.meta.PutMlflowRun(info));
    }
    return Json::object();
  }
  return Fail(NoEndpoint(c));
}

Result<Json> MetricHistory(Call& c) {
  HONE_TRY(RequireRole(c.request.principal, Role::kViewer, "read runs"));
  HONE_ASSIGN_OR_RETURN(std::string id, ExactRun(c));
  HONE_ASSIGN_OR_RETURN(std::string key, Str(c, "metric_key"));
  HONE_ASSIGN_OR_RETURN(auto page, Page(c, 25000, 25000));
  HONE_ASSIGN_OR_RETURN(store::Run run, c.ctx.meta.GetRun(id));
  std::vector<const store::Metric*> values;
  for (const store::Metric& m : run.metrics) {
    if (m.key == key) values.push_back(&m);
  }
  Json out{{"metrics", Json::array()}};
  for (size_t i = page.second; i < values.size() && i < page.second + page.first; ++i) {
    out["metrics"].push_back(MetricJson(*values[i]));
  }
  SetNextPage(out, page.second, page.first, values.size());
  return out;
}

}  // namespace hone::server::mlflow
