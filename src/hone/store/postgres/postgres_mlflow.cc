// PostgresMetaStore: what MLflow's REST API keeps beyond hone's own records (migration 4).
// Writes that touch the registry or the audit chain take the store lock, as the registry's do.
#include <nlohmann/json.hpp>

#include "hone/store/audit.h"
#include "hone/store/postgres/connection.h"
#include "hone/store/postgres/postgres_meta_store.h"
#include "hone/store/postgres/queries.h"
#include "hone/store/postgres/schema.h"
#include "hone/store/store_errors.h"
#include "hone/store/version_fields.h"

namespace hone::store::postgres {
namespace {

using Json = nlohmann::json;
using Tx = pqxx::transaction_base;

constexpr std::string_view kDefaultExperiment = "Default";

constexpr Statement kExperimentByName{"mlflow_experiment_by_name",
                                      "SELECT id FROM mlflow_experiments WHERE name = $1"};
constexpr Statement kInsertExperiment{
    "mlflow_insert_experiment",
    "INSERT INTO mlflow_experiments (name, artifact_location, deleted, created_ms, updated_ms, "
    "tags) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"};
constexpr Statement kExperiments{"mlflow_experiments",
                                 "SELECT id, name, artifact_location, deleted, created_ms, "
                                 "updated_ms, tags FROM mlflow_experiments ORDER BY id"};
constexpr Statement kRunExists{"mlflow_run_exists", "SELECT 1 FROM runs WHERE id = $1"};
constexpr Statement kPutRun{"mlflow_put_run",
                            "INSERT INTO mlflow_runs (run_id, experiment_id, run_name, deleted) "
                            "VALUES ($1, $2, $3, false) ON CONFLICT (run_id) DO UPDATE SET "
                            "experiment_id = excluded.experiment_id, run_name = excluded.run_name"};
constexpr Statement kMarkRun{"mlflow_mark_run",
                             "INSERT INTO mlflow_runs (run_id, experiment_id, run_name, deleted) "
                             "VALUES ($1, '0', '', $2) ON CONFLICT (run_id) DO UPDATE SET "
                             "deleted = excluded.deleted"};
constexpr Statement kRunInfo{
    "mlflow_run_info",
    "SELECT experiment_id, run_name, deleted FROM mlflow_runs WHERE run_id = $1"};
constexpr Statement kRunInfos{
    "mlflow_run_infos",
    "SELECT run_id, experiment_id, run_name, deleted FROM mlflow_runs ORDER BY run_id"};
constexpr Statement kModelExists{"mlflow_model_exists", "SELECT 1 FROM models WHERE name = $1"};
constexpr Statement kInsertModel{
    "mlflow_insert_model",
    "INSERT INTO models (name, created_ms, latest_version) VALUES ($1, $2, 0)"};
constexpr Statement kModelDetails{
    "mlflow_model_details",
    "SELECT description, tags, updated_ms FROM model_details WHERE model = $1"};
constexpr Statement kPutModelDetails{
    "mlflow_put_model_details",
    "INSERT INTO model_details (model, description, tags, updated_ms) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (model) DO UPDATE SET description = excluded.description, tags = "
    "excluded.tags, updated_ms = excluded.updated_ms"};
constexpr Statement kModelAliases{"mlflow_model_aliases",
                                  "SELECT alias FROM aliases WHERE model = $1 ORDER BY alias"};
constexpr Statement kDeleteModelVersionDetails{"mlflow_delete_model_version_details",
                                               "DELETE FROM version_details WHERE model = $1"};
constexpr Statement kDeleteModelVersions{"mlflow_delete_model_versions",
                                         "DELETE FROM versions WHERE model = $1"};
constexpr Statement kDeleteModelDetails{"mlflow_delete_model_details",
                                        "DELETE FROM model_details WHERE model = $1"};
constexpr Statement kDeleteModel{"mlflow_delete_model", "DELETE FROM models WHERE name = $1"};
constexpr Statement kVersionDetails{"mlflow_version_details",
                                    "SELECT source, description, tags, updated_ms FROM "
                                    "version_details WHERE model = $1 AND version = $2"};
constexpr Statement kPutVersionDetails{
    "mlflow_put_version_details",
    "INSERT INTO version_details (model, version, source, description, tags, updated_ms) VALUES "
    "($1, $2, $3, $4, $5, $6) ON CONFLICT (model, version) DO UPDATE SET description = "
    "excluded.description, tags = excluded.tags, updated_ms = excluded.updated_ms"};
constexpr Statement kDeleteVersionDetails{
    "mlflow_delete_version_details",
    "DELETE FROM version_details WHERE model = $1 AND version = $2"};
constexpr Statement kDeleteVersion{"mlflow_delete_version",
                                   "DELETE FROM versions WHERE model = $1 AND version = $2"};

std::string DetailsAuditJson(const std::string& description,
                             const std::map<std::string, std::string>& tags) {
  return Json{{"description", description}, {"tags", tags}}.dump();
}

Result<void> RequireRunHere(Tx& tx, std::string_view run_id) {
  if (Exec(tx, kRunExists, std::string(run_id)).empty()) return Fail(UnknownRun(run_id));
  return {};
}

Result<void> RequireModelHere(Tx& tx, std::string_view model) {
  if (Exec(tx, kModelExists, std::string(model)).empty()) return Fail(UnknownModel(model, {}));
  return {};
}

Result<ModelDetails> DetailsOf(Tx& tx, std::string_view model) {
  HONE_TRY(RequireModelHere(tx, model));
  ModelDetails d{.model = std::string(model)};
  const pqxx::result r = Exec(tx, kModelDetails, d.model);
  if (!r.empty()) {
    d.description = Text(r[0][0]);
    HONE_ASSIGN_OR_RETURN(d.tags, DecodeParams(Text(r[0][1]), "model " + d.model + "'s tags"));
    d.updated_ms = Int(r[0][2]);
  }
  return d;
}

Result<VersionDetails> VersionDetailsOf(Tx& tx, const ModelVersion& v) {
  VersionDetails d{.model = v.model, .version = v.version};
  const pqxx::result r = Exec(tx, kVersionDetails, v.model, v.version);
  if (!r.empty()) {
    d.source = Text(r[0][0]);
    d.description = OptText(r[0][1]);
    HONE_ASSIGN_OR_RETURN(
        d.tags, DecodeParams(Text(r[0][2]), VersionSubject(v.model, v.version) + "'s tags"));
    d.updated_ms = Int(r[0][3]);
  }
  return d;
}

}  // namespace

Result<Experiment> PostgresMetaStore::CreateExperiment(const Experiment& experiment) {
  HONE_TRY(CheckExperimentName(experiment.name));
  return conn_->Write([&](pqxx::work& tx) -> Result<Experiment> {
    StoreLock(tx);
    const pqxx::result taken = Exec(tx, kExperimentByName, experiment.name);
    if (!taken.empty()) {
      return Fail(ErrorCode::kConflict, "experiment '" + experiment.name + "' exists already (id " +
                                            Text(taken[0][0]) + ")");
    }
    Experiment e = experiment;
    if (e.created_ms == 0) e.created_ms = NowMs();
    if (e.updated_ms == 0) e.updated_ms = e.created_ms;
    const pqxx::result id = Exec(tx, kInsertExperiment, e.name, e.artifact_location, e.deleted,
                                 e.created_ms, e.updated_ms, EncodeParams(e.tags));
    e.id = std::to_string(Int(id[0][0]));
    return e;
  });
}

Result<std::vector<Experiment>> PostgresMetaStore::ListExperiments() {
  return conn_->Read([&](ReadTx& tx) -> Result<std::vector<Experiment>> {
    std::vector<Experiment> out = {Experiment{.id = "0", .name = std::string(kDefaultExperiment)}};
    for (const pqxx::row& row : Exec(tx, kExperiments)) {
      Experiment e{.id = std::to_string(Int(row[0])),
                   .name = Text(row[1]),
                   .artifact_location = Text(row[2]),
                   .deleted = OptBool(row[3]).value_or(false),
                   .created_ms = Int(row[4]),
                   .updated_ms = Int(row[5])};
      HONE_ASSIGN_OR_RETURN(e.tags, DecodeParams(Text(row[6]), "experiment " + e.id + "'s tags"));
      out.push_back(std::move(e));
    }
    return out;
  });
}

Result<void> PostgresMetaStore::PutMlflowRun(const MlflowRunInfo& info) {
  return conn_->Write([&](pqxx::work& tx) -> Result<void> {
    HONE_TRY(RequireRunHere(tx, info.run_id));
    Exec(tx, kPutRun, info.run_id, info.experiment_id, info.run_name);
    return {};
  });
}

Result<MlflowRunInfo> PostgresMetaStore::GetMlflowRun(std::string_view run_id) {
  return conn_->Read([&](ReadTx& tx) -> Result<MlflowRunInfo> {
    HONE_TRY(RequireRunHere(tx, run_id));
    MlflowRunInfo info{.run_id = std::string(run_id)};
    const pqxx::result r = Exec(tx, kRunInfo, info.run_id);
    if (!r.empty()) {
      info.experiment_id = Text(r[0][0]);
      info.run_name = Text(r[0][1]);
      info.deleted = OptBool(r[0][2]).value_or(false);
    }
    return info;
  });
}

Result<std::vector<MlflowRunInfo>> PostgresMetaStore::ListMlflowRuns() {
  return conn_->Read([&](ReadTx& tx) -> Result<std::vector<MlflowRunInfo>> {
    std::vector<MlflowRunInfo> out;
    for (const pqxx::row& row : Exec(tx, kRunInfos)) {
      out.push_back({Text(row[0]), Text(row[1]), Text(row[2]), OptBool(row[3]).value_or(false)});
    }
    return out;
  });
}

Result<void> PostgresMetaStore::SetRunDeleted(std::string_view run_id, bool deleted,
                                              const Actor& actor) {
  return conn_->Write([&](pqxx::work& tx) -> Result<void> {
    StoreLock(tx);
    HONE_TRY(RequireRunHere(tx, run_id));
    Exec(tx, kMarkRun, std::string(run_id), deleted);
    ChainAudit(tx, AuditRecord{.ts_ms = NowMs(),
                               .actor = actor.name,
                               .action = deleted ? "run-delete" : "run-restore",
                               .subject = "run:" + std::string(run_id),
                               .before = Json{{"deleted", !deleted}}.dump(),
                               .after = Json{{"deleted", deleted}}.dump()});
    return {};
  });
}

Result<Model> PostgresMetaStore::CreateModel(const ModelDetails& details, const Actor& actor) {
  HONE_TRY(CheckName("model", details.model));
  return conn_->Write([&](pqxx::work& tx) -> Result<Model> {
    StoreLock(tx);
    if (!Exec(tx, kModelExists, details.model).empty()) {
      return Fail(ErrorCode::kConflict, "model '" + details.model + "' exists already");
    }
    const TimeMs now = NowMs();
    Exec(tx, kInsertModel, details.model, now);
    Exec(tx, kPutModelDetails, details.model, details.description, EncodeParams(details.tags), now);
    ChainAudit(tx, AuditRecord{.ts_ms = now,
                               .actor = actor.name,
                               .action = "model-create",
                               .subject = details.model,
                               .before = "null",
                               .after = DetailsAuditJson(details.description, details.tags)});
    return Model{.name = details.model, .created_ms = now};
  });
}

Result<ModelDetails> PostgresMetaStore::GetModelDetails(std::string_view model) {
  return conn_->Read([&](ReadTx& tx) { return DetailsOf(tx, model); });
}

Result<ModelDetails> PostgresMetaStore::PutModelDetails(const ModelDetails& details,
                                                        const Actor& actor) {
  return conn_->Write([&](pqxx::work& tx) -> Result<ModelDetails> {
    StoreLock(tx);
    HONE_ASSIGN_OR_RETURN(ModelDetails before, DetailsOf(tx, details.model));
    ModelDetails d = details;
    d.updated_ms = NowMs();
    Exec(tx, kPutModelDetails, d.model, d.description, EncodeParams(d.tags), d.updated_ms);
    ChainAudit(tx, AuditRecord{.ts_ms = d.updated_ms,
                               .actor = actor.name,
                               .action = "model-update",
                               .subject = d.model,
                               .before = DetailsAuditJson(before.description, before.tags),
                               .after = DetailsAuditJson(d.description, d.tags)});
    return d;
  });
}

Result<void> PostgresMetaStore::DeleteModel(std::string_view model, const Actor& actor) {
  return conn_->Write([&](pqxx::work& tx) -> Result<void> {
    StoreLock(tx);
    HONE_TRY(RequireModelHere(tx, model));
    const std::string name(model);
    std::vector<std::string> aliases;
    for (const pqxx::row& row : Exec(tx, kModelAliases, name)) aliases.push_back(Text(row[0]));
    if (!aliases.empty()) {
      return Fail(ErrorCode::kConflict, "model '" + name + "' still has aliases (" +
                                            JoinNames(aliases) +
                                            "); remove them before deleting it");
    }
    for (const Statement& s :
         {kDeleteModelVersionDetails, kDeleteModelVersions, kDeleteModelDetails, kDeleteModel}) {
      Exec(tx, s, name);
    }
    ChainAudit(tx, AuditRecord{.ts_ms = NowMs(),
                               .actor = actor.name,
                               .action = "model-delete",
                               .subject = name,
                               .before = Json{{"model", name}}.dump(),
                               .after = "null"});
    return {};
  });
}

Result<ModelVersion> PostgresMetaStore::CreateSourceVersion(const NewVersion& version,
                                                            const VersionDetails& details,
                                                            const Actor& actor) {
  if (!version.bundle_digest.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "a version registered by source URI has no bundle digest");
  }
  return conn_->Write([&](pqxx::work& tx) -> Result<ModelVersion> {
    StoreLock(tx);
    HONE_ASSIGN_OR_RETURN(ModelVersion v, InsertVersion(tx, version, actor));
    Exec(tx, kPutVersionDetails, v.model, v.version, details.source, details.description,
         EncodeParams(details.tags), v.created_ms);
    return v;
  });
}

