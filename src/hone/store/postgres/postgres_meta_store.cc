// PostgresMetaStore: opening the store, and runs. The registry and the audit log are in
// postgres_registry.cc.
#include "hone/store/postgres/postgres_meta_store.h"

#include <cstdlib>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <pqxx/tablewriter>

#include "hone/store/postgres/connection.h"
#include "hone/store/postgres/queries.h"
#include "hone/store/postgres/schema.h"
#include "hone/store/store_errors.h"

namespace hone::store::postgres {
namespace {

constexpr Statement kInsertRun{
    "insert_run",
    "INSERT INTO runs (id, command, status, start_ms, host, \"user\", code_commit, code_dirty, "
    "config_digest, data_digest) VALUES ($1, $2, 'running', $3, $4, $5, $6, $7, $8, $9)"};
constexpr Statement kEndRun{"end_run", "UPDATE runs SET status = $2, end_ms = $3 WHERE id = $1"};
// A later value of a key replaces the earlier one, as in the SQLite store.
constexpr Statement kUpsertParams{
    "upsert_params",
    "INSERT INTO params (run_id, key, value) SELECT $1, k, v FROM unnest($2::text[], "
    "$3::text[]) AS p (k, v) ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value"};
constexpr Statement kUpsertTags{
    "upsert_tags",
    "INSERT INTO tags (run_id, key, value) SELECT $1, k, v FROM unnest($2::text[], "
    "$3::text[]) AS t (k, v) ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value"};
constexpr Statement kUpsertArtifact{
    "upsert_artifact",
    "INSERT INTO run_artifacts (run_id, name, digest, bytes) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (run_id, name) DO UPDATE SET digest = excluded.digest, bytes = excluded.bytes"};

#define HONE_RUN_COLUMNS                                                             \
  "id, command, status, start_ms, end_ms, host, \"user\", code_commit, code_dirty, " \
  "config_digest, data_digest"
// A prefix is a range of the primary key (byte order: the column is COLLATE "C").
constexpr Statement kRunsByPrefix{"runs_by_prefix",
                                  "SELECT " HONE_RUN_COLUMNS
                                  " FROM runs WHERE id >= $1 AND id < $2 ORDER BY id LIMIT 6"};
constexpr Statement kListRuns{
    "list_runs", "SELECT " HONE_RUN_COLUMNS
                 " FROM runs WHERE ($1::text IS NULL OR id IN (SELECT run_id FROM versions WHERE "
                 "model = $1)) AND ($4::text IS NULL OR id IN (SELECT run_id FROM tags WHERE "
                 "key = $4 AND value = $5)) ORDER BY start_ms DESC, id LIMIT $2 OFFSET $3"};
#undef HONE_RUN_COLUMNS

constexpr Statement kParamsOf{"params_of",
                              "SELECT run_id, key, value FROM params WHERE run_id = ANY($1)"};
constexpr Statement kTagsOf{"tags_of",
                            "SELECT run_id, key, value FROM tags WHERE run_id = ANY($1)"};
constexpr Statement kArtifactsOf{"artifacts_of",
                                 "SELECT run_id, name, digest, bytes FROM run_artifacts "
                                 "WHERE run_id = ANY($1) ORDER BY run_id, name"};
// Rows of one batch tie on (key, step, ts_ms); their physical order (ctid) is the order they
// were logged in, as the table is only ever appended to.
constexpr Statement kAllMetricsOf{"all_metrics_of",
                                  "SELECT run_id, key, value, step, ts_ms FROM metrics "
                                  "WHERE run_id = ANY($1) ORDER BY run_id, key, step, ts_ms, ctid"};
// The latest value of each key: one index probe per (run, key), not a sort of every value the
// runs logged (a run's history may hold millions).
constexpr Statement kLatestMetricsOf{
    "latest_metrics_of",
    "SELECT k.run_id, k.key, m.value, m.step, m.ts_ms FROM (SELECT DISTINCT run_id, key FROM "
    "metrics WHERE run_id = ANY($1)) AS k CROSS JOIN LATERAL (SELECT value, step, ts_ms FROM "
    "metrics WHERE run_id = k.run_id AND key = k.key ORDER BY step DESC, ts_ms DESC, ctid DESC "
    "LIMIT 1) AS m ORDER BY k.run_id, k.key"};
constexpr Statement kReferencedDigests{"referenced_digests",
                                       "SELECT bundle_digest FROM versions WHERE bundle_digest <> "
                                       "'' UNION SELECT digest FROM run_artifacts"};

Result<Run> ReadRun(const pqxx::row& row) {
  Run r;
  r.id = Text(row[0]);
  r.start.command = Text(row[1]);
  HONE_ASSIGN_OR_RETURN(r.status, ParseRunStatus(Text(row[2])));
  r.start.start_ms = Int(row[3]);
  r.end_ms = OptInt(row[4]);
  r.start.host = Text(row[5]);
  r.start.user = Text(row[6]);
  r.start.code_commit = OptText(row[7]);
  r.start.code_dirty = OptBool(row[8]);
  r.start.config_digest = OptText(row[9]);
  r.start.data_digest = OptText(row[10]);
  return r;
}

/// Fills params, tags, artifacts and metrics (every value, or the latest of each key) of
/// `runs`, with one query per table for all of them.
void FillRunDetails(pqxx::transaction_base& tx, std::vector<Run>& runs, bool all_metrics) {
  if (runs.empty()) return;
  std::unordered_map<std::string, Run*> by_id;
  std::vector<std::string> ids;
  for (Run& run : runs) {
    by_id.emplace(run.id, &run);
    ids.push_back(run.id);
  }
  const std::string id_array = TextArray(ids);
  for (const pqxx::row& row : Exec(tx, kParamsOf, id_array)) {
    by_id.at(Text(row[0]))->params.emplace(Text(row[1]), Text(row[2]));
  }
  for (const pqxx::row& row : Exec(tx, kTagsOf, id_array)) {
    by_id.at(Text(row[0]))->tags.emplace(Text(row[1]), Text(row[2]));
  }
  for (const pqxx::row& row : Exec(tx, kArtifactsOf, id_array)) {
    by_id.at(Text(row[0]))
        ->artifacts.push_back(RunArtifact{Text(row[1]), Text(row[2]), Int(row[3])});
  }
  for (const pqxx::row& row : Exec(tx, all_metrics ? kAllMetricsOf : kLatestMetricsOf, id_array)) {
    by_id.at(Text(row[0]))
        ->metrics.push_back(Metric{Text(row[1]), Double(row[2]), Int(row[3]), Int(row[4])});
  }
}

/// Appends `text` to COPY's text format: backslash, tab, newline and carriage return escaped.
void AppendCopyText(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
}

/// Writes the batch with COPY, in the text format built here, in chunks of about a megabyte.
/// (libpqxx 6's stream_to escapes and sends row by row: several times slower per value.)
void CopyMetrics(pqxx::transaction_base& tx, std::string_view run_id,
                 std::span<const Metric> metrics, TimeMs now) {
  constexpr size_t kChunk = 1 << 20;
  std::string prefix;
  AppendCopyText(prefix, run_id);
  prefix += '\t';
  const std::vector<std::string> columns = {"run_id", "key", "step", "ts_ms", "value"};
  // tablewriter is deprecated in libpqxx 6 in favour of stream_to, but only it takes raw COPY
  // text; libpqxx 7 (Debian 13) will need this rewritten anyway.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  pqxx::tablewriter copy(tx, "metrics", columns.begin(), columns.end());
#pragma GCC diagnostic pop
  std::string chunk;
  chunk.reserve(kChunk + 256);
  for (const Metric& m : metrics) {
    if (!chunk.empty()) chunk += '\n';
    chunk += prefix;
    AppendCopyText(chunk, m.key);
    chunk += '\t';
    chunk += std::to_string(m.step);
    chunk += '\t';
    chunk += std::to_string(m.timestamp_ms ? m.timestamp_ms : now);
    chunk += '\t';
    chunk += DoubleText(m.value);
    if (chunk.size() >= kChunk) {
      copy.write_raw_line(chunk);  // it adds the last line's newline
      chunk.clear();
    }
  }
  if (!chunk.empty()) copy.write_raw_line(chunk);
  copy.complete();
}

}  // namespace

Result<std::unique_ptr<MetaStore>> PostgresMetaStore::Open(std::string_view url) {
  const char* password_file = std::getenv(kStorePasswordFileVariable);
  auto full = WithPasswordFromFile(url, password_file ? password_file : "");
  if (!full) return Fail(full.error().WithContext(kStorePasswordFileVariable));
  HONE_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, Connection::Open(*full));
  HONE_TRY(Migrate(*conn));
  return std::unique_ptr<MetaStore>(new PostgresMetaStore(std::move(conn)));
}

