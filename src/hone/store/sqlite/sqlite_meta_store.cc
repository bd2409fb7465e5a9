// SqliteMetaStore: opening the store, and runs with their params, tags, metrics and artifacts.
// The registry half is in sqlite_registry.cc.
#include "hone/store/sqlite/sqlite_meta_store.h"

#include <tuple>
#include <unordered_map>

#include "hone/store/sqlite/schema.h"
#include "hone/store/store_errors.h"

namespace hone::store::sqlite {

Result<std::unique_ptr<SqliteMetaStore>> SqliteMetaStore::Open(const std::filesystem::path& path,
                                                               bool must_exist) {
  HONE_ASSIGN_OR_RETURN(Database db, OpenStoreDatabase(path, must_exist));
  return std::unique_ptr<SqliteMetaStore>(new SqliteMetaStore(std::move(db)));
}

// --- runs ---

Result<void> SqliteMetaStore::RequireRun(std::string_view run_id) {
  HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("SELECT 1 FROM runs WHERE id = ?"));
  HONE_ASSIGN_OR_RETURN(bool found, s->Bind(1, run_id).Step());
  if (!found) return Fail(UnknownRun(run_id));
  return {};
}

Result<std::string> SqliteMetaStore::CreateRun(const RunStart& start) {
  std::string id = NewRunId();
  HONE_ASSIGN_OR_RETURN(auto s,
                        db_.Cached("INSERT INTO runs (id, command, status, start_ms, host, user, "
                                   "code_commit, code_dirty, config_digest, data_digest) "
                                   "VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)"));
  s->Bind(1, id).Bind(2, start.command).Bind(3, start.start_ms ? start.start_ms : NowMs());
  s->Bind(4, start.host).Bind(5, start.user).Bind(6, start.code_commit);
  if (start.code_dirty) {
    s->Bind(7, int64_t{*start.code_dirty});
  } else {
    s->BindNull(7);
  }
  s->Bind(8, start.config_digest).Bind(9, start.data_digest);
  HONE_TRY(s->Run());
  return id;
}

Result<void> SqliteMetaStore::EndRun(std::string_view run_id, RunStatus status, TimeMs end_ms) {
  HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("UPDATE runs SET status = ?, end_ms = ? WHERE id = ?"));
  HONE_TRY(s->Bind(1, RunStatusName(status)).Bind(2, end_ms).Bind(3, run_id).Run());
  if (db_.Changes() == 0) {
    return Fail(UnknownRun(run_id));
  }
  return {};
}

Result<void> SqliteMetaStore::LogParams(std::string_view run_id,
                                        const std::map<std::string, std::string>& params) {
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  HONE_TRY(RequireRun(run_id));
  HONE_ASSIGN_OR_RETURN(
      auto s, db_.Cached("INSERT OR REPLACE INTO params (run_id, key, value) VALUES (?, ?, ?)"));
  for (const auto& [key, value] : params) {
    HONE_TRY(s->Bind(1, run_id).Bind(2, key).Bind(3, value).Run());
  }
  return tx.Commit();
}

Result<void> SqliteMetaStore::SetTags(std::string_view run_id,
                                      const std::map<std::string, std::string>& tags) {
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  HONE_TRY(RequireRun(run_id));
  HONE_ASSIGN_OR_RETURN(
      auto s, db_.Cached("INSERT OR REPLACE INTO tags (run_id, key, value) VALUES (?, ?, ?)"));
  for (const auto& [key, value] : tags) {
    HONE_TRY(s->Bind(1, run_id).Bind(2, key).Bind(3, value).Run());
  }
  return tx.Commit();
}

namespace {
// Rows per INSERT for metric batches: one statement step per 64 rows instead of per row
// roughly halves the time of a large batch.
constexpr size_t kMetricRowsPerInsert = 64;
const std::string& MultiRowMetricInsert() {
  static const std::string sql = [] {
    std::string text = "INSERT INTO metrics (run_id, key, step, ts_ms, value) VALUES ";
    for (size_t i = 0; i < kMetricRowsPerInsert; ++i)
      text += i ? ", (?, ?, ?, ?, ?)" : "(?, ?, ?, ?, ?)";
    return text;
  }();
  return sql;
}
}  // namespace

Result<void> SqliteMetaStore::LogMetrics(std::string_view run_id, std::span<const Metric> metrics) {
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  HONE_TRY(RequireRun(run_id));
  const TimeMs now = NowMs();
  auto bind = [&](Statement& s, int first, const Metric& m) {
    s.Bind(first, run_id).Bind(first + 1, m.key).Bind(first + 2, m.step);
    s.Bind(first + 3, m.timestamp_ms ? m.timestamp_ms : now).Bind(first + 4, m.value);
  };
  size_t done = 0;
  if (metrics.size() >= kMetricRowsPerInsert) {
    HONE_ASSIGN_OR_RETURN(auto many, db_.Cached(MultiRowMetricInsert().c_str()));
    for (; done + kMetricRowsPerInsert <= metrics.size(); done += kMetricRowsPerInsert) {
      for (size_t i = 0; i < kMetricRowsPerInsert; ++i) {
        bind(*many, static_cast<int>(5 * i + 1), metrics[done + i]);
      }
      HONE_TRY(many->Run());
    }
  }
  HONE_ASSIGN_OR_RETURN(
      auto one,
      db_.Cached("INSERT INTO metrics (run_id, key, step, ts_ms, value) VALUES (?, ?, ?, ?, ?)"));
  for (; done < metrics.size(); ++done) {
    bind(*one, 1, metrics[done]);
    HONE_TRY(one->Run());
  }
  return tx.Commit();
}