Result<VersionDetails> PostgresMetaStore::GetVersionDetails(std::string_view model,
                                                            int64_t version) {
  HONE_ASSIGN_OR_RETURN(ModelVersion v, GetVersion(model, version));
  return conn_->Read([&](ReadTx& tx) { return VersionDetailsOf(tx, v); });
}

Result<VersionDetails> PostgresMetaStore::PutVersionDetails(const VersionDetails& details,
                                                            const Actor& actor) {
  HONE_ASSIGN_OR_RETURN(ModelVersion v, GetVersion(details.model, details.version));
  return conn_->Write([&](pqxx::work& tx) -> Result<VersionDetails> {
    StoreLock(tx);
    HONE_ASSIGN_OR_RETURN(VersionDetails before, VersionDetailsOf(tx, v));
    VersionDetails d = details;
    d.source = before.source;
    d.updated_ms = NowMs();
    Exec(tx, kPutVersionDetails, d.model, d.version, d.source, d.description, EncodeParams(d.tags),
         d.updated_ms);
    ChainAudit(tx,
               AuditRecord{.ts_ms = d.updated_ms,
                           .actor = actor.name,
                           .action = "version-update",
                           .subject = VersionSubject(d.model, d.version),
                           .before = DetailsAuditJson(before.description.value_or(""), before.tags),
                           .after = DetailsAuditJson(d.description.value_or(""), d.tags)});
    return d;
  });
}