PostgresMetaStore::PostgresMetaStore(std::unique_ptr<Connection> conn) : conn_(std::move(conn)) {}
PostgresMetaStore::~PostgresMetaStore() = default;

std::string PostgresMetaStore::Describe() const { return conn_->description(); }

// --- runs ---

Result<std::string> PostgresMetaStore::CreateRun(const RunStart& start) {
  std::string id = NewRunId();
  return conn_->Write([&](pqxx::work& tx) -> Result<std::string> {
    Exec(tx, kInsertRun, id, start.command, start.start_ms ? start.start_ms : NowMs(), start.host,
         start.user, start.code_commit, start.code_dirty, start.config_digest, start.data_digest);
    return id;
  });
}

Result<void> PostgresMetaStore::EndRun(std::string_view run_id, RunStatus status, TimeMs end_ms) {
  return conn_->Write([&](pqxx::work& tx) -> Result<void> {
    if (Exec(tx, kEndRun, std::string(run_id), RunStatusName(status), end_ms).affected_rows() ==
        0) {
      return Fail(UnknownRun(run_id));
    }
    return {};
  });
}

namespace {

Result<void> UpsertPairs(Connection& conn, const Statement& statement, std::string_view run_id,
                         const std::map<std::string, std::string>& pairs) {
  std::vector<std::string> keys, values;
  for (const auto& [key, value] : pairs) {
    keys.push_back(key);
    values.push_back(value);
  }
  return conn.Write([&](pqxx::work& tx) -> Result<void> {
    HONE_TRY(RequireRun(tx, run_id));
    if (!pairs.empty()) {
      Exec(tx, statement, std::string(run_id), TextArray(keys), TextArray(values));
    }
    return {};
  });
}

}  // namespace

