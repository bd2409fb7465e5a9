// SqliteMetaStore's registry half: models, versions, aliases, the audit log.
#include <algorithm>
#include <chrono>
#include <limits>
#include <thread>

#include "hone/store/audit.h"
#include "hone/store/monitor_fields.h"
#include "hone/store/sqlite/sqlite_meta_store.h"
#include "hone/store/store_errors.h"
#include "hone/store/version_fields.h"

namespace hone::store::sqlite {
namespace {

constexpr const char* kVersionColumns =
    "model, version, bundle_digest, run_id, data_digest, code_commit, code_dirty, "
    "config_digest, params, metrics, parent, description, created_ms, created_by";

Result<ModelVersion> ReadVersion(const Statement& s) {
  ModelVersion v;
  v.model = s.Text(0);
  v.version = s.Int(1);
  v.bundle_digest = s.Text(2);
  v.run_id = s.OptText(3);
  v.data_digest = s.OptText(4);
  v.code_commit = s.OptText(5);
  if (!s.IsNull(6)) v.code_dirty = s.Int(6) != 0;
  v.config_digest = s.OptText(7);
  const std::string where = "version " + VersionSubject(v.model, v.version);
  HONE_ASSIGN_OR_RETURN(v.params, DecodeParams(s.Text(8), where + " params"));
  HONE_ASSIGN_OR_RETURN(v.metrics, DecodeMetrics(s.Text(9), where + " metrics"));
  v.parent = s.OptInt(10);
  v.description = s.Text(11);
  v.created_ms = s.Int(12);
  v.created_by = s.Text(13);
  return v;
}

}  // namespace

// --- registry ---

Result<void> SqliteMetaStore::RequireModel(std::string_view model) {
  HONE_TRY(CheckName("model", model));
  HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("SELECT 1 FROM models WHERE name = ?"));
  HONE_ASSIGN_OR_RETURN(bool found, s->Bind(1, model).Step());
  if (found) return {};
  std::vector<std::string> known;
  HONE_ASSIGN_OR_RETURN(auto all, db_.Cached("SELECT name FROM models ORDER BY name LIMIT 20"));
  while (true) {
    HONE_ASSIGN_OR_RETURN(bool row, all->Step());
    if (!row) break;
    known.push_back(all->Text(0));
  }
  return Fail(UnknownModel(model, known));
}

Result<std::optional<int64_t>> SqliteMetaStore::AliasTarget(std::string_view model,
                                                            std::string_view alias) {
  HONE_ASSIGN_OR_RETURN(auto s,
                        db_.Cached("SELECT version FROM aliases WHERE model = ? AND alias = ?"));
  HONE_ASSIGN_OR_RETURN(bool found, s->Bind(1, model).Bind(2, alias).Step());
  if (!found) return std::optional<int64_t>();
  return std::optional<int64_t>(s->Int(0));
}

Result<std::vector<std::string>> SqliteMetaStore::AliasNames(std::string_view model) {
  HONE_ASSIGN_OR_RETURN(auto s,
                        db_.Cached("SELECT alias FROM aliases WHERE model = ? ORDER BY alias"));
  s->Bind(1, model);
  std::vector<std::string> names;
  while (true) {
    HONE_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    names.push_back(s->Text(0));
  }
  return names;
}

