// PostgresMetaStore: registered models, their versions and aliases, and the audit log. Every
// write holds the store lock (StoreLock) from its first statement to its commit, so numbering,
// compare-and-swap and the audit chain see no other writer in between.
#include <charconv>
#include <limits>
#include <string>
#include <vector>

#include "hone/store/audit.h"
#include "hone/store/monitor_fields.h"
#include "hone/store/postgres/connection.h"
#include "hone/store/postgres/postgres_meta_store.h"
#include "hone/store/postgres/queries.h"
#include "hone/store/postgres/schema.h"
#include "hone/store/store_errors.h"
#include "hone/store/version_fields.h"

namespace hone::store::postgres {
namespace {

using Tx = pqxx::transaction_base;

#define HONE_VERSION_COLUMNS                                                      \
  "model, version, bundle_digest, run_id, data_digest, code_commit, code_dirty, " \
  "config_digest, params, metrics, parent, description, created_ms, created_by"
constexpr Statement kVersion{
    "version", "SELECT " HONE_VERSION_COLUMNS " FROM versions WHERE model = $1 AND version = $2"};
// One statement per direction: ORDER BY an expression could not use the primary key's index
// and sorted every version of the model for a page of 100.
constexpr Statement kVersions{"versions", "SELECT " HONE_VERSION_COLUMNS
                                          " FROM versions WHERE model = $1 ORDER BY version "
                                          "LIMIT $2 OFFSET $3"};
constexpr Statement kVersionsNewestFirst{"versions_newest_first",
                                         "SELECT " HONE_VERSION_COLUMNS
                                         " FROM versions WHERE model = $1 ORDER BY version DESC "
                                         "LIMIT $2 OFFSET $3"};
constexpr Statement kInsertVersion{"insert_version", "INSERT INTO versions (" HONE_VERSION_COLUMNS
                                                     ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
                                                     "$9, $10, $11, $12, $13, $14)"};
#undef HONE_VERSION_COLUMNS
constexpr Statement kModel{"model",
                           "SELECT name, created_ms, latest_version FROM models WHERE name = $1"};
constexpr Statement kModels{"models",
                            "SELECT name, created_ms, latest_version FROM models ORDER BY name"};
constexpr Statement kSomeModelNames{"some_model_names",
                                    "SELECT name FROM models ORDER BY name LIMIT 20"};
constexpr Statement kUpsertModel{"upsert_model",
                                 "INSERT INTO models (name, created_ms, latest_version) VALUES "
                                 "($1, $2, $3) ON CONFLICT (name) DO UPDATE SET latest_version "
                                 "= excluded.latest_version"};
constexpr Statement kAliasTarget{"alias_target",
                                 "SELECT version FROM aliases WHERE model = $1 AND alias = $2"};
constexpr Statement kAliasState{
    "alias_state", "SELECT version, weight FROM aliases WHERE model = $1 AND alias = $2"};
constexpr Statement kAliasesOf{"aliases_of",
                               "SELECT alias, version, weight FROM aliases WHERE model = $1 "
                               "ORDER BY alias"};
constexpr Statement kAllAliases{"all_aliases", "SELECT model, alias, version, weight FROM aliases"};
// Weights travel as text (DoubleText): exact, whatever libpqxx's own formatting of a double.
constexpr Statement kUpsertAlias{
    "upsert_alias",
    "INSERT INTO aliases (model, alias, version, weight) VALUES ($1, $2, $3, "
    "$4::double precision) ON CONFLICT (model, alias) DO UPDATE SET version = "
    "excluded.version, weight = excluded.weight"};
constexpr Statement kDeleteAlias{"delete_alias",
                                 "DELETE FROM aliases WHERE model = $1 AND alias = $2"};
constexpr Statement kInsertMove{"insert_move",
                                "INSERT INTO alias_history (model, alias, from_version, "
                                "to_version, action, ts_ms, actor, weight) VALUES ($1, $2, $3, "
                                "$4, $5, $6, $7, $8::double precision) RETURNING id"};
constexpr Statement kMoves{"moves",
                           "SELECT id, from_version, to_version, action, ts_ms, actor, weight "
                           "FROM alias_history WHERE model = $1 AND alias = $2 ORDER BY id"};
// Delivered to every listener when the transaction commits (not at all when it rolls back).
constexpr Statement kNotifyAliasMoved{
    "notify_alias_moved", "SELECT pg_notify('hone_alias_moved', coalesce(current_schema(), ''))"};
constexpr Statement kCurrentSchema{"current_schema", "SELECT coalesce(current_schema(), '')"};
constexpr Statement kLastMove{"last_move", "SELECT coalesce(max(id), 0) FROM alias_history"};
constexpr Statement kLastAudit{"last_audit",
                               "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"};
constexpr Statement kInsertAudit{"insert_audit",
                                 "INSERT INTO audit (seq, ts_ms, actor, action, subject, before, "
                                 "after, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, "
                                 "$8, $9)"};
constexpr Statement kSetAuditHead{"set_audit_head",
                                  "INSERT INTO hone_meta (key, value) VALUES ('audit_head', $1) "
                                  "ON CONFLICT (key) DO UPDATE SET value = excluded.value"};
constexpr Statement kAudit{"audit",
                           "SELECT seq, ts_ms, actor, action, subject, before, after, prev_hash, "
                           "hash FROM audit WHERE seq > $1 AND seq < $2 ORDER BY seq LIMIT $3"};
constexpr Statement kAuditNewestFirst{
    "audit_newest_first",
    "SELECT seq, ts_ms, actor, action, subject, before, after, prev_hash, hash FROM audit "
    "WHERE seq > $1 AND seq < $2 ORDER BY seq DESC LIMIT $3"};
constexpr Statement kAuditHead{"audit_head",
                               "SELECT value FROM hone_meta WHERE key = 'audit_head'"};
constexpr Statement kStoreId{"store_id", "SELECT value FROM hone_meta WHERE key = 'store_id'"};
constexpr Statement kMakeStoreId{"make_store_id",
                                 "INSERT INTO hone_meta (key, value) VALUES ('store_id', $1) "
                                 "ON CONFLICT (key) DO NOTHING"};

Result<ModelVersion> ReadVersion(const pqxx::row& row) {
  ModelVersion v;
  v.model = Text(row[0]);
  v.version = Int(row[1]);
  v.bundle_digest = Text(row[2]);
  v.run_id = OptText(row[3]);
  v.data_digest = OptText(row[4]);
  v.code_commit = OptText(row[5]);
  v.code_dirty = OptBool(row[6]);
  v.config_digest = OptText(row[7]);
  const std::string where = "version " + VersionSubject(v.model, v.version);
  HONE_ASSIGN_OR_RETURN(v.params, DecodeParams(Text(row[8]), where + " params"));
  HONE_ASSIGN_OR_RETURN(v.metrics, DecodeMetrics(Text(row[9]), where + " metrics"));
  v.parent = OptInt(row[10]);
  v.description = Text(row[11]);
  v.created_ms = Int(row[12]);
  v.created_by = Text(row[13]);
  return v;
}

std::optional<double> OptDouble(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return Double(field);
}

std::optional<std::string> WeightText(std::optional<double> weight) {
  if (!weight) return std::nullopt;
  return DoubleText(*weight);
}

/// The model's row, or kNotFound naming (some of) the models there are.
Result<Model> RequireModel(Tx& tx, std::string_view model) {
  HONE_TRY(CheckName("model", model));
  const pqxx::result found = Exec(tx, kModel, std::string(model));
  if (!found.empty()) {
    return Model{Text(found[0][0]), Int(found[0][1]), Int(found[0][2]), {}, {}};
  }
  std::vector<std::string> known;
  for (const pqxx::row& row : Exec(tx, kSomeModelNames)) known.push_back(Text(row[0]));
  return Fail(UnknownModel(model, known));
}

std::optional<int64_t> AliasTarget(Tx& tx, std::string_view model, std::string_view alias) {
  const pqxx::result found = Exec(tx, kAliasTarget, std::string(model), std::string(alias));
  if (found.empty()) return std::nullopt;
  return Int(found[0][0]);
}

/// The aliases of `model` (alias → version); the weights of those that carry one go to
/// `weights` when it is given.
std::map<std::string, int64_t> AliasesOf(Tx& tx, std::string_view model,
                                         std::map<std::string, double>* weights = nullptr) {
  std::map<std::string, int64_t> aliases;
  for (const pqxx::row& row : Exec(tx, kAliasesOf, std::string(model))) {
    aliases.emplace(Text(row[0]), Int(row[1]));
    if (weights != nullptr && !row[2].is_null()) weights->emplace(Text(row[0]), Double(row[2]));
  }
  return aliases;
}

std::vector<std::string> Names(const std::map<std::string, int64_t>& aliases) {
  std::vector<std::string> names;
  for (const auto& [name, version] : aliases) names.push_back(name);
  return names;
}

Result<ModelVersion> VersionOf(Tx& tx, std::string_view model, int64_t version) {
  HONE_ASSIGN_OR_RETURN(Model m, RequireModel(tx, model));
  const pqxx::result found = Exec(tx, kVersion, std::string(model), version);
  if (found.empty()) {
    return Fail(UnknownVersion(model, version, m.latest_version));
  }
  HONE_ASSIGN_OR_RETURN(ModelVersion v, ReadVersion(found[0]));
  for (const auto& [alias, target] : AliasesOf(tx, model)) {
    if (target == version) v.aliases.push_back(alias);
  }
  return v;
}

}  // namespace

// The caller holds the store lock, so max(seq) + 1 is free and the previous hash is the head's.
AuditRecord ChainAudit(Tx& tx, AuditRecord r) {
  r.seq = 1;
  r.prev_hash = std::string(kAuditGenesis);
  const pqxx::result last = Exec(tx, kLastAudit);
  if (!last.empty()) {
    r.seq = Int(last[0][0]) + 1;
    r.prev_hash = Text(last[0][1]);
  }
  r.hash = AuditHash(r);
  Exec(tx, kInsertAudit, r.seq, r.ts_ms, r.actor, r.action, r.subject, r.before, r.after,
       r.prev_hash, r.hash);
  Exec(tx, kSetAuditHead, FormatAuditHead({r.seq, r.hash}));
  return r;
}

Result<ModelVersion> PostgresMetaStore::CreateVersion(const NewVersion& nv, const Actor& actor) {
  HONE_TRY(CheckName("model", nv.model));
  return conn_->Write([&](pqxx::work& tx) -> Result<ModelVersion> {
    StoreLock(tx);
    return InsertVersion(tx, nv, actor);
  });
}

Result<ModelVersion> InsertVersion(pqxx::transaction_base& tx, const NewVersion& nv,
                                   const Actor& actor) {
  HONE_TRY(CheckName("model", nv.model));
  {
    if (nv.run_id) HONE_TRY(RequireRun(tx, *nv.run_id));
    const TimeMs now = NowMs();
    const pqxx::result model = Exec(tx, kModel, nv.model);
    const int64_t number = model.empty() ? 1 : Int(model[0][2]) + 1;
    Exec(tx, kUpsertModel, nv.model, now, number);
    std::optional<int64_t> parent = nv.parent;
    if (parent) {
      if (*parent < 1 || *parent >= number) return Fail(UnknownParent(nv.model, *parent));
    } else {
      parent = AliasTarget(tx, nv.model, "production");
    }
    const ModelVersion v = VersionFromRequest(nv, number, parent, now, actor);
    Exec(tx, kInsertVersion, v.model, v.version, v.bundle_digest, v.run_id, v.data_digest,
         v.code_commit, v.code_dirty, v.config_digest, EncodeParams(v.params),
         EncodeMetrics(v.metrics), v.parent, v.description, v.created_ms, v.created_by);
    ChainAudit(tx, AuditRecord{.ts_ms = now,
                               .actor = actor.name,
                               .action = "register",
                               .subject = VersionSubject(v.model, v.version),
                               .before = "null",
                               .after = VersionAuditJson(v)});
    return v;
  }
}

Result<std::vector<Model>> PostgresMetaStore::ListModels() {
  return conn_->Read([&](ReadTx& tx) -> Result<std::vector<Model>> {
    std::vector<Model> models;
    std::map<std::string, size_t, std::less<>> index;
    for (const pqxx::row& row : Exec(tx, kModels)) {
      index.emplace(Text(row[0]), models.size());
      models.push_back(Model{Text(row[0]), Int(row[1]), Int(row[2]), {}, {}});
    }
    for (const pqxx::row& row : Exec(tx, kAllAliases)) {
      auto it = index.find(Text(row[0]));
      if (it == index.end()) continue;
      Model& m = models[it->second];
      m.aliases.emplace(Text(row[1]), Int(row[2]));
      if (!row[3].is_null()) m.alias_weights.emplace(Text(row[1]), Double(row[3]));
    }
    return models;
  });
}

Result<Model> PostgresMetaStore::GetModel(std::string_view name) {
  return conn_->Read([&](ReadTx& tx) -> Result<Model> {
    HONE_ASSIGN_OR_RETURN(Model m, RequireModel(tx, name));
    m.aliases = AliasesOf(tx, name, &m.alias_weights);
    return m;
  });
}

Result<ModelVersion> PostgresMetaStore::GetVersion(std::string_view model, int64_t version) {
  return conn_->Read(
      [&](ReadTx& tx) -> Result<ModelVersion> { return VersionOf(tx, model, version); });
}

Result<std::vector<ModelVersion>> PostgresMetaStore::ListVersions(std::string_view model,
                                                                  const VersionQuery& query) {
  return conn_->Read([&](ReadTx& tx) -> Result<std::vector<ModelVersion>> {
    HONE_TRY(RequireModel(tx, model));
    std::optional<int64_t> limit;  // NULL: LIMIT ALL
    if (query.limit) limit = SqlCount(query.limit);
    std::vector<ModelVersion> versions;
    for (const pqxx::row& row : Exec(tx, query.newest_first ? kVersionsNewestFirst : kVersions,
                                     std::string(model), limit, SqlCount(query.offset))) {
      HONE_ASSIGN_OR_RETURN(ModelVersion v, ReadVersion(row));
      versions.push_back(std::move(v));
    }
    for (const auto& [alias, target] : AliasesOf(tx, model)) {
      for (ModelVersion& v : versions) {
        if (v.version == target) v.aliases.push_back(alias);
      }
    }
    return versions;
  });
}

Result<int64_t> PostgresMetaStore::ResolveAlias(std::string_view model, std::string_view alias) {
  // The hot path (a server following its aliases) is one statement in autocommit: one round
  // trip instead of BEGIN, SELECT, COMMIT.
  HONE_ASSIGN_OR_RETURN(
      std::optional<int64_t> found,
      conn_->Single([&](pqxx::nontransaction& tx) -> Result<std::optional<int64_t>> {
        return AliasTarget(tx, model, alias);
      }));
  if (found) return *found;
  return conn_->Read([&](ReadTx& tx) -> Result<int64_t> {
    if (std::optional<int64_t> target = AliasTarget(tx, model, alias)) return *target;
    HONE_TRY(RequireModel(tx, model));
    HONE_TRY(CheckName("alias", alias));
    return Fail(UnknownAlias(model, alias, Names(AliasesOf(tx, model))));
  });
}

Result<AliasMove> PostgresMetaStore::MoveAlias(const AliasChange& c) {
  HONE_TRY(CheckName("model", c.model));
  HONE_TRY(CheckName("alias", c.alias));
  HONE_TRY(CheckAliasWeight(c));
  return conn_->Write([&](pqxx::work& tx) -> Result<AliasMove> {
    StoreLock(tx);
    HONE_TRY(RequireModel(tx, c.model));
    if (c.to) HONE_TRY(VersionOf(tx, c.model, *c.to));
    std::optional<int64_t> from;
    std::optional<double> from_weight;
    if (const pqxx::result found = Exec(tx, kAliasState, c.model, c.alias); !found.empty()) {
      from = Int(found[0][0]);
      from_weight = OptDouble(found[0][1]);
    }
    if (c.expect && *c.expect != from)
      return Fail(AliasMovedFirst(c.model, c.alias, from, *c.expect));
    if (!c.to && !from) {
      return Fail(UnknownAlias(c.model, c.alias, Names(AliasesOf(tx, c.model))));
    }
    AliasMove move{0, c.model, c.alias, from, c.to, c.action, NowMs(), c.actor.name, c.weight};
    if (c.to) {
      Exec(tx, kUpsertAlias, c.model, c.alias, *c.to, WeightText(c.weight));
    } else {
      Exec(tx, kDeleteAlias, c.model, c.alias);
    }
    move.id = Int(Exec(tx, kInsertMove, c.model, c.alias, from, c.to, c.action, move.ts_ms,
                       move.actor, WeightText(c.weight))[0][0]);
    ChainAudit(tx, AuditRecord{.ts_ms = move.ts_ms,
                               .actor = c.actor.name,
                               .action = c.action,
                               .subject = c.model + "@" + c.alias,
                               .before = AliasAuditJson(from, from_weight),
                               .after = AliasAuditJson(c.to, c.weight, c.forced)});
    Exec(tx, kNotifyAliasMoved);
    return move;
  });
}

Result<void> PostgresMetaStore::ListenForAliasMoves() {
  if (listening_) return {};
  HONE_ASSIGN_OR_RETURN(std::string schema,
                        conn_->Single([&](pqxx::nontransaction& tx) -> Result<std::string> {
                          return Text(Exec(tx, kCurrentSchema)[0][0]);
                        }));
  HONE_TRY(conn_->Listen("hone_alias_moved", std::move(schema)));
  listening_ = true;
  return {};
}

Result<int64_t> PostgresMetaStore::AliasChangeCounter() {
  // LISTEN first: a move committed after the counter is read is then notified to this
  // connection, so a WaitForAliasChange that follows sees it.
  HONE_TRY(ListenForAliasMoves());
  return conn_->Single(
      [&](pqxx::nontransaction& tx) -> Result<int64_t> { return Int(Exec(tx, kLastMove)[0][0]); });
}

Result<bool> PostgresMetaStore::WaitForAliasChange(std::chrono::milliseconds timeout) {
  HONE_TRY(ListenForAliasMoves());
  return conn_->AwaitNotification(timeout);
}

Result<std::vector<AliasMove>> PostgresMetaStore::AliasHistory(std::string_view model,
                                                               std::string_view alias) {
  return conn_->Read([&](ReadTx& tx) -> Result<std::vector<AliasMove>> {
    HONE_TRY(RequireModel(tx, model));
    std::vector<AliasMove> moves;
    for (const pqxx::row& row : Exec(tx, kMoves, std::string(model), std::string(alias))) {
      moves.push_back(AliasMove{Int(row[0]), std::string(model), std::string(alias), OptInt(row[1]),
                                OptInt(row[2]), Text(row[3]), Int(row[4]), Text(row[5]),
                                OptDouble(row[6])});
    }
    return moves;
  });
}

// --- audit ---

Result<std::vector<AuditRecord>> PostgresMetaStore::ListAudit(const AuditQuery& query) {
  return conn_->Read([&](ReadTx& tx) -> Result<std::vector<AuditRecord>> {
    std::optional<int64_t> limit;  // NULL: LIMIT ALL
    if (query.limit) limit = SqlCount(query.limit);
    std::vector<AuditRecord> records;
    const int64_t before =
        query.before_seq > 0 ? query.before_seq : std::numeric_limits<int64_t>::max();
    for (const pqxx::row& row : Exec(tx, query.newest_first ? kAuditNewestFirst : kAudit,
                                     query.after_seq, before, limit)) {
      records.push_back(AuditRecord{Int(row[0]), Int(row[1]), Text(row[2]), Text(row[3]),
                                    Text(row[4]), Text(row[5]), Text(row[6]), Text(row[7]),
                                    Text(row[8])});
    }
    return records;
  });
}

Result<AuditRecord> PostgresMetaStore::AppendAudit(std::string_view action,
                                                   std::string_view subject,
                                                   std::string_view before_json,
                                                   std::string_view after_json,
                                                   const Actor& actor) {
  HONE_TRY(CheckAuditAppend(action, subject, before_json, after_json));
  return conn_->Write([&](pqxx::work& tx) -> Result<AuditRecord> {
    StoreLock(tx);
    return ChainAudit(tx, AuditRecord{.ts_ms = NowMs(),
                                      .actor = actor.name,
                                      .action = std::string(action),
                                      .subject = std::string(subject),
                                      .before = std::string(before_json),
                                      .after = std::string(after_json)});
  });
}

Result<std::string> PostgresMetaStore::StoreId() {
  return conn_->Write([&](pqxx::work& tx) -> Result<std::string> {
    const pqxx::result found = Exec(tx, kStoreId);
    if (!found.empty()) return Text(found[0][0]);
    Exec(tx, kMakeStoreId, NewRunId());
    return Text(Exec(tx, kStoreId)[0][0]);
  });
}

Result<std::optional<AuditHead>> PostgresMetaStore::GetAuditHead() {
  return conn_->Read([&](ReadTx& tx) -> Result<std::optional<AuditHead>> {
    const pqxx::result found = Exec(tx, kAuditHead);
    if (found.empty()) return std::optional<AuditHead>();
    HONE_ASSIGN_OR_RETURN(AuditHead head, ParseAuditHead(Text(found[0][0]), Describe()));
    return std::optional<AuditHead>(std::move(head));
  });
}

}  // namespace hone::store::postgres
