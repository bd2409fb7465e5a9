#include "hone/store/postgres/schema.h"

#include <array>
#include <charconv>
#include <string>

#include <pqxx/except>

namespace hone::store::postgres {
namespace {

// The SQLite store's migrations in PostgreSQL's dialect: INTEGER times and counts are BIGINT,
// REAL is DOUBLE PRECISION, the 0/1 flags are BOOLEAN, AUTOINCREMENT is an identity column.
// "user" is a reserved word here and is quoted. Times are milliseconds since the Unix epoch.
//
// Two differences, both for behaving like the SQLite store:
// - Text is COLLATE "C": it compares and sorts byte by byte, as SQLite's BINARY collation does,
//   whatever the database's locale ("B" before "a" in every listing of both backends), and
//   prefixes of run ids are exact ranges of the primary key.
// - metrics.run_id has no REFERENCES: a foreign key is checked by a trigger per row, which
//   more than halved the rate of LogMetrics (measured on a busy 2-core machine with COPY:
//   about 50k values a second with it, 110k-180k without). LogMetrics checks the run once per
//   batch instead, locking it FOR KEY SHARE as the foreign key's check does, in the same
//   transaction; without a way to delete runs, nothing needs the cascade.
constexpr std::array<std::string_view, 5> kMigrations = {
    // 1: runs with their parameters, metrics, tags and artifacts; registered models, their
    // immutable versions, aliases with their history; the hash-chained audit log.
    R"sql(
CREATE TABLE runs (
  id            TEXT COLLATE "C" PRIMARY KEY,
  command       TEXT COLLATE "C" NOT NULL,
  status        TEXT COLLATE "C" NOT NULL,
  start_ms      BIGINT NOT NULL,
  end_ms        BIGINT,
  host          TEXT COLLATE "C" NOT NULL,
  "user"        TEXT COLLATE "C" NOT NULL,
  code_commit   TEXT COLLATE "C",
  code_dirty    BOOLEAN,
  config_digest TEXT COLLATE "C",
  data_digest   TEXT COLLATE "C"
);
CREATE INDEX runs_by_start ON runs (start_ms);
CREATE TABLE params (
  run_id TEXT COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key    TEXT COLLATE "C" NOT NULL,
  value  TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (run_id, key)
);
CREATE TABLE metrics (
  run_id TEXT COLLATE "C" NOT NULL,
  key    TEXT COLLATE "C" NOT NULL,
  step   BIGINT NOT NULL,
  ts_ms  BIGINT NOT NULL,
  value  DOUBLE PRECISION NOT NULL
);
CREATE INDEX metrics_by_run_key ON metrics (run_id, key, step);
CREATE TABLE tags (
  run_id TEXT COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key    TEXT COLLATE "C" NOT NULL,
  value  TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (run_id, key)
);
CREATE TABLE run_artifacts (
  run_id TEXT COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  name   TEXT COLLATE "C" NOT NULL,
  digest TEXT COLLATE "C" NOT NULL,
  bytes  BIGINT NOT NULL,
  PRIMARY KEY (run_id, name)
);
CREATE TABLE models (
  name           TEXT COLLATE "C" PRIMARY KEY,
  created_ms     BIGINT NOT NULL,
  latest_version BIGINT NOT NULL
);
CREATE TABLE versions (
  model         TEXT COLLATE "C" NOT NULL REFERENCES models (name),
  version       BIGINT NOT NULL,
  bundle_digest TEXT COLLATE "C" NOT NULL,
  run_id        TEXT COLLATE "C" REFERENCES runs (id),
  data_digest   TEXT COLLATE "C",
  code_commit   TEXT COLLATE "C",
  code_dirty    BOOLEAN,
  config_digest TEXT COLLATE "C",
  params        TEXT COLLATE "C" NOT NULL,
  metrics       TEXT COLLATE "C" NOT NULL,
  parent        BIGINT,
  description   TEXT COLLATE "C" NOT NULL,
  created_ms    BIGINT NOT NULL,
  created_by    TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (model, version)
);
CREATE INDEX versions_by_run ON versions (run_id);
CREATE TABLE aliases (
  model   TEXT COLLATE "C" NOT NULL,
  alias   TEXT COLLATE "C" NOT NULL,
  version BIGINT NOT NULL,
  PRIMARY KEY (model, alias),
  FOREIGN KEY (model, version) REFERENCES versions (model, version)
);
CREATE TABLE alias_history (
  id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  model        TEXT COLLATE "C" NOT NULL,
  alias        TEXT COLLATE "C" NOT NULL,
  from_version BIGINT,
  to_version   BIGINT,
  action       TEXT COLLATE "C" NOT NULL,
  ts_ms        BIGINT NOT NULL,
  actor        TEXT COLLATE "C" NOT NULL
);
CREATE INDEX alias_history_by_alias ON alias_history (model, alias, id);
CREATE TABLE audit (
  seq       BIGINT PRIMARY KEY,
  ts_ms     BIGINT NOT NULL,
  actor     TEXT COLLATE "C" NOT NULL,
  action    TEXT COLLATE "C" NOT NULL,
  subject   TEXT COLLATE "C" NOT NULL,
  before    TEXT COLLATE "C" NOT NULL,
  after     TEXT COLLATE "C" NOT NULL,
  prev_hash TEXT COLLATE "C" NOT NULL,
  hash      TEXT COLLATE "C" NOT NULL
);
)sql",
    // 2: what the monitoring loop keeps: a traffic weight with an alias and its moves; leases
    // (one `hone watch` per model); the windows servers flush; a bounded log of predictions
    // with the labels that arrive later. Windows and predictions are read by model and time,
    // in the order they were written among equal times (the ids).
    R"sql(
ALTER TABLE aliases ADD COLUMN weight DOUBLE PRECISION;
ALTER TABLE alias_history ADD COLUMN weight DOUBLE PRECISION;
CREATE TABLE leases (
  name       TEXT COLLATE "C" PRIMARY KEY,
  holder     TEXT COLLATE "C" NOT NULL,
  expires_ms BIGINT NOT NULL
);
CREATE TABLE monitor_windows (
  id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  model     TEXT COLLATE "C" NOT NULL,
  version   BIGINT NOT NULL,
  start_ms  BIGINT NOT NULL,
  end_ms    BIGINT NOT NULL,
  server    TEXT COLLATE "C" NOT NULL,
  requests  BIGINT NOT NULL,
  errors    BIGINT NOT NULL,
  row_count BIGINT NOT NULL,
  summary   TEXT COLLATE "C" NOT NULL
);
CREATE INDEX monitor_windows_by_model_end ON monitor_windows (model, end_ms, id);
CREATE TABLE predictions (
  id         BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  model      TEXT COLLATE "C" NOT NULL,
  request_id TEXT COLLATE "C" NOT NULL,
  version    BIGINT NOT NULL,
  ts_ms      BIGINT NOT NULL,
  inputs     TEXT COLLATE "C" NOT NULL,
  output     TEXT COLLATE "C" NOT NULL,
  label      TEXT COLLATE "C",
  label_ms   BIGINT,
  UNIQUE (model, request_id)
);
CREATE INDEX predictions_by_model_time ON predictions (model, ts_ms, id);
)sql",
    // 3: API tokens for team mode (`hone server`): a salted hash of each secret, never the
    // secret; a name names one token until it is revoked.
    R"sql(
CREATE TABLE api_tokens (
  seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id         TEXT COLLATE "C" NOT NULL UNIQUE,
  name       TEXT COLLATE "C" NOT NULL,
  role       TEXT COLLATE "C" NOT NULL,
  salt       TEXT COLLATE "C" NOT NULL,
  hash       TEXT COLLATE "C" NOT NULL,
  created_ms BIGINT NOT NULL,
  created_by TEXT COLLATE "C" NOT NULL,
  revoked_ms BIGINT
);
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_ms IS NULL;
)sql",
    // 4: what MLflow's REST API keeps beyond hone's records: experiments (tags as a JSON
    // object), a run's experiment, name and deletion mark, a model's description and tags, a
    // version's source URI, description and tags.
    R"sql(