Result<AuditRecord> SqliteMetaStore::AppendAuditRecord(const Actor& actor, std::string_view action,
                                                       std::string subject, std::string before,
                                                       std::string after, TimeMs ts_ms) {
  AuditRecord r;
  r.prev_hash = std::string(kAuditGenesis);
  {
    HONE_ASSIGN_OR_RETURN(auto s,
                          db_.Cached("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"));
    HONE_ASSIGN_OR_RETURN(bool found, s->Step());
    if (found) {
      r.seq = s->Int(0);
      r.prev_hash = s->Text(1);
    }
  }
  r.seq += 1;
  r.ts_ms = ts_ms;
  r.actor = actor.name;
  r.action = std::string(action);
  r.subject = std::move(subject);
  r.before = std::move(before);
  r.after = std::move(after);
  r.hash = AuditHash(r);
  HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("INSERT INTO audit (seq, ts_ms, actor, action, "
                                           "subject, before, after, prev_hash, hash) VALUES "
                                           "(?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  s->Bind(1, r.seq).Bind(2, r.ts_ms).Bind(3, r.actor).Bind(4, r.action).Bind(5, r.subject);
  s->Bind(6, r.before).Bind(7, r.after).Bind(8, r.prev_hash).Bind(9, r.hash);
  HONE_TRY(s->Run());
  HONE_ASSIGN_OR_RETURN(
      auto head,
      db_.Cached("INSERT OR REPLACE INTO hone_meta (key, value) VALUES ('audit_head', ?)"));
  HONE_TRY(head->Bind(1, FormatAuditHead({r.seq, r.hash})).Run());
  return r;
}

Result<ModelVersion> SqliteMetaStore::CreateVersion(const NewVersion& nv, const Actor& actor) {
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  HONE_ASSIGN_OR_RETURN(ModelVersion v, InsertVersion(nv, actor));
  HONE_TRY(tx.Commit());
  return v;
}

Result<ModelVersion> SqliteMetaStore::InsertVersion(const NewVersion& nv, const Actor& actor) {
  HONE_TRY(CheckName("model", nv.model));
  if (nv.run_id) HONE_TRY(RequireRun(*nv.run_id));
  const TimeMs now = NowMs();
  int64_t number = 1;
  {
    HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("SELECT latest_version FROM models WHERE name = ?"));
    HONE_ASSIGN_OR_RETURN(bool found, s->Bind(1, nv.model).Step());
    if (found) number = s->Int(0) + 1;
  }
  {
    HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("INSERT INTO models (name, created_ms, "
                                             "latest_version) VALUES (?1, ?2, ?3) ON CONFLICT "
                                             "(name) DO UPDATE SET latest_version = ?3"));
    HONE_TRY(s->Bind(1, nv.model).Bind(2, now).Bind(3, number).Run());
  }
  std::optional<int64_t> parent = nv.parent;
  if (parent) {
    if (*parent < 1 || *parent >= number) return Fail(UnknownParent(nv.model, *parent));
  } else {
    HONE_ASSIGN_OR_RETURN(parent, AliasTarget(nv.model, "production"));
  }
  const ModelVersion v = VersionFromRequest(nv, number, parent, now, actor);
  {
    HONE_ASSIGN_OR_RETURN(
        auto s,
        db_.Cached("INSERT INTO versions (model, version, bundle_digest, run_id, data_digest, "
                   "code_commit, code_dirty, config_digest, params, metrics, parent, "
                   "description, created_ms, created_by) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    s->Bind(1, v.model).Bind(2, v.version).Bind(3, v.bundle_digest).Bind(4, v.run_id);
    s->Bind(5, v.data_digest).Bind(6, v.code_commit);
    if (v.code_dirty) {
      s->Bind(7, int64_t{*v.code_dirty});
    } else {
      s->BindNull(7);
    }
    s->Bind(8, v.config_digest).Bind(9, EncodeParams(v.params)).Bind(10, EncodeMetrics(v.metrics));
    s->Bind(11, v.parent).Bind(12, v.description).Bind(13, v.created_ms).Bind(14, v.created_by);
    HONE_TRY(s->Run());
  }
  HONE_TRY(AppendAuditRecord(actor, "register", VersionSubject(v.model, v.version), "null",
                             VersionAuditJson(v), now));
  return v;
}

Result<std::vector<Model>> SqliteMetaStore::ListModels() {
  std::vector<Model> models;
  {
    HONE_ASSIGN_OR_RETURN(
        auto s, db_.Cached("SELECT name, created_ms, latest_version FROM models ORDER BY name"));
    while (true) {
      HONE_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      models.push_back(Model{s->Text(0), s->Int(1), s->Int(2), {}, {}});
    }
  }
  HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("SELECT model, alias, version, weight FROM aliases"));
  while (true) {
    HONE_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    const std::string name = s->Text(0);
    auto it = std::lower_bound(models.begin(), models.end(), name,
                               [](const Model& m, const std::string& n) { return m.name < n; });
    if (it == models.end() || it->name != name) continue;
    it->aliases[s->Text(1)] = s->Int(2);
    if (!s->IsNull(3)) it->alias_weights[s->Text(1)] = s->Real(3);
  }
  return models;
}

