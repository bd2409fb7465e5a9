// SqliteMetaStore: what MLflow's REST API keeps beyond hone's own records (migration 4).
#include <nlohmann/json.hpp>

#include "hone/store/audit.h"
#include "hone/store/sqlite/sqlite_meta_store.h"
#include "hone/store/store_errors.h"
#include "hone/store/version_fields.h"

namespace hone::store::sqlite {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kDefaultExperiment = "Default";

Experiment DefaultExperiment() {
  return Experiment{.id = "0", .name = std::string(kDefaultExperiment)};
}

std::string TagsJson(const std::map<std::string, std::string>& tags) { return EncodeParams(tags); }

Result<std::map<std::string, std::string>> TagsOf(const std::string& text, std::string_view where) {
  return DecodeParams(text, where);
}

std::string DetailsAuditJson(const std::string& description,
                             const std::map<std::string, std::string>& tags) {
  return Json{{"description", description}, {"tags", tags}}.dump();
}

}  // namespace

Result<Experiment> SqliteMetaStore::CreateExperiment(const Experiment& experiment) {
  HONE_TRY(CheckExperimentName(experiment.name));
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  {
    HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("SELECT id FROM mlflow_experiments WHERE name = ?"));
    HONE_ASSIGN_OR_RETURN(bool taken, s->Bind(1, experiment.name).Step());
    if (taken) {
      return Fail(ErrorCode::kConflict, "experiment '" + experiment.name + "' exists already (id " +
                                            std::to_string(s->Int(0)) + ")");
    }
  }
  Experiment e = experiment;
  if (e.created_ms == 0) e.created_ms = NowMs();
  if (e.updated_ms == 0) e.updated_ms = e.created_ms;
  HONE_ASSIGN_OR_RETURN(
      auto s, db_.Cached("INSERT INTO mlflow_experiments (name, artifact_location, deleted, "
                         "created_ms, updated_ms, tags) VALUES (?, ?, ?, ?, ?, ?)"));
  s->Bind(1, e.name).Bind(2, e.artifact_location).Bind(3, int64_t{e.deleted});
  HONE_TRY(s->Bind(4, e.created_ms).Bind(5, e.updated_ms).Bind(6, TagsJson(e.tags)).Run());
  e.id = std::to_string(db_.LastInsertRowId());
  HONE_TRY(tx.Commit());
  return e;
}

Result<std::vector<Experiment>> SqliteMetaStore::ListExperiments() {
  std::vector<Experiment> out = {DefaultExperiment()};
  HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("SELECT id, name, artifact_location, deleted, "
                                           "created_ms, updated_ms, tags FROM mlflow_experiments "
                                           "ORDER BY id"));
  while (true) {
    HONE_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    Experiment e{.id = std::to_string(s->Int(0)),
                 .name = s->Text(1),
                 .artifact_location = s->Text(2),
                 .deleted = s->Int(3) != 0,
                 .created_ms = s->Int(4),
                 .updated_ms = s->Int(5)};
    HONE_ASSIGN_OR_RETURN(e.tags, TagsOf(s->Text(6), "experiment " + e.id + "'s tags"));
    out.push_back(std::move(e));
  }
  return out;
}

Result<void> SqliteMetaStore::PutMlflowRun(const MlflowRunInfo& info) {
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  HONE_TRY(RequireRun(info.run_id));
  HONE_ASSIGN_OR_RETURN(
      auto s, db_.Cached("INSERT INTO mlflow_runs (run_id, experiment_id, run_name, deleted) "
                         "VALUES (?1, ?2, ?3, 0) ON CONFLICT (run_id) DO UPDATE SET "
                         "experiment_id = ?2, run_name = ?3"));
  HONE_TRY(s->Bind(1, info.run_id).Bind(2, info.experiment_id).Bind(3, info.run_name).Run());
  return tx.Commit();
}

Result<MlflowRunInfo> SqliteMetaStore::GetMlflowRun(std::string_view run_id) {
  HONE_TRY(RequireRun(run_id));
  HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("SELECT experiment_id, run_name, deleted FROM "
                                           "mlflow_runs WHERE run_id = ?"));
  MlflowRunInfo info{.run_id = std::string(run_id)};
  HONE_ASSIGN_OR_RETURN(bool row, s->Bind(1, run_id).Step());
  if (row) {
    info.experiment_id = s->Text(0);
    info.run_name = s->Text(1);
    info.deleted = s->Int(2) != 0;
  }
  return info;
}