Result<void> SqliteMetaStore::LogArtifact(std::string_view run_id, const RunArtifact& artifact) {
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  HONE_TRY(RequireRun(run_id));
  HONE_ASSIGN_OR_RETURN(
      auto s, db_.Cached("INSERT OR REPLACE INTO run_artifacts (run_id, name, digest, bytes) "
                         "VALUES (?, ?, ?, ?)"));
  HONE_TRY(s->Bind(1, run_id)
               .Bind(2, artifact.name)
               .Bind(3, artifact.digest)
               .Bind(4, artifact.bytes)
               .Run());
  return tx.Commit();
}

namespace {
// The columns ReadRun reads, in its order; a literal, so that queries stay literals (the
// statement cache is keyed by their address).
#define HONE_RUN_COLUMNS                                                         \
  "id, command, status, start_ms, end_ms, host, user, code_commit, code_dirty, " \
  "config_digest, data_digest"

Result<Run> ReadRun(const Statement& s) {
  Run r;
  r.id = s.Text(0);
  r.start.command = s.Text(1);
  HONE_ASSIGN_OR_RETURN(r.status, ParseRunStatus(s.Text(2)));
  r.start.start_ms = s.Int(3);
  r.end_ms = s.OptInt(4);
  r.start.host = s.Text(5);
  r.start.user = s.Text(6);
  r.start.code_commit = s.OptText(7);
  if (!s.IsNull(8)) r.start.code_dirty = s.Int(8) != 0;
  r.start.config_digest = s.OptText(9);
  r.start.data_digest = s.OptText(10);
  return r;
}
}  // namespace

Result<void> SqliteMetaStore::FillRunDetails(Run& run, bool all_metrics) {
  {
    HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("SELECT key, value FROM params WHERE run_id = ?"));
    s->Bind(1, run.id);
    while (true) {
      HONE_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      run.params.emplace(s->Text(0), s->Text(1));
    }
  }
  {
    HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("SELECT key, value FROM tags WHERE run_id = ?"));
    s->Bind(1, run.id);
    while (true) {
      HONE_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      run.tags.emplace(s->Text(0), s->Text(1));
    }
  }
  {
    // The latest value of a key: highest step, then latest time, then the last one logged.
    const char* sql = all_metrics
                          ? "SELECT key, value, step, ts_ms FROM metrics WHERE run_id = ? "
                            "ORDER BY key, step, ts_ms, rowid"
                          : "SELECT key, value, step, ts_ms FROM (SELECT key, value, step, ts_ms, "
                            "row_number() OVER (PARTITION BY key ORDER BY step DESC, ts_ms DESC, "
                            "rowid DESC) AS n FROM metrics WHERE run_id = ?) WHERE n = 1 "
                            "ORDER BY key";
    HONE_ASSIGN_OR_RETURN(auto s, db_.Cached(sql));
    s->Bind(1, run.id);
    while (true) {
      HONE_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      run.metrics.push_back(Metric{s->Text(0), s->Real(1), s->Int(2), s->Int(3)});
    }
  }
  {
    HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("SELECT name, digest, bytes FROM run_artifacts "
                                             "WHERE run_id = ? ORDER BY name"));
    s->Bind(1, run.id);
    while (true) {
      HONE_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      run.artifacts.push_back(RunArtifact{s->Text(0), s->Text(1), s->Int(2)});
    }
  }
  return {};
}

Result<Run> SqliteMetaStore::GetRun(std::string_view id_or_prefix) {
  HONE_TRY(CheckRunIdPrefix(id_or_prefix));
  // A range on the primary key, not LIKE: prefixes use the index.
  std::string upper(id_or_prefix);
  upper.push_back('g');  // sorts after every hex digit
  std::vector<Run> matches;
  {
    HONE_ASSIGN_OR_RETURN(auto s,
                          db_.Cached("SELECT " HONE_RUN_COLUMNS
                                     " FROM runs WHERE id >= ? AND id < ? ORDER BY id LIMIT 6"));
    s->Bind(1, id_or_prefix).Bind(2, upper);
    while (true) {
      HONE_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      HONE_ASSIGN_OR_RETURN(Run run, ReadRun(*s));
      matches.push_back(std::move(run));
    }
  }
  if (matches.empty()) return Fail(UnknownRun(id_or_prefix));
  if (matches.size() > 1) {
    std::vector<std::string> ids;
    for (const Run& r : matches) ids.push_back(r.id);
    return Fail(AmbiguousRunPrefix(id_or_prefix, ids));
  }
  HONE_TRY(FillRunDetails(matches[0], /*all_metrics=*/true));
  return std::move(matches[0]);
}

