#include "hone/server/mlflow_api.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "hone/server/mlflow_internal.h"

namespace hone::server {
namespace mlflow {
namespace {

Error Missing(const char* key) {
  return Error(ErrorCode::kInvalidArgument,
               "Missing value for required parameter '" + std::string(key) + "'");
}

Result<int64_t> ParseInt(std::string_view text, const char* key) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Fail(ErrorCode::kInvalidArgument, "Invalid value '" + std::string(text) +
                                                 "' for parameter '" + key +
                                                 "': it must be an integer");
  }
  return v;
}

}  // namespace

std::optional<std::string> OptStr(const Call& c, const char* key) {
  if (!c.in.contains(key) || c.in[key].is_null()) return std::nullopt;
  const Json& v = c.in[key];
  return v.is_string() ? v.get<std::string>() : v.dump();
}

Result<std::string> Str(const Call& c, const char* key) {
  std::optional<std::string> v = OptStr(c, key);
  if (!v) return Fail(Missing(key));
  return *v;
}

Result<std::optional<int64_t>> OptInt(const Call& c, const char* key) {
  if (!c.in.contains(key) || c.in[key].is_null()) return std::optional<int64_t>();
  const Json& v = c.in[key];
  if (v.is_number_integer()) return std::optional<int64_t>(v.get<int64_t>());
  if (v.is_number_float()) return std::optional<int64_t>(static_cast<int64_t>(v.get<double>()));
  if (v.is_string()) {
    HONE_ASSIGN_OR_RETURN(int64_t n, ParseInt(v.get<std::string>(), key));
    return std::optional<int64_t>(n);
  }
  return Fail(ErrorCode::kInvalidArgument,
              "Invalid value " + v.dump() + " for parameter '" + key + "'");
}

Result<int64_t> Int(const Call& c, const char* key) {
  HONE_ASSIGN_OR_RETURN(std::optional<int64_t> v, OptInt(c, key));
  if (!v) return Fail(Missing(key));
  return *v;
}

Result<double> Number(const Call& c, const char* key) {
  if (!c.in.contains(key) || c.in[key].is_null()) return Fail(Missing(key));
  const Json& v = c.in[key];
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const std::string t = v.get<std::string>();
    if (t == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (t == "Infinity") return std::numeric_limits<double>::infinity();
    if (t == "-Infinity") return -std::numeric_limits<double>::infinity();
    double d = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), d);
    if (ec == std::errc() && end == t.data() + t.size()) return d;
  }
  return Fail(ErrorCode::kInvalidArgument,
              "Invalid value " + v.dump() + " for parameter '" + key + "': it must be a number");
}

Result<std::map<std::string, std::string>> KeyValues(const Json& in, const char* key) {
  std::map<std::string, std::string> out;
  if (!in.contains(key) || in[key].is_null()) return out;
  if (!in[key].is_array()) {
    return Fail(ErrorCode::kInvalidArgument,
                "Invalid value for parameter '" + std::string(key) + "': expected a list");
  }
  for (const Json& kv : in[key]) {
    if (!kv.is_object() || !kv.contains("key") || !kv["key"].is_string()) {
      return Fail(ErrorCode::kInvalidArgument, "Invalid value for parameter '" + std::string(key) +
                                                   "': each entry needs a string 'key'");
    }
    const Json value = kv.value("value", Json(""));
    out[kv["key"].get<std::string>()] = value.is_string() ? value.get<std::string>() : value.dump();
  }
  return out;
}

Result<std::string> RunIdOf(const Call& c) {
  if (auto id = OptStr(c, "run_id"); id && !id->empty()) return *id;
  if (auto id = OptStr(c, "run_uuid"); id && !id->empty()) return *id;
  return Fail(Missing("run_id"));
}

Result<std::pair<size_t, size_t>> Page(const Call& c, size_t fallback, size_t limit) {
  HONE_ASSIGN_OR_RETURN(std::optional<int64_t> max, OptInt(c, "max_results"));
  size_t size = fallback;
  if (max) {
    if (*max < 1 || static_cast<size_t>(*max) > limit) {
      return Fail(ErrorCode::kInvalidArgument,
                  "Invalid value " + std::to_string(*max) +
                      " for parameter 'max_results': it must be between 1 and " +
                      std::to_string(limit));
    }
    size = static_cast<size_t>(*max);
  }
  size_t offset = 0;
  if (auto token = OptStr(c, "page_token"); token && !token->empty()) {
    auto n = ParseInt(*token, "page_token");
    if (!n || *n < 0) {
      return Fail(ErrorCode::kInvalidArgument, "Invalid page token '" + *token + "'");
    }
    offset = static_cast<size_t>(*n);
  }
  return std::pair(size, offset);
}