Result<void> PostgresMetaStore::DeleteVersion(std::string_view model, int64_t version,
                                              const Actor& actor) {
  HONE_ASSIGN_OR_RETURN(ModelVersion v, GetVersion(model, version));
  return conn_->Write([&](pqxx::work& tx) -> Result<void> {
    StoreLock(tx);
    // Under the lock: the aliases as they are now (GetVersion read them before it).
    const pqxx::result pointing =
        tx.exec_params("SELECT alias FROM aliases WHERE model = $1 AND version = $2 ORDER BY alias",
                       v.model, v.version);
    std::vector<std::string> here;
    for (const pqxx::row& row : pointing) here.push_back(Text(row[0]));
    if (!here.empty()) {
      return Fail(ErrorCode::kConflict, VersionSubject(model, version) + " is where alias(es) " +
                                            JoinNames(here) +
                                            " point; move or remove them before deleting it");
    }
    Exec(tx, kDeleteVersionDetails, v.model, v.version);
    const pqxx::result gone = Exec(tx, kDeleteVersion, v.model, v.version);
    if (gone.affected_rows() == 0) return Fail(UnknownVersion(model, version, version));
    ChainAudit(tx, AuditRecord{.ts_ms = NowMs(),
                               .actor = actor.name,
                               .action = "version-delete",
                               .subject = VersionSubject(v.model, v.version),
                               .before = VersionAuditJson(v),
                               .after = "null"});
    return {};
  });
}