Result<std::vector<MlflowRunInfo>> SqliteMetaStore::ListMlflowRuns() {
  HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("SELECT run_id, experiment_id, run_name, deleted FROM "
                                           "mlflow_runs ORDER BY run_id"));
  std::vector<MlflowRunInfo> out;
  while (true) {
    HONE_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    out.push_back({s->Text(0), s->Text(1), s->Text(2), s->Int(3) != 0});
  }
  return out;
}

Result<void> SqliteMetaStore::SetRunDeleted(std::string_view run_id, bool deleted,
                                            const Actor& actor) {
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  HONE_TRY(RequireRun(run_id));
  HONE_ASSIGN_OR_RETURN(
      auto s,
      db_.Cached("INSERT INTO mlflow_runs (run_id, experiment_id, run_name, deleted) "
                 "VALUES (?1, '0', '', ?2) ON CONFLICT (run_id) DO UPDATE SET deleted = ?2"));
  HONE_TRY(s->Bind(1, run_id).Bind(2, int64_t{deleted}).Run());
  const std::string state = Json{{"deleted", deleted}}.dump();
  HONE_TRY(AppendAuditRecord(actor, deleted ? "run-delete" : "run-restore",
                             "run:" + std::string(run_id), Json{{"deleted", !deleted}}.dump(),
                             state, NowMs()));
  return tx.Commit();
}

Result<Model> SqliteMetaStore::CreateModel(const ModelDetails& details, const Actor& actor) {
  HONE_TRY(CheckName("model", details.model));
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  {
    HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("SELECT 1 FROM models WHERE name = ?"));
    HONE_ASSIGN_OR_RETURN(bool taken, s->Bind(1, details.model).Step());
    if (taken) {
      return Fail(ErrorCode::kConflict, "model '" + details.model + "' exists already");
    }
  }
  const TimeMs now = NowMs();
  {
    HONE_ASSIGN_OR_RETURN(
        auto s,
        db_.Cached("INSERT INTO models (name, created_ms, latest_version) VALUES (?, ?, 0)"));
    HONE_TRY(s->Bind(1, details.model).Bind(2, now).Run());
  }
  HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("INSERT INTO model_details (model, description, "
                                           "tags, updated_ms) VALUES (?, ?, ?, ?)"));
  s->Bind(1, details.model).Bind(2, details.description).Bind(3, TagsJson(details.tags));
  HONE_TRY(s->Bind(4, now).Run());
  HONE_TRY(AppendAuditRecord(actor, "model-create", details.model, "null",
                             DetailsAuditJson(details.description, details.tags), now));
  HONE_TRY(tx.Commit());
  return Model{.name = details.model, .created_ms = now};
}

Result<ModelDetails> SqliteMetaStore::GetModelDetails(std::string_view model) {
  HONE_TRY(RequireModel(model));
  HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("SELECT description, tags, updated_ms FROM "
                                           "model_details WHERE model = ?"));
  ModelDetails d{.model = std::string(model)};
  HONE_ASSIGN_OR_RETURN(bool row, s->Bind(1, model).Step());
  if (row) {
    d.description = s->Text(0);
    HONE_ASSIGN_OR_RETURN(d.tags, TagsOf(s->Text(1), "model " + d.model + "'s tags"));
    d.updated_ms = s->Int(2);
  }
  return d;
}

Result<ModelDetails> SqliteMetaStore::PutModelDetails(const ModelDetails& details,
                                                      const Actor& actor) {
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  HONE_ASSIGN_OR_RETURN(ModelDetails before, GetModelDetails(details.model));
  ModelDetails d = details;
  d.updated_ms = NowMs();
  HONE_ASSIGN_OR_RETURN(
      auto s, db_.Cached("INSERT OR REPLACE INTO model_details (model, description, tags, "
                         "updated_ms) VALUES (?, ?, ?, ?)"));
  s->Bind(1, d.model).Bind(2, d.description).Bind(3, TagsJson(d.tags));
  HONE_TRY(s->Bind(4, d.updated_ms).Run());
  HONE_TRY(AppendAuditRecord(actor, "model-update", d.model,
                             DetailsAuditJson(before.description, before.tags),
                             DetailsAuditJson(d.description, d.tags), d.updated_ms));
  HONE_TRY(tx.Commit());
  return d;
}