Result<Model> SqliteMetaStore::GetModel(std::string_view name) {
  HONE_TRY(RequireModel(name));
  Model m;
  {
    HONE_ASSIGN_OR_RETURN(
        auto s, db_.Cached("SELECT name, created_ms, latest_version FROM models WHERE name = ?"));
    HONE_TRY(s->Bind(1, name).Step());
    m = Model{s->Text(0), s->Int(1), s->Int(2), {}, {}};
  }
  HONE_ASSIGN_OR_RETURN(auto s,
                        db_.Cached("SELECT alias, version, weight FROM aliases WHERE model = ?"));
  s->Bind(1, name);
  while (true) {
    HONE_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    m.aliases[s->Text(0)] = s->Int(1);
    if (!s->IsNull(2)) m.alias_weights[s->Text(0)] = s->Real(2);
  }
  return m;
}

Result<ModelVersion> SqliteMetaStore::GetVersion(std::string_view model, int64_t version) {
  HONE_TRY(RequireModel(model));
  static const std::string sql =
      std::string("SELECT ") + kVersionColumns + " FROM versions WHERE model = ? AND version = ?";
  std::optional<ModelVersion> found;
  {
    HONE_ASSIGN_OR_RETURN(auto s, db_.Cached(sql.c_str()));
    HONE_ASSIGN_OR_RETURN(bool row, s->Bind(1, model).Bind(2, version).Step());
    if (row) {
      HONE_ASSIGN_OR_RETURN(found, ReadVersion(*s));
    }
  }
  if (!found) {
    HONE_ASSIGN_OR_RETURN(Model m, GetModel(model));
    return Fail(UnknownVersion(model, version, m.latest_version));
  }
  HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("SELECT alias FROM aliases WHERE model = ? AND "
                                           "version = ? ORDER BY alias"));
  s->Bind(1, model).Bind(2, version);
  while (true) {
    HONE_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    found->aliases.push_back(s->Text(0));
  }
  return std::move(*found);
}

Result<std::vector<ModelVersion>> SqliteMetaStore::ListVersions(std::string_view model,
                                                                const VersionQuery& query) {
  HONE_TRY(RequireModel(model));
  static const std::string ascending = std::string("SELECT ") + kVersionColumns +
                                       " FROM versions WHERE model = ? ORDER BY version "
                                       "LIMIT ? OFFSET ?";
  static const std::string descending = std::string("SELECT ") + kVersionColumns +
                                        " FROM versions WHERE model = ? ORDER BY version DESC "
                                        "LIMIT ? OFFSET ?";
  std::vector<ModelVersion> versions;
  {
    HONE_ASSIGN_OR_RETURN(auto s,
                          db_.Cached(query.newest_first ? descending.c_str() : ascending.c_str()));
    s->Bind(1, model).Bind(2, query.limit ? static_cast<int64_t>(query.limit) : int64_t{-1});
    s->Bind(3, static_cast<int64_t>(query.offset));
    while (true) {
      HONE_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      HONE_ASSIGN_OR_RETURN(ModelVersion v, ReadVersion(*s));
      versions.push_back(std::move(v));
    }
  }
  HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("SELECT alias, version FROM aliases WHERE model = ? "
                                           "ORDER BY alias"));
  s->Bind(1, model);
  while (true) {
    HONE_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    const int64_t version = s->Int(1);
    for (ModelVersion& v : versions) {
      if (v.version == version) v.aliases.push_back(s->Text(0));
    }
  }
  return versions;
}