namespace {

constexpr Statement kExperimentById{"mlflow_experiment_by_id",
                                    "SELECT name, tags, deleted, artifact_location, created_ms "
                                    "FROM mlflow_experiments WHERE id = $1"};
constexpr Statement kPutExperiment{
    "mlflow_put_experiment",
    "UPDATE mlflow_experiments SET name = $2, tags = $3, updated_ms = $4 WHERE id = $1"};
constexpr Statement kMarkExperiment{
    "mlflow_mark_experiment",
    "UPDATE mlflow_experiments SET deleted = $2, updated_ms = $3 WHERE id = $1"};
constexpr Statement kMarkExperimentRuns{
    "mlflow_mark_experiment_runs", "UPDATE mlflow_runs SET deleted = $2 WHERE experiment_id = $1"};
constexpr Statement kDeleteRunTag{"mlflow_delete_run_tag",
                                  "DELETE FROM tags WHERE run_id = $1 AND key = $2"};
constexpr Statement kPutRunInput{
    "mlflow_put_run_input",
    "INSERT INTO mlflow_run_inputs (run_id, name, digest, source_type, source, data_schema, "
    "data_profile, tags) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (run_id, name, "
    "digest) DO UPDATE SET source_type = excluded.source_type, source = excluded.source, "
    "data_schema = excluded.data_schema, data_profile = excluded.data_profile, tags = "
    "excluded.tags"};
constexpr Statement kRunInputs{"mlflow_run_inputs",
                               "SELECT name, digest, source_type, source, data_schema, "
                               "data_profile, tags FROM mlflow_run_inputs WHERE run_id = $1 "
                               "ORDER BY id"};
constexpr Statement kModelRow{"mlflow_model_row",
                              "SELECT created_ms, latest_version FROM models WHERE name = $1"};
// A rename: the new rows first, then what refers to them, then the old rows, so every foreign
// key holds at every step ($1: the old name, $2: the new).
constexpr Statement kRenameSteps[] = {
    {"mlflow_rename_model_row",
     "INSERT INTO models (name, created_ms, latest_version) SELECT $2, created_ms, "
     "latest_version FROM models WHERE name = $1"},
    {"mlflow_rename_versions",
     "INSERT INTO versions (model, version, bundle_digest, run_id, data_digest, code_commit, "
     "code_dirty, config_digest, params, metrics, parent, description, created_ms, created_by) "
     "SELECT $2, version, bundle_digest, run_id, data_digest, code_commit, code_dirty, "
     "config_digest, params, metrics, parent, description, created_ms, created_by FROM versions "
     "WHERE model = $1"},
    {"mlflow_rename_version_details", "UPDATE version_details SET model = $2 WHERE model = $1"},
    {"mlflow_rename_model_details", "UPDATE model_details SET model = $2 WHERE model = $1"},
    {"mlflow_rename_alias_history", "UPDATE alias_history SET model = $2 WHERE model = $1"},
    {"mlflow_rename_windows", "UPDATE monitor_windows SET model = $2 WHERE model = $1"},
    {"mlflow_rename_predictions", "UPDATE predictions SET model = $2 WHERE model = $1"},
};

std::string ExperimentAuditJson(const std::string& name,
                                const std::map<std::string, std::string>& tags) {
  return Json{{"name", name}, {"tags", tags}}.dump();
}

}  // namespace