void SetNextPage(Json& out, size_t offset, size_t size, size_t total) {
  if (offset + size < total) out["next_page_token"] = std::to_string(offset + size);
}

Json KeyValueArray(const std::map<std::string, std::string>& m) {
  Json a = Json::array();
  for (const auto& [k, v] : m) a.push_back(Json{{"key", k}, {"value", v}});
  return a;
}

Json ExperimentJson(const store::Experiment& e) {
  return Json{{"experiment_id", e.id},
              {"name", e.name},
              {"artifact_location", e.artifact_location},
              {"lifecycle_stage", e.deleted ? "deleted" : "active"},
              {"creation_time", e.created_ms},
              {"last_update_time", e.updated_ms},
              {"tags", KeyValueArray(e.tags)}};
}

Error NoEndpoint(const Call& c) {
  std::string path;
  for (const std::string& s : c.request.path) path += "/" + s;
  return Error(ErrorCode::kUnsupported, "hone does not answer MLflow's " +
                                            std::string(c.request.method) + " /api/2.0/mlflow" +
                                            path + " (docs/mlflow-api.md lists what it answers)");
}

// --- experiments ---

namespace {

Result<store::Experiment> FindExperiment(Call& c, std::string_view id, std::string_view name) {
  HONE_ASSIGN_OR_RETURN(std::vector<store::Experiment> all, c.ctx.meta.ListExperiments());
  for (store::Experiment& e : all) {
    if ((!id.empty() && e.id == id) || (!name.empty() && e.name == name)) return std::move(e);
  }
  return Fail(ErrorCode::kNotFound,
              !id.empty() ? "No Experiment with id=" + std::string(id) + " exists"
                          : "Could not find experiment with name '" + std::string(name) + "'");
}

}  // namespace

Result<Json> Experiments(Call& c, const std::vector<std::string>& p) {
  const std::string_view op = p.size() == 2 ? std::string_view(p[1]) : std::string_view();
  if (op == "create") {
    HONE_TRY(RequireRole(c.request.principal, store::Role::kTrainer, "create experiments"));
    HONE_ASSIGN_OR_RETURN(std::string name, Str(c, "name"));
    store::Experiment e{.name = name,
                        .artifact_location = OptStr(c, "artifact_location").value_or("")};
    HONE_ASSIGN_OR_RETURN(e.tags, KeyValues(c.in, "tags"));
    HONE_ASSIGN_OR_RETURN(store::Experiment made, c.ctx.meta.CreateExperiment(e));
    return Json{{"experiment_id", made.id}};
  }
  if (op == "delete" || op == "restore") {
    HONE_TRY(
        RequireRole(c.request.principal, store::Role::kAdmin, std::string(op) + " experiments"));
    HONE_ASSIGN_OR_RETURN(std::string id, Str(c, "experiment_id"));
    HONE_TRY(c.ctx.meta.SetExperimentDeleted(id, op == "delete", c.actor()));
    return Json::object();
  }
  if (op == "update" || op == "set-experiment-tag") {
    HONE_TRY(RequireRole(c.request.principal, store::Role::kTrainer, "edit experiments"));
    HONE_ASSIGN_OR_RETURN(std::string id, Str(c, "experiment_id"));
    HONE_ASSIGN_OR_RETURN(store::Experiment e, FindExperiment(c, id, ""));
    if (op == "update") {
      HONE_ASSIGN_OR_RETURN(e.name, Str(c, "new_name"));
    } else {
      HONE_ASSIGN_OR_RETURN(std::string key, Str(c, "key"));
      if (key.empty())
        return Fail(ErrorCode::kInvalidArgument, "Missing value for required parameter 'key'");
      HONE_ASSIGN_OR_RETURN(e.tags[key], Str(c, "value"));
    }
    // MLflow changes only active experiments (restore one first).
    if (e.deleted) {
      return Fail(ErrorCode::kInvalidArgument,
                  "The experiment " + id +
                      " must be in the 'active' state. Current state is "
                      "deleted.");
    }
    HONE_TRY(c.ctx.meta.PutExperiment(e, c.actor()));
    return Json::object();
  }
  HONE_TRY(RequireRole(c.request.principal, store::Role::kViewer, "read experiments"));
  if (op == "get") {
    HONE_ASSIGN_OR_RETURN(std::string id, Str(c, "experiment_id"));
    HONE_ASSIGN_OR_RETURN(store::Experiment e, FindExperiment(c, id, ""));
    return Json{{"experiment", ExperimentJson(e)}};
  }
  if (op == "get-by-name") {
    HONE_ASSIGN_OR_RETURN(std::string name, Str(c, "experiment_name"));
    HONE_ASSIGN_OR_RETURN(store::Experiment e, FindExperiment(c, "", name));
    return Json{{"experiment", ExperimentJson(e)}};
  }
  if (op == "search" || op == "list") {
    HONE_ASSIGN_OR_RETURN(auto page, Page(c, 1000, 50000));
    const std::string view = OptStr(c, "view_type").value_or("ACTIVE_ONLY");
    // filter: only `name = '…'` and `name LIKE '…'` are offered (docs/mlflow-api.md).
    std::optional<std::string> name_eq;
    if (auto f = OptStr(c, "filter"); f && !f->empty()) {
      const std::string prefix = "name = '";
      if (!f->starts_with(prefix) || !f->ends_with("'")) {
        return Fail(ErrorCode::kInvalidArgument,
                    "Invalid filter '" + *f + "': hone answers only name = '…' for experiments");
      }
      name_eq = f->substr(prefix.size(), f->size() - prefix.size() - 1);
    }
    HONE_ASSIGN_OR_RETURN(std::vector<store::Experiment> all, c.ctx.meta.ListExperiments());
    std::vector<store::Experiment> kept;
    for (store::Experiment& e : all) {
      if (view == "ACTIVE_ONLY" && e.deleted) continue;
      if (view == "DELETED_ONLY" && !e.deleted) continue;
      if (name_eq && e.name != *name_eq) continue;
      kept.push_back(std::move(e));
    }
    Json out{{"experiments", Json::array()}};
    for (size_t i = page.second; i < kept.size() && i < page.second + page.first; ++i) {
      out["experiments"].push_back(ExperimentJson(kept[i]));
    }
    SetNextPage(out, page.second, page.first, kept.size());
    return out;
  }
  return Fail(NoEndpoint(c));
}

}  // namespace mlflow