Result<void> SqliteMetaStore::DeleteModel(std::string_view model, const Actor& actor) {
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  HONE_TRY(RequireModel(model));
  HONE_ASSIGN_OR_RETURN(std::vector<std::string> aliases, AliasNames(model));
  if (!aliases.empty()) {
    return Fail(ErrorCode::kConflict, "model '" + std::string(model) + "' still has aliases (" +
                                          JoinNames(aliases) + "); remove them before deleting it");
  }
  for (const char* sql :
       {"DELETE FROM version_details WHERE model = ?", "DELETE FROM versions WHERE model = ?",
        "DELETE FROM model_details WHERE model = ?", "DELETE FROM models WHERE name = ?"}) {
    HONE_ASSIGN_OR_RETURN(auto s, db_.Cached(sql));
    HONE_TRY(s->Bind(1, model).Run());
  }
  HONE_TRY(AppendAuditRecord(actor, "model-delete", std::string(model),
                             Json{{"model", model}}.dump(), "null", NowMs()));
  return tx.Commit();
}

Result<ModelVersion> SqliteMetaStore::CreateSourceVersion(const NewVersion& version,
                                                          const VersionDetails& details,
                                                          const Actor& actor) {
  if (!version.bundle_digest.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "a version registered by source URI has no bundle digest");
  }
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  HONE_ASSIGN_OR_RETURN(ModelVersion v, InsertVersion(version, actor));
  HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("INSERT INTO version_details (model, version, source, "
                                           "description, tags, updated_ms) VALUES "
                                           "(?, ?, ?, ?, ?, ?)"));
  s->Bind(1, v.model).Bind(2, v.version).Bind(3, details.source).Bind(4, details.description);
  HONE_TRY(s->Bind(5, TagsJson(details.tags)).Bind(6, v.created_ms).Run());
  HONE_TRY(tx.Commit());
  return v;
}

Result<VersionDetails> SqliteMetaStore::GetVersionDetails(std::string_view model, int64_t version) {
  HONE_ASSIGN_OR_RETURN(ModelVersion v, GetVersion(model, version));
  HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("SELECT source, description, tags, updated_ms FROM "
                                           "version_details WHERE model = ? AND version = ?"));
  VersionDetails d{.model = v.model, .version = v.version, .updated_ms = 0};
  HONE_ASSIGN_OR_RETURN(bool row, s->Bind(1, model).Bind(2, version).Step());
  if (row) {
    d.source = s->Text(0);
    d.description = s->OptText(1);
    HONE_ASSIGN_OR_RETURN(d.tags, TagsOf(s->Text(2), VersionSubject(model, version) + "'s tags"));
    d.updated_ms = s->Int(3);
  }
  return d;
}

Result<VersionDetails> SqliteMetaStore::PutVersionDetails(const VersionDetails& details,
                                                          const Actor& actor) {
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  HONE_ASSIGN_OR_RETURN(VersionDetails before, GetVersionDetails(details.model, details.version));
  VersionDetails d = details;
  d.source = before.source;
  d.updated_ms = NowMs();
  HONE_ASSIGN_OR_RETURN(
      auto s, db_.Cached("INSERT OR REPLACE INTO version_details (model, version, source, "
                         "description, tags, updated_ms) VALUES (?, ?, ?, ?, ?, ?)"));
  s->Bind(1, d.model).Bind(2, d.version).Bind(3, d.source).Bind(4, d.description);
  HONE_TRY(s->Bind(5, TagsJson(d.tags)).Bind(6, d.updated_ms).Run());
  HONE_TRY(AppendAuditRecord(actor, "version-update", VersionSubject(d.model, d.version),
                             DetailsAuditJson(before.description.value_or(""), before.tags),
                             DetailsAuditJson(d.description.value_or(""), d.tags), d.updated_ms));
  HONE_TRY(tx.Commit());
  return d;
}

Result<void> SqliteMetaStore::DeleteVersion(std::string_view model, int64_t version,
                                            const Actor& actor) {
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  HONE_ASSIGN_OR_RETURN(ModelVersion v, GetVersion(model, version));
  if (!v.aliases.empty()) {
    return Fail(ErrorCode::kConflict, VersionSubject(model, version) + " is where alias(es) " +
                                          JoinNames(v.aliases) +
                                          " point; move or remove them before deleting it");
  }
  for (const char* sql : {"DELETE FROM version_details WHERE model = ? AND version = ?",
                          "DELETE FROM versions WHERE model = ? AND version = ?"}) {
    HONE_ASSIGN_OR_RETURN(auto s, db_.Cached(sql));
    HONE_TRY(s->Bind(1, model).Bind(2, version).Run());
  }
  HONE_TRY(AppendAuditRecord(actor, "version-delete", VersionSubject(model, version),
                             VersionAuditJson(v), "null", NowMs()));
  return tx.Commit();
}