Result<Experiment> PostgresMetaStore::PutExperiment(const Experiment& experiment,
                                                    const Actor& actor) {
  HONE_ASSIGN_OR_RETURN(int64_t id, ChangeableExperimentId(experiment.id));
  HONE_TRY(CheckExperimentName(experiment.name));
  return conn_->Write([&](pqxx::work& tx) -> Result<Experiment> {
    StoreLock(tx);
    const pqxx::result found = Exec(tx, kExperimentById, id);
    if (found.empty()) return Fail(UnknownExperiment(experiment.id));
    const pqxx::result taken = Exec(tx, kExperimentByName, experiment.name);
    if (!taken.empty() && Int(taken[0][0]) != id) {
      return Fail(ErrorCode::kConflict, "experiment '" + experiment.name + "' exists already (id " +
                                            Text(taken[0][0]) + ")");
    }
    Experiment before{.id = experiment.id,
                      .name = Text(found[0][0]),
                      .artifact_location = Text(found[0][3]),
                      .deleted = OptBool(found[0][2]).value_or(false),
                      .created_ms = Int(found[0][4])};
    HONE_ASSIGN_OR_RETURN(
        before.tags, DecodeParams(Text(found[0][1]), "experiment " + experiment.id + "'s tags"));
    Experiment after = before;
    after.name = experiment.name;
    after.tags = experiment.tags;
    after.updated_ms = NowMs();
    Exec(tx, kPutExperiment, id, after.name, EncodeParams(after.tags), after.updated_ms);
    ChainAudit(tx, AuditRecord{.ts_ms = after.updated_ms,
                               .actor = actor.name,
                               .action = "experiment-update",
                               .subject = "experiment:" + after.id,
                               .before = ExperimentAuditJson(before.name, before.tags),
                               .after = ExperimentAuditJson(after.name, after.tags)});
    return after;
  });
}