CREATE TABLE mlflow_experiments (
  id                BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  name              TEXT COLLATE "C" NOT NULL UNIQUE,
  artifact_location TEXT COLLATE "C" NOT NULL,
  deleted           BOOLEAN NOT NULL,
  created_ms        BIGINT NOT NULL,
  updated_ms        BIGINT NOT NULL,
  tags              TEXT COLLATE "C" NOT NULL
);
CREATE TABLE mlflow_runs (
  run_id        TEXT COLLATE "C" PRIMARY KEY REFERENCES runs (id),
  experiment_id TEXT COLLATE "C" NOT NULL,
  run_name      TEXT COLLATE "C" NOT NULL,
  deleted       BOOLEAN NOT NULL
);
CREATE TABLE model_details (
  model       TEXT COLLATE "C" PRIMARY KEY REFERENCES models (name),
  description TEXT COLLATE "C" NOT NULL,
  tags        TEXT COLLATE "C" NOT NULL,
  updated_ms  BIGINT NOT NULL
);
CREATE TABLE version_details (
  model       TEXT COLLATE "C" NOT NULL,
  version     BIGINT NOT NULL,
  source      TEXT COLLATE "C" NOT NULL,
  description TEXT COLLATE "C",
  tags        TEXT COLLATE "C" NOT NULL,
  updated_ms  BIGINT NOT NULL,
  PRIMARY KEY (model, version),
  FOREIGN KEY (model, version) REFERENCES versions (model, version)
);
)sql",
    // 5: the datasets a run used, as MLflow's runs/log-inputs names them (one per name and
    // digest; schema and profile are the client's JSON texts; tags as a JSON object).
    R"sql(