namespace {

std::string ExperimentAuditJson(const Experiment& e) {
  return Json{{"name", e.name}, {"tags", e.tags}}.dump();
}

Result<void> CheckInputs(std::span<const RunInput> inputs) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].name.empty() || inputs[i].digest.empty()) {
      return Fail(ErrorCode::kInvalidArgument,
                  "input " + std::to_string(i) + " needs a dataset name and digest");
    }
  }
  return {};
}

}  // namespace

Result<Experiment> SqliteMetaStore::PutExperiment(const Experiment& experiment,
                                                  const Actor& actor) {
  HONE_ASSIGN_OR_RETURN(int64_t id, ChangeableExperimentId(experiment.id));
  HONE_TRY(CheckExperimentName(experiment.name));
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  HONE_ASSIGN_OR_RETURN(std::vector<Experiment> all, ListExperiments());
  const Experiment* before = nullptr;
  for (const Experiment& e : all) {
    if (e.id == experiment.id) before = &e;
  }
  if (!before) return Fail(UnknownExperiment(experiment.id));
  for (const Experiment& e : all) {
    if (e.name == experiment.name && e.id != experiment.id) {
      return Fail(ErrorCode::kConflict,
                  "experiment '" + e.name + "' exists already (id " + e.id + ")");
    }
  }
  Experiment after = *before;
  after.name = experiment.name;
  after.tags = experiment.tags;
  after.updated_ms = NowMs();
  HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("UPDATE mlflow_experiments SET name = ?, tags = ?, "
                                           "updated_ms = ? WHERE id = ?"));
  HONE_TRY(s->Bind(1, after.name)
               .Bind(2, TagsJson(after.tags))
               .Bind(3, after.updated_ms)
               .Bind(4, id)
               .Run());
  HONE_TRY(AppendAuditRecord(actor, "experiment-update", "experiment:" + after.id,
                             ExperimentAuditJson(*before), ExperimentAuditJson(after),
                             after.updated_ms));
  HONE_TRY(tx.Commit());
  return after;
}

Result<void> SqliteMetaStore::SetExperimentDeleted(std::string_view id, bool deleted,
                                                   const Actor& actor) {
  HONE_ASSIGN_OR_RETURN(int64_t n, ChangeableExperimentId(id));
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  const TimeMs now = NowMs();
  {
    HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("UPDATE mlflow_experiments SET deleted = ?, "
                                             "updated_ms = ? WHERE id = ?"));
    HONE_TRY(s->Bind(1, int64_t{deleted}).Bind(2, now).Bind(3, n).Run());
    if (db_.Changes() == 0) return Fail(UnknownExperiment(id));
  }
  HONE_ASSIGN_OR_RETURN(auto s,
                        db_.Cached("UPDATE mlflow_runs SET deleted = ? WHERE experiment_id = ?"));
  HONE_TRY(s->Bind(1, int64_t{deleted}).Bind(2, std::to_string(n)).Run());
  const int64_t runs = db_.Changes();
  HONE_TRY(AppendAuditRecord(actor, deleted ? "experiment-delete" : "experiment-restore",
                             "experiment:" + std::to_string(n), Json{{"deleted", !deleted}}.dump(),
                             Json{{"deleted", deleted}, {"runs", runs}}.dump(), now));
  return tx.Commit();
}

Result<void> SqliteMetaStore::DeleteRunTag(std::string_view run_id, std::string_view key) {
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  HONE_TRY(RequireRun(run_id));
  HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("DELETE FROM tags WHERE run_id = ? AND key = ?"));
  HONE_TRY(s->Bind(1, run_id).Bind(2, key).Run());
  if (db_.Changes() == 0) {
    return Fail(ErrorCode::kNotFound,
                "No tag with name: " + std::string(key) + " in run with id " + std::string(run_id));
  }
  return tx.Commit();
}