Result<int64_t> SqliteMetaStore::ResolveAlias(std::string_view model, std::string_view alias) {
  HONE_ASSIGN_OR_RETURN(std::optional<int64_t> target, AliasTarget(model, alias));
  if (target) return *target;
  HONE_TRY(RequireModel(model));
  HONE_TRY(CheckName("alias", alias));
  HONE_ASSIGN_OR_RETURN(std::vector<std::string> known, AliasNames(model));
  return Fail(UnknownAlias(model, alias, known));
}

Result<AliasMove> SqliteMetaStore::MoveAlias(const AliasChange& c) {
  HONE_TRY(CheckName("model", c.model));
  HONE_TRY(CheckName("alias", c.alias));
  HONE_TRY(CheckAliasWeight(c));
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  HONE_TRY(RequireModel(c.model));
  if (c.to) HONE_TRY(GetVersion(c.model, *c.to));
  std::optional<int64_t> from;
  std::optional<double> from_weight;
  {
    HONE_ASSIGN_OR_RETURN(
        auto s, db_.Cached("SELECT version, weight FROM aliases WHERE model = ? AND alias = ?"));
    HONE_ASSIGN_OR_RETURN(bool found, s->Bind(1, c.model).Bind(2, c.alias).Step());
    if (found) {
      from = s->Int(0);
      from_weight = s->OptReal(1);
    }
  }
  if (c.expect && *c.expect != from)
    return Fail(AliasMovedFirst(c.model, c.alias, from, *c.expect));
  if (!c.to && !from) {
    HONE_ASSIGN_OR_RETURN(std::vector<std::string> known, AliasNames(c.model));
    return Fail(UnknownAlias(c.model, c.alias, known));
  }
  AliasMove move{0, c.model, c.alias, from, c.to, c.action, NowMs(), c.actor.name, c.weight};
  if (c.to) {
    HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("INSERT OR REPLACE INTO aliases (model, alias, "
                                             "version, weight) VALUES (?, ?, ?, ?)"));
    HONE_TRY(s->Bind(1, c.model).Bind(2, c.alias).Bind(3, *c.to).Bind(4, c.weight).Run());
  } else {
    HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("DELETE FROM aliases WHERE model = ? AND alias = ?"));
    HONE_TRY(s->Bind(1, c.model).Bind(2, c.alias).Run());
  }
  {
    HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("INSERT INTO alias_history (model, alias, "
                                             "from_version, to_version, action, ts_ms, actor, "
                                             "weight) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    s->Bind(1, c.model).Bind(2, c.alias).Bind(3, from).Bind(4, c.to).Bind(5, c.action);
    HONE_TRY(s->Bind(6, move.ts_ms).Bind(7, move.actor).Bind(8, c.weight).Run());
    move.id = db_.LastInsertRowId();
  }
  HONE_TRY(AppendAuditRecord(c.actor, c.action, c.model + "@" + c.alias,
                             AliasAuditJson(from, from_weight),
                             AliasAuditJson(c.to, c.weight, c.forced), move.ts_ms));
  HONE_TRY(tx.Commit());
  return move;
}

Result<std::vector<AliasMove>> SqliteMetaStore::AliasHistory(std::string_view model,
                                                             std::string_view alias) {
  HONE_TRY(RequireModel(model));
  HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("SELECT id, from_version, to_version, action, ts_ms, "
                                           "actor, weight FROM alias_history WHERE model = ? "
                                           "AND alias = ? ORDER BY id"));
  s->Bind(1, model).Bind(2, alias);
  std::vector<AliasMove> moves;
  while (true) {
    HONE_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    moves.push_back(AliasMove{s->Int(0), std::string(model), std::string(alias), s->OptInt(1),
                              s->OptInt(2), s->Text(3), s->Int(4), s->Text(5), s->OptReal(6)});
  }
  return moves;
}

