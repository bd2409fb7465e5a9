// MLflow's model registry: registered models, model versions and aliases. A version created
// here has a source URI and no bundle, so `hone serve` cannot serve it and no gate blessed it;
// alias moves go through hone's own rule for protected aliases (hone_api.cc).
#include <algorithm>

#include "hone/server/mlflow_internal.h"
#include "hone/server/mlflow_search.h"

namespace hone::server::mlflow {
namespace {

using store::Role;

Result<int64_t> VersionArg(const Call& c) {
  HONE_ASSIGN_OR_RETURN(int64_t v, Int(c, "version"));
  return v;
}

Result<Json> VersionJson(Call& c, const store::ModelVersion& v) {
  HONE_ASSIGN_OR_RETURN(store::VersionDetails d, c.ctx.meta.GetVersionDetails(v.model, v.version));
  Json j{{"name", v.model},
         {"version", std::to_string(v.version)},
         {"creation_timestamp", v.created_ms},
         {"last_updated_timestamp", std::max(v.created_ms, d.updated_ms)},
         {"user_id", v.created_by},
         {"current_stage", "None"},
         {"description", d.description.value_or(v.description)},
         {"source", d.source},
         {"run_id", v.run_id.value_or("")},
         {"status", "READY"},
         {"run_link", ""},
         {"tags", KeyValueArray(d.tags)},
         {"aliases", v.aliases}};
  return j;
}

Result<Json> ModelJson(Call& c, const store::Model& m) {
  HONE_ASSIGN_OR_RETURN(store::ModelDetails d, c.ctx.meta.GetModelDetails(m.name));
  Json aliases = Json::array();
  for (const auto& [alias, version] : m.aliases) {
    aliases.push_back(Json{{"alias", alias}, {"version", std::to_string(version)}});
  }
  Json j{{"name", m.name},
         {"creation_timestamp", m.created_ms},
         {"last_updated_timestamp", std::max(m.created_ms, d.updated_ms)},
         {"description", d.description},
         {"tags", KeyValueArray(d.tags)},
         {"aliases", aliases},
         {"latest_versions", Json::array()}};
  if (m.latest_version > 0) {
    auto latest = c.ctx.meta.GetVersion(m.name, m.latest_version);
    if (latest) {
      HONE_ASSIGN_OR_RETURN(Json v, VersionJson(c, *latest));
      j["latest_versions"].push_back(std::move(v));
    }
  }
  return j;
}

// filter: name = '…', name LIKE '…', name ILIKE '…' (and, for versions, run_id = '…').
Result<std::vector<Clause>> NameFilter(const Call& c) {
  std::vector<Clause> clauses;
  auto f = OptStr(c, "filter");
  if (!f || f->empty()) return clauses;
  // The run grammar reads `name` as no identifier; spell it as an attribute for it.
  std::string text = *f;
  for (const char* key : {"name", "run_id"}) {
    if (text.starts_with(key))
      text = "attributes.run_" + std::string(key == std::string("name") ? "name" : "id") +
             text.substr(std::string(key).size());
  }
  HONE_ASSIGN_OR_RETURN(clauses, ParseRunFilter(text));
  return clauses;
}

bool NameMatches(const std::vector<Clause>& clauses, const std::string& name,
                 const std::string& run_id) {
  store::Run run;
  run.id = run_id;
  RunRow row{run, store::MlflowRunInfo{.run_name = name}};
  return Matches(row, clauses);
}

// Moves or removes an alias through hone's own alias endpoint, so the protected-alias rule
// (a blessed version, or an admin's force) is the one hone_api.cc enforces.
Result<Json> MoveAlias(Call& c, bool remove) {
  HONE_ASSIGN_OR_RETURN(std::string name, Str(c, "name"));
  HONE_ASSIGN_OR_RETURN(std::string alias, Str(c, "alias"));
  Json body{{"to", nullptr}, {"action", remove ? "alias-delete" : "promote"}};
  if (!remove) {
    HONE_ASSIGN_OR_RETURN(int64_t version, VersionArg(c));
    body["to"] = version;
    // An admin's move of a protected alias to a version no gate blessed is a force, and the
    // audit log says so; everyone else meets the rule.
    if (c.request.principal.role == Role::kAdmin && c.ctx.protected_aliases.contains(alias)) {
      HONE_ASSIGN_OR_RETURN(bool blessed, IsBlessed(c.ctx.meta, c.ctx.artifacts, name, version));
      body["force"] = !blessed;
    }
  }
  const std::string text = body.dump();
  ApiRequest inner{.method = "POST",
                   .path = {"models", name, "aliases", alias},
                   .body = text,
                   .principal = c.request.principal};
  HONE_ASSIGN_OR_RETURN(ApiReply reply, HandleHoneApi(c.ctx, inner));
  (void)reply;
  return Json::object();
}

// registered-models/get-latest-versions: hone has aliases, not stages, so every version's
// stage is "None"; the latest version answers for it (and for no stages given).
Result<Json> LatestVersions(Call& c, const std::string& name) {
  HONE_TRY(RequireRole(c.request.principal, Role::kViewer, "read versions"));
  std::vector<std::string> stages;
  if (c.in.contains("stages") && c.in["stages"].is_array()) {
    for (const Json& s : c.in["stages"]) {
      if (!s.is_string()) {
        return Fail(ErrorCode::kInvalidArgument, "Invalid value for parameter 'stages'");
      }
      stages.push_back(s.get<std::string>());
    }
  } else if (auto one = OptStr(c, "stages")) {
    stages.push_back(*one);  // a GET's query parameter
  }
  bool none = stages.empty();
  for (std::string stage : stages) {
    for (char& ch : stage) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (stage == "none") {
      none = true;
    } else if (stage != "staging" && stage != "production" && stage != "archived") {
      return Fail(ErrorCode::kInvalidArgument,
                  "Invalid Model Version stage: " + stage +
                      ". Value must be one of None, Staging, Production, Archived.");
    }
  }
  HONE_ASSIGN_OR_RETURN(store::Model m, c.ctx.meta.GetModel(name));
  Json out{{"model_versions", Json::array()}};
  if (none && m.latest_version > 0) {
    HONE_ASSIGN_OR_RETURN(auto latest,
                          c.ctx.meta.ListVersions(name, {.limit = 1, .newest_first = true}));
    for (const store::ModelVersion& v : latest) {
      HONE_ASSIGN_OR_RETURN(Json j, VersionJson(c, v));
      out["model_versions"].push_back(std::move(j));
    }
  }
  return out;
}

/// Applies `update` (the description), `set-tag` or `delete-tag` to the details `d` of a model
/// or a version.
template <typename Details>
Result<void> EditDetails(const Call& c, std::string_view op, Details& d) {
  if (op == "update") {
    if (auto desc = OptStr(c, "description")) d.description = *desc;
  } else if (op == "set-tag") {
    HONE_ASSIGN_OR_RETURN(std::string key, Str(c, "key"));
    HONE_ASSIGN_OR_RETURN(d.tags[key], Str(c, "value"));
  } else if (op == "delete-tag") {
    HONE_ASSIGN_OR_RETURN(std::string key, Str(c, "key"));
    d.tags.erase(key);
  } else {
    return Fail(NoEndpoint(c));
  }
  return {};
}

}  // namespace

Result<Json> RegisteredModels(Call& c, const std::vector<std::string>& p) {
  const std::string op = p.size() == 2 ? p[1] : "";
  const Principal& who = c.request.principal;
  store::MetaStore& meta = c.ctx.meta;
  const bool get = c.request.method == "GET";
  if (op == "alias") {
    if (get) {
      HONE_TRY(RequireRole(who, Role::kViewer, "read aliases"));
      HONE_ASSIGN_OR_RETURN(std::string name, Str(c, "name"));
      HONE_ASSIGN_OR_RETURN(std::string alias, Str(c, "alias"));
      HONE_ASSIGN_OR_RETURN(int64_t v, meta.ResolveAlias(name, alias));
      HONE_ASSIGN_OR_RETURN(store::ModelVersion mv, meta.GetVersion(name, v));
      HONE_ASSIGN_OR_RETURN(Json j, VersionJson(c, mv));
      return Json{{"model_version", j}};
    }
    return MoveAlias(c, c.request.method == "DELETE");
  }
  if (op == "search" || op == "list") {
    HONE_TRY(RequireRole(who, Role::kViewer, "read models"));
    HONE_ASSIGN_OR_RETURN(auto page, Page(c, 100, 1000));
    HONE_ASSIGN_OR_RETURN(std::vector<Clause> clauses, NameFilter(c));
    HONE_ASSIGN_OR_RETURN(std::vector<store::Model> models, meta.ListModels());
    std::vector<store::Model> kept;
    for (store::Model& m : models) {
      if (NameMatches(clauses, m.name, "")) kept.push_back(std::move(m));
    }
    Json out{{"registered_models", Json::array()}};
    for (size_t i = page.second; i < kept.size() && i < page.second + page.first; ++i) {
      HONE_ASSIGN_OR_RETURN(Json j, ModelJson(c, kept[i]));
      out["registered_models"].push_back(std::move(j));
    }
    SetNextPage(out, page.second, page.first, kept.size());
    return out;
  }
  HONE_ASSIGN_OR_RETURN(std::string name, Str(c, "name"));
  if (op == "get") {
    HONE_TRY(RequireRole(who, Role::kViewer, "read models"));
    HONE_ASSIGN_OR_RETURN(store::Model m, meta.GetModel(name));
    HONE_ASSIGN_OR_RETURN(Json j, ModelJson(c, m));
    return Json{{"registered_model", j}};
  }
  if (op == "get-latest-versions") return LatestVersions(c, name);
  if (op == "rename") {
    // The old name stops resolving, as after a delete: an admin's act.
    HONE_TRY(RequireRole(who, Role::kAdmin, "rename models"));
    HONE_ASSIGN_OR_RETURN(std::string to, Str(c, "new_name"));
    HONE_ASSIGN_OR_RETURN(store::Model m, meta.GetModel(name));
    if (!m.aliases.empty()) {
      std::string names;
      for (const auto& [alias, version] : m.aliases) names += (names.empty() ? "" : ", ") + alias;
      return Fail(ErrorCode::kInvalidArgument, "model '" + name + "' still has aliases (" + names +
                                                   "); remove them before renaming it");
    }
    HONE_ASSIGN_OR_RETURN(store::Model renamed, meta.RenameModel(name, to, c.actor()));
    HONE_ASSIGN_OR_RETURN(Json j, ModelJson(c, renamed));
    return Json{{"registered_model", j}};
  }
  if (op == "delete") {
    HONE_TRY(RequireRole(who, Role::kAdmin, "delete models"));
    auto done = meta.DeleteModel(name, c.actor());
    if (!done && done.error().code() == ErrorCode::kConflict) {
      return Fail(ErrorCode::kInvalidArgument, done.error().message());
    }
    HONE_TRY(done);
    return Json::object();
  }
  HONE_TRY(RequireRole(who, Role::kTrainer, "register and edit models"));
  if (op == "create") {
    store::ModelDetails d{.model = name, .description = OptStr(c, "description").value_or("")};
    HONE_ASSIGN_OR_RETURN(d.tags, KeyValues(c.in, "tags"));
    HONE_ASSIGN_OR_RETURN(store::Model m, meta.CreateModel(d, c.actor()));
    HONE_ASSIGN_OR_RETURN(Json j, ModelJson(c, m));
    return Json{{"registered_model", j}};
  }
  HONE_ASSIGN_OR_RETURN(store::ModelDetails d, meta.GetModelDetails(name));
  HONE_TRY(EditDetails(c, op, d));
  HONE_TRY(meta.PutModelDetails(d, c.actor()));
  if (op != "update") return Json::object();
  HONE_ASSIGN_OR_RETURN(store::Model m, meta.GetModel(name));
  HONE_ASSIGN_OR_RETURN(Json j, ModelJson(c, m));
  return Json{{"registered_model", j}};
}

Result<Json> ModelVersions(Call& c, const std::vector<std::string>& p) {
  const std::string op = p.size() == 2 ? p[1] : "";
  const Principal& who = c.request.principal;
  store::MetaStore& meta = c.ctx.meta;
  if (op == "search") {
    HONE_TRY(RequireRole(who, Role::kViewer, "read versions"));
    HONE_ASSIGN_OR_RETURN(auto page, Page(c, 10000, 200000));
    HONE_ASSIGN_OR_RETURN(std::vector<Clause> clauses, NameFilter(c));
    HONE_ASSIGN_OR_RETURN(std::vector<store::Model> models, meta.ListModels());
    std::vector<store::ModelVersion> kept;
    for (const store::Model& m : models) {
      HONE_ASSIGN_OR_RETURN(auto versions, meta.ListVersions(m.name, {.newest_first = true}));
      for (store::ModelVersion& v : versions) {
        if (NameMatches(clauses, v.model, v.run_id.value_or(""))) kept.push_back(std::move(v));
      }
    }
    Json out{{"model_versions", Json::array()}};
    for (size_t i = page.second; i < kept.size() && i < page.second + page.first; ++i) {
      HONE_ASSIGN_OR_RETURN(Json j, VersionJson(c, kept[i]));
      out["model_versions"].push_back(std::move(j));
    }
    SetNextPage(out, page.second, page.first, kept.size());
    return out;
  }
  HONE_ASSIGN_OR_RETURN(std::string name, Str(c, "name"));
  if (op == "create") {
    HONE_TRY(RequireRole(who, Role::kTrainer, "register versions"));
    HONE_ASSIGN_OR_RETURN(std::string source, Str(c, "source"));
    store::NewVersion nv{.model = name, .description = OptStr(c, "description").value_or("")};
    if (auto run = OptStr(c, "run_id"); run && !run->empty()) nv.run_id = *run;
    store::VersionDetails d{.model = name, .source = source};
    HONE_ASSIGN_OR_RETURN(d.tags, KeyValues(c.in, "tags"));
    // MLflow creates the model first; hone would create it on its first version, but keeps
    // MLflow's answer for a model nobody created.
    HONE_TRY(meta.GetModel(name));
    HONE_ASSIGN_OR_RETURN(store::ModelVersion v, meta.CreateSourceVersion(nv, d, c.actor()));
    HONE_ASSIGN_OR_RETURN(Json j, VersionJson(c, v));
    return Json{{"model_version", j}};
  }
  HONE_ASSIGN_OR_RETURN(int64_t version, VersionArg(c));
  if (op == "get") {
    HONE_TRY(RequireRole(who, Role::kViewer, "read versions"));
    HONE_ASSIGN_OR_RETURN(store::ModelVersion v, meta.GetVersion(name, version));
    HONE_ASSIGN_OR_RETURN(Json j, VersionJson(c, v));
    return Json{{"model_version", j}};
  }
  if (op == "get-download-uri") {
    HONE_TRY(RequireRole(who, Role::kViewer, "read versions"));
    HONE_ASSIGN_OR_RETURN(store::ModelVersion v, meta.GetVersion(name, version));
    HONE_ASSIGN_OR_RETURN(store::VersionDetails d, meta.GetVersionDetails(name, version));
    if (d.source.empty()) {
      return Fail(ErrorCode::kInvalidArgument,
                  "version " + std::to_string(version) + " of model '" + name +
                      "' was registered by hone as a bundle (digest " + v.bundle_digest +
                      "), not at an MLflow artifact URI: fetch it with hone "
                      "(GET /api/hone/v1/artifacts/" +
                      v.bundle_digest + ")");
    }
    return Json{{"artifact_uri", d.source}};
  }
  if (op == "delete") {
    HONE_TRY(RequireRole(who, Role::kAdmin, "delete versions"));
    auto done = meta.DeleteVersion(name, version, c.actor());
    if (!done && done.error().code() == ErrorCode::kConflict) {
      return Fail(ErrorCode::kInvalidArgument, done.error().message());
    }
    HONE_TRY(done);
    return Json::object();
  }
  HONE_TRY(RequireRole(who, Role::kTrainer, "edit versions"));
  HONE_ASSIGN_OR_RETURN(store::VersionDetails d, meta.GetVersionDetails(name, version));
  HONE_TRY(EditDetails(c, op, d));
  HONE_TRY(meta.PutVersionDetails(d, c.actor()));
  if (op != "update") return Json::object();
  HONE_ASSIGN_OR_RETURN(store::ModelVersion v, meta.GetVersion(name, version));
  HONE_ASSIGN_OR_RETURN(Json j, VersionJson(c, v));
  return Json{{"model_version", j}};
}

}  // namespace hone::server::mlflow
