#include "hone/store/sqlite/schema.h"

#include <array>
#include <charconv>
#include <string>

namespace hone::store::sqlite {
namespace {

// Times are milliseconds since the Unix epoch (UTC).
constexpr std::array<std::string_view, 5> kMigrations = {
    // 1: runs with their parameters, metrics, tags and artifacts; registered models, their
    // immutable versions, aliases with their history; the hash-chained audit log.
    R"sql(
CREATE TABLE runs (
  id            TEXT PRIMARY KEY,
  command       TEXT NOT NULL,
  status        TEXT NOT NULL,
  start_ms      INTEGER NOT NULL,
  end_ms        INTEGER,
  host          TEXT NOT NULL,
  user          TEXT NOT NULL,
  code_commit   TEXT,
  code_dirty    INTEGER,
  config_digest TEXT,
  data_digest   TEXT
);
CREATE INDEX runs_by_start ON runs (start_ms);
CREATE TABLE params (
  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key    TEXT NOT NULL,
  value  TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE TABLE metrics (
  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key    TEXT NOT NULL,
  step   INTEGER NOT NULL,
  ts_ms  INTEGER NOT NULL,
  value  REAL NOT NULL
);
CREATE INDEX metrics_by_run_key ON metrics (run_id, key, step);
CREATE TABLE tags (
  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key    TEXT NOT NULL,
  value  TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE TABLE run_artifacts (
  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  name   TEXT NOT NULL,
  digest TEXT NOT NULL,
  bytes  INTEGER NOT NULL,
  PRIMARY KEY (run_id, name)
) WITHOUT ROWID;
CREATE TABLE models (
  name           TEXT PRIMARY KEY,
  created_ms     INTEGER NOT NULL,
  latest_version INTEGER NOT NULL
);
CREATE TABLE versions (
  model         TEXT NOT NULL REFERENCES models (name),
  version       INTEGER NOT NULL,
  bundle_digest TEXT NOT NULL,
  run_id        TEXT REFERENCES runs (id),
  data_digest   TEXT,
  code_commit   TEXT,
  code_dirty    INTEGER,
  config_digest TEXT,
  params        TEXT NOT NULL,
  metrics       TEXT NOT NULL,
  parent        INTEGER,
  description   TEXT NOT NULL,
  created_ms    INTEGER NOT NULL,
  created_by    TEXT NOT NULL,
  PRIMARY KEY (model, version)
);
CREATE INDEX versions_by_run ON versions (run_id);
CREATE TABLE aliases (
  model   TEXT NOT NULL,
  alias   TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (model, alias),
  FOREIGN KEY (model, version) REFERENCES versions (model, version)
) WITHOUT ROWID;
CREATE TABLE alias_history (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  model        TEXT NOT NULL,
  alias        TEXT NOT NULL,
  from_version INTEGER,
  to_version   INTEGER,
  action       TEXT NOT NULL,
  ts_ms        INTEGER NOT NULL,
  actor        TEXT NOT NULL
);
CREATE INDEX alias_history_by_alias ON alias_history (model, alias, id);
CREATE TABLE audit (
  seq       INTEGER PRIMARY KEY,
  ts_ms     INTEGER NOT NULL,
  actor     TEXT NOT NULL,
  action    TEXT NOT NULL,
  subject   TEXT NOT NULL,
  before    TEXT NOT NULL,
  after     TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL
);
)sql",
    // 2: what the monitoring loop keeps: a traffic weight with an alias and its moves; leases
    // (one `hone watch` per model); the windows servers flush; a bounded log of predictions
    // with the labels that arrive later.
    R"sql(
ALTER TABLE aliases ADD COLUMN weight REAL;
ALTER TABLE alias_history ADD COLUMN weight REAL;
CREATE TABLE leases (
  name       TEXT PRIMARY KEY,
  holder     TEXT NOT NULL,
  expires_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE monitor_windows (
  id        INTEGER PRIMARY KEY,
  model     TEXT NOT NULL,
  version   INTEGER NOT NULL,
  start_ms  INTEGER NOT NULL,
  end_ms    INTEGER NOT NULL,
  server    TEXT NOT NULL,
  requests  INTEGER NOT NULL,
  errors    INTEGER NOT NULL,
  row_count INTEGER NOT NULL,
  summary   TEXT NOT NULL
);
CREATE INDEX monitor_windows_by_model_end ON monitor_windows (model, end_ms, id);
CREATE TABLE predictions (
  id         INTEGER PRIMARY KEY,
  model      TEXT NOT NULL,
  request_id TEXT NOT NULL,
  version    INTEGER NOT NULL,
  ts_ms      INTEGER NOT NULL,
  inputs     TEXT NOT NULL,
  output     TEXT NOT NULL,
  label      TEXT,
  label_ms   INTEGER,
  UNIQUE (model, request_id)
);
CREATE INDEX predictions_by_model_time ON predictions (model, ts_ms, id);
)sql",
    // 3: API tokens for team mode (`hone server`): a salted hash of each secret, never the
    // secret; a name names one token until it is revoked.
    R"sql(
CREATE TABLE api_tokens (
  seq        INTEGER PRIMARY KEY,
  id         TEXT NOT NULL UNIQUE,
  name       TEXT NOT NULL,
  role       TEXT NOT NULL,
  salt       TEXT NOT NULL,
  hash       TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  revoked_ms INTEGER
);
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_ms IS NULL;
)sql",
    // 4: what MLflow's REST API keeps beyond hone's records: experiments (tags as a JSON
    // object), a run's experiment, name and deletion mark, a model's description and tags, a
    // version's source URI, description and tags.
    R"sql(
CREATE TABLE mlflow_experiments (
  id                INTEGER PRIMARY KEY,
  name              TEXT NOT NULL UNIQUE,
  artifact_location TEXT NOT NULL,
  deleted           INTEGER NOT NULL,
  created_ms        INTEGER NOT NULL,
  updated_ms        INTEGER NOT NULL,
  tags              TEXT NOT NULL
);
CREATE TABLE mlflow_runs (
  run_id        TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
  experiment_id TEXT NOT NULL,
  run_name      TEXT NOT NULL,
  deleted       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE model_details (
  model       TEXT PRIMARY KEY REFERENCES models (name),
  description TEXT NOT NULL,
  tags        TEXT NOT NULL,
  updated_ms  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE version_details (
  model       TEXT NOT NULL,
  version     INTEGER NOT NULL,
  source      TEXT NOT NULL,
  description TEXT,
  tags        TEXT NOT NULL,
  updated_ms  INTEGER NOT NULL,
  PRIMARY KEY (model, version),
  FOREIGN KEY (model, version) REFERENCES versions (model, version)
) WITHOUT ROWID;
)sql",
    // 5: the datasets a run used, as MLflow's runs/log-inputs names them (one per name and
    // digest; schema and profile are the client's JSON texts; tags as a JSON object).
    R"sql(
CREATE TABLE mlflow_run_inputs (
  id           INTEGER PRIMARY KEY,
  run_id       TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  digest       TEXT NOT NULL,
  source_type  TEXT NOT NULL,
  source       TEXT NOT NULL,
  data_schema  TEXT NOT NULL,
  data_profile TEXT NOT NULL,
  tags         TEXT NOT NULL,
  UNIQUE (run_id, name, digest)
);
)sql",
};

Result<int> CurrentVersion(Database& db) {
  HONE_ASSIGN_OR_RETURN(Statement meta,
                        db.Prepare("SELECT count(*) FROM sqlite_master WHERE name = 'hone_meta'"));
  HONE_TRY(meta.Step());
  if (meta.Int(0) == 1) {
    HONE_ASSIGN_OR_RETURN(Statement version,
                          db.Prepare("SELECT value FROM hone_meta WHERE key = 'schema_version'"));
    HONE_ASSIGN_OR_RETURN(bool row, version.Step());
    if (row) {
      const std::string text = version.Text(0);
      int value = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc() || end != text.data() + text.size() || value < 0) {
        return Fail(ErrorCode::kCorrupt, "store '" + db.path().string() +
                                             "' records a schema version that is not one: '" +
                                             text + "'");
      }
      return value;
    }
  }
  HONE_ASSIGN_OR_RETURN(Statement tables,
                        db.Prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table'"));
  HONE_TRY(tables.Step());
  if (tables.Int(0) != 0) {
    return Fail(ErrorCode::kInvalidData,
                "'" + db.path().string() + "' is an SQLite database but not a hone store");
  }
  return 0;
}

}  // namespace

std::span<const std::string_view> Migrations() { return kMigrations; }
int SchemaVersion() { return static_cast<int>(kMigrations.size()); }

Result<Database> OpenStoreDatabase(const std::filesystem::path& path, bool must_exist) {
  HONE_ASSIGN_OR_RETURN(Database db, Database::Open(path, must_exist));
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  HONE_ASSIGN_OR_RETURN(int version, CurrentVersion(db));
  if (version > SchemaVersion()) {
    return Fail(ErrorCode::kUnsupported,
                "store '" + path.string() + "' has schema version " + std::to_string(version) +
                    "; this hone knows versions up to " + std::to_string(SchemaVersion()) +
                    ": use a newer hone");
  }
  if (version == SchemaVersion()) {
    HONE_TRY(tx.Commit());
    return db;
  }
  if (version == 0) {
    HONE_TRY(db.Exec("CREATE TABLE hone_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"));
  }
  for (int v = version + 1; v <= SchemaVersion(); ++v) {
    HONE_TRY(db.Exec(kMigrations[static_cast<size_t>(v - 1)]));
  }
  HONE_ASSIGN_OR_RETURN(
      Statement set,
      db.Prepare("INSERT OR REPLACE INTO hone_meta (key, value) VALUES ('schema_version', ?)"));
  HONE_TRY(set.Bind(1, std::to_string(SchemaVersion())).Run());
  HONE_TRY(tx.Commit());
  return db;
}

}  // namespace hone::store::sqlite