Result<int64_t> SqliteMetaStore::AliasChangeCounter() {
  // AUTOINCREMENT: ids are never reused, so the largest one only grows.
  HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("SELECT coalesce(max(id), 0) FROM alias_history"));
  HONE_ASSIGN_OR_RETURN(bool row, s->Step());
  return row ? s->Int(0) : 0;
}

Result<bool> SqliteMetaStore::WaitForAliasChange(std::chrono::milliseconds timeout) {
  if (timeout.count() > 0) std::this_thread::sleep_for(timeout);
  return false;
}

// --- audit and housekeeping ---

Result<std::vector<AuditRecord>> SqliteMetaStore::ListAudit(const AuditQuery& query) {
  static constexpr const char* kOldestFirst =
      "SELECT seq, ts_ms, actor, action, subject, before, after, prev_hash, hash FROM audit "
      "WHERE seq > ? AND seq < ? ORDER BY seq LIMIT ?";
  static constexpr const char* kNewestFirst =
      "SELECT seq, ts_ms, actor, action, subject, before, after, prev_hash, hash FROM audit "
      "WHERE seq > ? AND seq < ? ORDER BY seq DESC LIMIT ?";
  HONE_ASSIGN_OR_RETURN(auto s, db_.Cached(query.newest_first ? kNewestFirst : kOldestFirst));
  s->Bind(1, query.after_seq)
      .Bind(2, query.before_seq > 0 ? query.before_seq : std::numeric_limits<int64_t>::max())
      .Bind(3, query.limit ? static_cast<int64_t>(query.limit) : -1);
  std::vector<AuditRecord> records;
  while (true) {
    HONE_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    records.push_back(AuditRecord{s->Int(0), s->Int(1), s->Text(2), s->Text(3), s->Text(4),
                                  s->Text(5), s->Text(6), s->Text(7), s->Text(8)});
  }
  return records;
}

Result<AuditRecord> SqliteMetaStore::AppendAudit(std::string_view action, std::string_view subject,
                                                 std::string_view before_json,
                                                 std::string_view after_json, const Actor& actor) {
  HONE_TRY(CheckAuditAppend(action, subject, before_json, after_json));
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  HONE_ASSIGN_OR_RETURN(AuditRecord record, AppendAuditRecord(actor, action, std::string(subject),
                                                              std::string(before_json),
                                                              std::string(after_json), NowMs()));
  HONE_TRY(tx.Commit());
  return record;
}

Result<std::optional<AuditHead>> SqliteMetaStore::GetAuditHead() {
  HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("SELECT value FROM hone_meta WHERE key = 'audit_head'"));
  HONE_ASSIGN_OR_RETURN(bool found, s->Step());
  if (!found) return std::optional<AuditHead>();
  HONE_ASSIGN_OR_RETURN(AuditHead head, ParseAuditHead(s->Text(0), Describe()));
  return std::optional<AuditHead>(std::move(head));
}

Result<std::string> SqliteMetaStore::StoreId() {
  {
    HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("SELECT value FROM hone_meta WHERE key = 'store_id'"));
    HONE_ASSIGN_OR_RETURN(bool found, s->Step());
    if (found) return s->Text(0);
  }
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  {
    HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("INSERT OR IGNORE INTO hone_meta (key, value) "
                                             "VALUES ('store_id', ?)"));
    HONE_TRY(s->Bind(1, NewRunId()).Run());
  }
  std::string id;
  {
    HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("SELECT value FROM hone_meta WHERE key = 'store_id'"));
    HONE_TRY(s->Step());
    id = s->Text(0);
  }
  HONE_TRY(tx.Commit());
  return id;
}

Result<std::set<std::string, std::less<>>> SqliteMetaStore::ReferencedDigests() {
  HONE_ASSIGN_OR_RETURN(
      auto s, db_.Cached("SELECT bundle_digest FROM versions WHERE bundle_digest <> '' UNION "
                         "SELECT digest FROM run_artifacts"));
  std::set<std::string, std::less<>> digests;
  while (true) {
    HONE_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    digests.insert(s->Text(0));
  }
  return digests;
}

}  // namespace hone::store::sqlite