// The ids of the runs a RunQuery selects (?1 model, ?2 limit, ?3 offset, ?4 tag key, ?5 tag
// value), as ListRuns's own query selects them: the detail queries select from it, so that a
// listing costs five queries however many runs it holds, not four more per run.
#define HONE_LISTED_IDS                                                                       \
  "(SELECT id FROM runs WHERE (?1 IS NULL OR id IN (SELECT run_id FROM versions WHERE model " \
  "= ?1)) AND (?4 IS NULL OR id IN (SELECT run_id FROM tags WHERE key = ?4 AND value = ?5)) " \
  "ORDER BY start_ms DESC, id LIMIT ?2 OFFSET ?3)"

Result<std::vector<Run>> SqliteMetaStore::ListRuns(const RunQuery& query) {
  std::optional<std::string> tag_key, tag_value;
  if (query.tag) std::tie(tag_key, tag_value) = *query.tag;
  auto bind = [&](Statement& s) {
    s.Bind(1, query.model).Bind(2, static_cast<int64_t>(query.limit));
    s.Bind(3, static_cast<int64_t>(query.offset)).Bind(4, tag_key).Bind(5, tag_value);
  };
  // One read transaction: the five queries see the same runs, whatever is written meanwhile.
  HONE_TRY(db_.Exec("BEGIN"));
  struct EndRead {
    Database& db;
    ~EndRead() { (void)db.Exec("COMMIT"); }
  } end_read{db_};
  std::vector<Run> runs;
  std::unordered_map<std::string, Run*> by_id;
  {
    HONE_ASSIGN_OR_RETURN(
        auto s, db_.Cached("SELECT " HONE_RUN_COLUMNS
                           " FROM runs WHERE (?1 IS NULL OR id IN (SELECT run_id FROM versions "
                           "WHERE model = ?1)) AND (?4 IS NULL OR id IN (SELECT run_id FROM tags "
                           "WHERE key = ?4 AND value = ?5)) ORDER BY start_ms DESC, id LIMIT ?2 "
                           "OFFSET ?3"));
    bind(*s);
    while (true) {
      HONE_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      HONE_ASSIGN_OR_RETURN(Run run, ReadRun(*s));
      runs.push_back(std::move(run));
    }
  }
  if (runs.empty()) return runs;
  by_id.reserve(runs.size());
  for (Run& run : runs) by_id.emplace(run.id, &run);
  // The run a detail row belongs to: always one of the listing's, the transaction holding the
  // selection still; a stray row would be skipped.
  Run stray;
  auto owner = [&](const Statement& s) -> Run& {
    auto it = by_id.find(s.Text(0));
    return it == by_id.end() ? stray : *it->second;
  };
  {
    HONE_ASSIGN_OR_RETURN(
        auto s,
        db_.Cached("SELECT run_id, key, value FROM params WHERE run_id IN " HONE_LISTED_IDS));
    bind(*s);
    while (true) {
      HONE_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      owner(*s).params.emplace(s->Text(1), s->Text(2));
    }
  }
  {
    HONE_ASSIGN_OR_RETURN(
        auto s, db_.Cached("SELECT run_id, key, value FROM tags WHERE run_id IN " HONE_LISTED_IDS));
    bind(*s);
    while (true) {
      HONE_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      owner(*s).tags.emplace(s->Text(1), s->Text(2));
    }
  }
  {
    // The latest value of a key: highest step, then latest time, then the last one logged;
    // ordered by key within a run, as FillRunDetails orders them. One index probe per (run,
    // key) rather than a window over every value logged: a run's history may hold millions.
    HONE_ASSIGN_OR_RETURN(
        auto s,
        db_.Cached("SELECT m.run_id, m.key, m.value, m.step, m.ts_ms FROM (SELECT DISTINCT run_id, "
                   "key FROM metrics WHERE run_id IN " HONE_LISTED_IDS
                   ") AS k JOIN metrics AS m ON m.rowid = (SELECT rowid FROM metrics WHERE "
                   "run_id = k.run_id AND key = k.key ORDER BY step DESC, ts_ms DESC, rowid DESC "
                   "LIMIT 1) ORDER BY m.run_id, m.key"));
    bind(*s);
    while (true) {
      HONE_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      owner(*s).metrics.push_back(Metric{s->Text(1), s->Real(2), s->Int(3), s->Int(4)});
    }
  }
  {
    HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("SELECT run_id, name, digest, bytes FROM "
                                             "run_artifacts WHERE run_id IN " HONE_LISTED_IDS
                                             " ORDER BY run_id, name"));
    bind(*s);
    while (true) {
      HONE_ASSIGN_OR_RETURN(bool row, s->Step());
      if (!row) break;
      owner(*s).artifacts.push_back(RunArtifact{s->Text(1), s->Text(2), s->Int(3)});
    }
  }
  return runs;
}

#undef HONE_LISTED_IDS
#undef HONE_RUN_COLUMNS

}  // namespace hone::store::sqlite