namespace {

struct MlflowCode {
  const char* code;
  int status;
};

MlflowCode CodeOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound:
      return {"RESOURCE_DOES_NOT_EXIST", 404};
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kInvalidData:
      return {"INVALID_PARAMETER_VALUE", 400};
    case ErrorCode::kConflict:
      return {"RESOURCE_ALREADY_EXISTS", 400};
    case ErrorCode::kPermissionDenied:
      return {"PERMISSION_DENIED", 403};
    case ErrorCode::kUnsupported:
      return {"ENDPOINT_NOT_FOUND", 404};
    default:
      return {"INTERNAL_ERROR", 500};
  }
}

}  // namespace

ApiReply MlflowErrorReply(const Error& e) {
  const MlflowCode m = CodeOf(e.code());
  return ApiReply{m.status, mlflow::Json{{"error_code", m.code}, {"message", e.message()}}.dump(),
                  "application/json"};
}

size_t MlflowApiPrefix(std::string_view target) {
  for (std::string_view prefix : {"/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/"}) {
    if (target.starts_with(prefix)) return prefix.size();
  }
  return 0;
}

std::string MlflowAuthErrorBody(int status, std::string_view message) {
  const char* code = status == 401   ? "UNAUTHENTICATED"
                     : status == 429 ? "REQUEST_LIMIT_EXCEEDED"
                                     : "PERMISSION_DENIED";
  return mlflow::Json{{"error_code", code}, {"message", message}}.dump();
}

Result<ApiReply> HandleMlflowApi(ApiContext& ctx, const ApiRequest& request) {
  mlflow::Call c{ctx, request, mlflow::Json::object()};
  if (!request.body.empty()) {
    c.in = mlflow::Json::parse(request.body, nullptr, false);
    if (c.in.is_discarded() || !c.in.is_object()) {
      return MlflowErrorReply(
          Error(ErrorCode::kInvalidArgument, "Malformed request body: expected a JSON object"));
    }
  }
  for (const auto& [k, v] : request.query) {
    if (!c.in.contains(k)) c.in[k] = v;
  }
  const std::vector<std::string>& p = request.path;
  Result<mlflow::Json> out = Fail(mlflow::NoEndpoint(c));
  if (!p.empty()) {
    if (p[0] == "experiments") out = mlflow::Experiments(c, p);
    if (p[0] == "runs") out = mlflow::Runs(c, p);
    if (p[0] == "metrics" && p.size() == 2 && p[1] == "get-history") out = mlflow::MetricHistory(c);
    if (p[0] == "registered-models") out = mlflow::RegisteredModels(c, p);
    if (p[0] == "model-versions") out = mlflow::ModelVersions(c, p);
  }
  // Every failure, a broken store's too (INTERNAL_ERROR, 500), in MLflow's shape: its client
  // reads error_code to decide, and retries a 500.
  if (!out) return MlflowErrorReply(out.error());
  return ApiReply{200, out->dump(), "application/json"};
}

}  // namespace hone::server