Result<void> PostgresMetaStore::LogParams(std::string_view run_id,
                                          const std::map<std::string, std::string>& params) {
  return UpsertPairs(*conn_, kUpsertParams, run_id, params);
}

Result<void> PostgresMetaStore::SetTags(std::string_view run_id,
                                        const std::map<std::string, std::string>& tags) {
  return UpsertPairs(*conn_, kUpsertTags, run_id, tags);
}

Result<void> PostgresMetaStore::LogMetrics(std::string_view run_id,
                                           std::span<const Metric> metrics) {
  const TimeMs now = NowMs();
  const std::string run(run_id);
  return conn_->Write([&](pqxx::work& tx) -> Result<void> {
    HONE_TRY(RequireRun(tx, run));
    if (metrics.empty()) return {};
    CopyMetrics(tx, run, metrics, now);
    return {};
  });
}

Result<void> PostgresMetaStore::LogArtifact(std::string_view run_id, const RunArtifact& artifact) {
  return conn_->Write([&](pqxx::work& tx) -> Result<void> {
    HONE_TRY(RequireRun(tx, run_id));
    Exec(tx, kUpsertArtifact, std::string(run_id), artifact.name, artifact.digest, artifact.bytes);
    return {};
  });
}

Result<Run> PostgresMetaStore::GetRun(std::string_view id_or_prefix) {
  HONE_TRY(CheckRunIdPrefix(id_or_prefix));
  const std::string prefix(id_or_prefix);
  return conn_->Read([&](ReadTx& tx) -> Result<Run> {
    std::vector<Run> matches;
    for (const pqxx::row& row : Exec(tx, kRunsByPrefix, prefix, prefix + "g")) {
      HONE_ASSIGN_OR_RETURN(Run run, ReadRun(row));
      matches.push_back(std::move(run));
    }
    if (matches.empty()) return Fail(UnknownRun(prefix));
    if (matches.size() > 1) {
      std::vector<std::string> ids;
      for (const Run& r : matches) ids.push_back(r.id);
      return Fail(AmbiguousRunPrefix(prefix, ids));
    }
    FillRunDetails(tx, matches, /*all_metrics=*/true);
    return std::move(matches[0]);
  });
}

Result<std::vector<Run>> PostgresMetaStore::ListRuns(const RunQuery& query) {
  return conn_->Read([&](ReadTx& tx) -> Result<std::vector<Run>> {
    std::vector<Run> runs;
    for (const pqxx::row& row :
         Exec(tx, kListRuns, query.model, SqlCount(query.limit), SqlCount(query.offset),
              query.tag ? std::optional<std::string>(query.tag->first) : std::nullopt,
              query.tag ? std::optional<std::string>(query.tag->second) : std::nullopt)) {
      HONE_ASSIGN_OR_RETURN(Run run, ReadRun(row));
      runs.push_back(std::move(run));
    }
    FillRunDetails(tx, runs, /*all_metrics=*/false);
    return runs;
  });
}

Result<std::set<std::string, std::less<>>> PostgresMetaStore::ReferencedDigests() {
  return conn_->Read([&](ReadTx& tx) -> Result<std::set<std::string, std::less<>>> {
    std::set<std::string, std::less<>> digests;
    for (const pqxx::row& row : Exec(tx, kReferencedDigests)) digests.insert(Text(row[0]));
    return digests;
  });
}

}  // namespace hone::store::postgres