CREATE TABLE mlflow_run_inputs (
  id           BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  run_id       TEXT COLLATE "C" NOT NULL REFERENCES runs (id),
  name         TEXT COLLATE "C" NOT NULL,
  digest       TEXT COLLATE "C" NOT NULL,
  source_type  TEXT COLLATE "C" NOT NULL,
  source       TEXT COLLATE "C" NOT NULL,
  data_schema  TEXT COLLATE "C" NOT NULL,
  data_profile TEXT COLLATE "C" NOT NULL,
  tags         TEXT COLLATE "C" NOT NULL,
  UNIQUE (run_id, name, digest)
);
)sql",
};

// "hone" in ASCII: the advisory-lock class of every hone store.
constexpr int kHoneLockKey = 0x686f6e65;

constexpr Statement kLock{
    "hone_lock", "SELECT pg_advisory_xact_lock($1, hashtext(coalesce(current_schema(), '')))"};

// The schema tables are created in, and whether it already holds a store. The check looks in
// that schema only: a hone_meta elsewhere on the search_path belongs to another store.
constexpr std::string_view kWhere =
    "SELECT current_schema(), EXISTS (SELECT 1 FROM pg_catalog.pg_tables "
    "WHERE schemaname = current_schema() AND tablename = 'hone_meta')";

Result<int> StoredVersion(pqxx::transaction_base& tx, const std::string& store) {
  pqxx::result row = tx.exec("SELECT value FROM hone_meta WHERE key = 'schema_version'");
  if (row.empty()) return 0;
  const std::string text = Text(row[0][0]);
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) {
    return Fail(ErrorCode::kCorrupt, "PostgreSQL store '" + store +
                                         "' records a schema version that is not one: '" + text +
                                         "'");
  }
  return value;
}

}  // namespace

std::span<const std::string_view> Migrations() { return kMigrations; }
int SchemaVersion() { return static_cast<int>(kMigrations.size()); }

void StoreLock(pqxx::transaction_base& tx) { Exec(tx, kLock, kHoneLockKey); }

Result<void> Migrate(Connection& conn) {
  const std::string& store = conn.description();
  return conn.Write([&](pqxx::work& tx) -> Result<void> {
    StoreLock(tx);
    const pqxx::row where = tx.exec1(std::string(kWhere));
    if (where[0].is_null()) {
      return Fail(ErrorCode::kInvalidArgument,
                  "PostgreSQL store '" + store +
                      "': no schema on the search_path exists to hold hone's tables; create one "
                      "(CREATE SCHEMA hone) and name it in the URL "
                      "(?options=-c%20search_path%3Dhone)");
    }
    const std::string schema = Text(where[0]);
    int version = 0;
    if (OptBool(where[1]).value_or(false)) {
      HONE_ASSIGN_OR_RETURN(version, StoredVersion(tx, store));
    }
    if (version > SchemaVersion()) {
      return Fail(ErrorCode::kUnsupported,
                  "PostgreSQL store '" + store + "' has schema version " + std::to_string(version) +
                      "; this hone knows versions up to " + std::to_string(SchemaVersion()) +
                      ": use a newer hone");
    }
    if (version == SchemaVersion()) return {};
    try {
      if (version == 0) {
        tx.exec("CREATE TABLE hone_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
      }
      for (int v = version + 1; v <= SchemaVersion(); ++v) {
        tx.exec(std::string(kMigrations[static_cast<size_t>(v - 1)]));
      }
    } catch (const pqxx::sql_error& e) {
      if (e.sqlstate() != "42P07") throw;  // 42P07: duplicate_table
      return Fail(ErrorCode::kInvalidData,
                  "PostgreSQL store '" + store + "': schema '" + schema +
                      "' already has a table hone needs (" + OneLine(e.what()) +
                      "); give hone a schema of its own (CREATE SCHEMA hone, then "
                      "?options=-c%20search_path%3Dhone in the URL)");
    }
    tx.exec_params(
        "INSERT INTO hone_meta (key, value) VALUES ('schema_version', $1) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        std::to_string(SchemaVersion()));
    return {};
  });
}

}  // namespace hone::store::postgres