Result<void> SqliteMetaStore::LogRunInputs(std::string_view run_id,
                                           std::span<const RunInput> inputs) {
  HONE_TRY(CheckInputs(inputs));
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  HONE_TRY(RequireRun(run_id));
  HONE_ASSIGN_OR_RETURN(
      auto s, db_.Cached("INSERT INTO mlflow_run_inputs (run_id, name, digest, source_type, "
                         "source, data_schema, data_profile, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                         "ON CONFLICT (run_id, name, digest) DO UPDATE SET source_type = "
                         "excluded.source_type, source = excluded.source, data_schema = "
                         "excluded.data_schema, data_profile = excluded.data_profile, tags = "
                         "excluded.tags"));
  for (const RunInput& in : inputs) {
    s->Bind(1, run_id).Bind(2, in.name).Bind(3, in.digest).Bind(4, in.source_type);
    HONE_TRY(s->Bind(5, in.source)
                 .Bind(6, in.schema)
                 .Bind(7, in.profile)
                 .Bind(8, TagsJson(in.tags))
                 .Run());
  }
  return tx.Commit();
}

Result<std::vector<RunInput>> SqliteMetaStore::ListRunInputs(std::string_view run_id) {
  HONE_TRY(RequireRun(run_id));
  HONE_ASSIGN_OR_RETURN(
      auto s, db_.Cached("SELECT name, digest, source_type, source, data_schema, data_profile, "
                         "tags FROM mlflow_run_inputs WHERE run_id = ? ORDER BY id"));
  s->Bind(1, run_id);
  std::vector<RunInput> out;
  while (true) {
    HONE_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    RunInput in{s->Text(0), s->Text(1), s->Text(2), s->Text(3), s->Text(4), s->Text(5), {}};
    HONE_ASSIGN_OR_RETURN(in.tags, TagsOf(s->Text(6), "input " + in.name + "'s tags"));
    out.push_back(std::move(in));
  }
  return out;
}

Result<Model> SqliteMetaStore::RenameModel(std::string_view from, std::string_view to,
                                           const Actor& actor) {
  HONE_TRY(CheckName("model", to));
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  HONE_TRY(RequireModel(from));
  {
    HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("SELECT 1 FROM models WHERE name = ?"));
    HONE_ASSIGN_OR_RETURN(bool taken, s->Bind(1, to).Step());
    if (taken) return Fail(ErrorCode::kConflict, "model '" + std::string(to) + "' exists already");
  }
  HONE_ASSIGN_OR_RETURN(std::vector<std::string> aliases, AliasNames(from));
  if (!aliases.empty()) {
    return Fail(ErrorCode::kConflict, "model '" + std::string(from) + "' still has aliases (" +
                                          JoinNames(aliases) + "); remove them before renaming it");
  }
  // The new rows first, then what refers to them, then the old rows: every foreign key holds
  // at every step.
  for (const char* sql : {
           "INSERT INTO models (name, created_ms, latest_version) SELECT ?2, created_ms, "
           "latest_version FROM models WHERE name = ?1",
           "INSERT INTO versions (model, version, bundle_digest, run_id, data_digest, code_commit, "
           "code_dirty, config_digest, params, metrics, parent, description, created_ms, "
           "created_by) SELECT ?2, version, bundle_digest, run_id, data_digest, code_commit, "
           "code_dirty, config_digest, params, metrics, parent, description, created_ms, "
           "created_by FROM versions WHERE model = ?1",
           "UPDATE version_details SET model = ?2 WHERE model = ?1",
           "UPDATE model_details SET model = ?2 WHERE model = ?1",
           "UPDATE alias_history SET model = ?2 WHERE model = ?1",
           "UPDATE monitor_windows SET model = ?2 WHERE model = ?1",
           "UPDATE predictions SET model = ?2 WHERE model = ?1",
       }) {
    HONE_ASSIGN_OR_RETURN(auto s, db_.Cached(sql));
    HONE_TRY(s->Bind(1, from).Bind(2, to).Run());
  }
  for (const char* sql :
       {"DELETE FROM versions WHERE model = ?", "DELETE FROM models WHERE name = ?"}) {
    HONE_ASSIGN_OR_RETURN(auto s, db_.Cached(sql));
    HONE_TRY(s->Bind(1, from).Run());
  }
  HONE_TRY(AppendAuditRecord(actor, "model-rename", std::string(from), Json{{"name", from}}.dump(),
                             Json{{"name", to}}.dump(), NowMs()));
  HONE_ASSIGN_OR_RETURN(Model m, GetModel(to));
  HONE_TRY(tx.Commit());
  return m;
}

}  // namespace hone::store::sqlite