Result<void> PostgresMetaStore::SetExperimentDeleted(std::string_view id, bool deleted,
                                                     const Actor& actor) {
  HONE_ASSIGN_OR_RETURN(int64_t n, ChangeableExperimentId(id));
  return conn_->Write([&](pqxx::work& tx) -> Result<void> {
    StoreLock(tx);
    const TimeMs now = NowMs();
    if (Exec(tx, kMarkExperiment, n, deleted, now).affected_rows() == 0) {
      return Fail(UnknownExperiment(id));
    }
    const auto runs = static_cast<int64_t>(
        Exec(tx, kMarkExperimentRuns, std::to_string(n), deleted).affected_rows());
    ChainAudit(tx, AuditRecord{.ts_ms = now,
                               .actor = actor.name,
                               .action = deleted ? "experiment-delete" : "experiment-restore",
                               .subject = "experiment:" + std::to_string(n),
                               .before = Json{{"deleted", !deleted}}.dump(),
                               .after = Json{{"deleted", deleted}, {"runs", runs}}.dump()});
    return {};
  });
}

Result<void> PostgresMetaStore::DeleteRunTag(std::string_view run_id, std::string_view key) {
  return conn_->Write([&](pqxx::work& tx) -> Result<void> {
    HONE_TRY(RequireRun(tx, run_id));
    if (Exec(tx, kDeleteRunTag, std::string(run_id), std::string(key)).affected_rows() == 0) {
      return Fail(ErrorCode::kNotFound, "No tag with name: " + std::string(key) +
                                            " in run with id " + std::string(run_id));
    }
    return {};
  });
}

Result<void> PostgresMetaStore::LogRunInputs(std::string_view run_id,
                                             std::span<const RunInput> inputs) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].name.empty() || inputs[i].digest.empty()) {
      return Fail(ErrorCode::kInvalidArgument,
                  "input " + std::to_string(i) + " needs a dataset name and digest");
    }
  }
  return conn_->Write([&](pqxx::work& tx) -> Result<void> {
    HONE_TRY(RequireRun(tx, run_id));
    for (const RunInput& in : inputs) {
      Exec(tx, kPutRunInput, std::string(run_id), in.name, in.digest, in.source_type, in.source,
           in.schema, in.profile, EncodeParams(in.tags));
    }
    return {};
  });
}

Result<std::vector<RunInput>> PostgresMetaStore::ListRunInputs(std::string_view run_id) {
  return conn_->Read([&](ReadTx& tx) -> Result<std::vector<RunInput>> {
    HONE_TRY(RequireRunHere(tx, run_id));
    std::vector<RunInput> out;
    for (const pqxx::row& row : Exec(tx, kRunInputs, std::string(run_id))) {
      RunInput in{
          Text(row[0]), Text(row[1]), Text(row[2]), Text(row[3]), Text(row[4]), Text(row[5]), {}};
      HONE_ASSIGN_OR_RETURN(in.tags, DecodeParams(Text(row[6]), "input " + in.name + "'s tags"));
      out.push_back(std::move(in));
    }
    return out;
  });
}

Result<Model> PostgresMetaStore::RenameModel(std::string_view from, std::string_view to,
                                             const Actor& actor) {
  HONE_TRY(CheckName("model", to));
  return conn_->Write([&](pqxx::work& tx) -> Result<Model> {
    StoreLock(tx);
    const std::string old_name(from), new_name(to);
    HONE_TRY(RequireModelHere(tx, old_name));
    if (!Exec(tx, kModelExists, new_name).empty()) {
      return Fail(ErrorCode::kConflict, "model '" + new_name + "' exists already");
    }
    std::vector<std::string> aliases;
    for (const pqxx::row& row : Exec(tx, kModelAliases, old_name)) aliases.push_back(Text(row[0]));
    if (!aliases.empty()) {
      return Fail(ErrorCode::kConflict, "model '" + old_name + "' still has aliases (" +
                                            JoinNames(aliases) +
                                            "); remove them before renaming it");
    }
    const pqxx::result row = Exec(tx, kModelRow, old_name);
    for (const Statement& step : kRenameSteps) Exec(tx, step, old_name, new_name);
    Exec(tx, kDeleteModelVersions, old_name);
    Exec(tx, kDeleteModel, old_name);
    ChainAudit(tx, AuditRecord{.ts_ms = NowMs(),
                               .actor = actor.name,
                               .action = "model-rename",
                               .subject = old_name,
                               .before = Json{{"name", old_name}}.dump(),
                               .after = Json{{"name", new_name}}.dump()});
    return Model{.name = new_name, .created_ms = Int(row[0][0]), .latest_version = Int(row[0][1])};
  });
}

}  // namespace hone::store::postgres
