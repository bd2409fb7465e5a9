// MetaStore: every fact hone keeps about runs and registered models, behind one interface with
// two backends (an embedded SQLite file and PostgreSQL) that pass the same conformance suite
// (store/testing/meta_store_conformance.h).
//
// The interface offers whole operations, each one transaction: a version is numbered, written
// and audited together; an alias moves, its history grows and the audit log grows together.
// Policies built on top (rollback, reference resolution, diff) live in registry/.
#ifndef HONE_STORE_META_STORE_H_
#define HONE_STORE_META_STORE_H_

#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hone/core/error.h"

namespace hone::store {

/// Milliseconds since the Unix epoch (UTC): every time the store keeps.
using TimeMs = int64_t;

enum class RunStatus { kRunning, kFinished, kFailed, kKilled };
const char* RunStatusName(RunStatus status);
Result<RunStatus> ParseRunStatus(std::string_view name);

/// What a run is when it starts: which command, where, from which code and data.
struct RunStart {
  std::string command;  // the pipeline or command line
  TimeMs start_ms = 0;
  std::string host;
  std::string user;
  std::optional<std::string> code_commit;  // `git rev-parse HEAD` of the working tree
  std::optional<bool> code_dirty;          // uncommitted changes when the run started
  std::optional<std::string> config_digest;
  std::optional<std::string> data_digest;
};

/// One value of a metric. A run may log many per key (one per step, or repeated).
struct Metric {
  std::string key;
  double value = 0;
  int64_t step = 0;
  TimeMs timestamp_ms = 0;
};

/// A file a run produced, kept in the ArtifactStore under its digest.
struct RunArtifact {
  std::string name;  // e.g. "model.hone"
  std::string digest;
  int64_t bytes = 0;
};

struct Run {
  std::string id;  // 32 lower-case hex characters
  RunStart start;
  RunStatus status = RunStatus::kRunning;
  std::optional<TimeMs> end_ms;
  std::map<std::string, std::string> params;
  std::map<std::string, std::string> tags;
  /// GetRun: every value, ordered by key, step, timestamp. ListRuns: the latest value of each
  /// key (highest step, then latest timestamp).
  std::vector<Metric> metrics;
  std::vector<RunArtifact> artifacts;
};

struct RunQuery {
  size_t limit = 100;  // newest first
  size_t offset = 0;
  std::optional<std::string> model;  // runs that registered a version of this model
  /// Runs with this tag key set to this value (a pipeline's stage key, a parent run).
  std::optional<std::pair<std::string, std::string>> tag;
};

/// A version as it is registered. Everything here is immutable once stored.
struct NewVersion {
  std::string model;
  std::string bundle_digest;  // the bundle's blob in the ArtifactStore
  std::optional<std::string> run_id;
  std::optional<std::string> data_digest;
  std::optional<std::string> code_commit;
  std::optional<bool> code_dirty;
  std::optional<std::string> config_digest;
  std::map<std::string, std::string> params;
  std::map<std::string, double> metrics;
  /// The version it was derived from (the champion it was compared against); when absent,
  /// the store records the version the model's `production` alias pointed to, if any.
  std::optional<int64_t> parent;
  std::string description;
};

struct ModelVersion {
  std::string model;
  int64_t version = 0;  // 1, 2, 3… per model
  std::string bundle_digest;
  std::optional<std::string> run_id;
  std::optional<std::string> data_digest;
  std::optional<std::string> code_commit;
  std::optional<bool> code_dirty;
  std::optional<std::string> config_digest;
  std::map<std::string, std::string> params;
  std::map<std::string, double> metrics;
  std::optional<int64_t> parent;
  std::string description;
  TimeMs created_ms = 0;
  std::string created_by;
  std::vector<std::string> aliases;  // aliases that point here now, sorted
};

struct Model {
  std::string name;
  TimeMs created_ms = 0;
  int64_t latest_version = 0;
  std::map<std::string, int64_t> aliases;  // alias → version
  /// Aliases that carry a traffic weight (a `canary`'s share of requests, 0–1) → the weight.
  std::map<std::string, double> alias_weights;
};

struct VersionQuery {
  size_t limit = 0;  // 0: all
  size_t offset = 0;
  bool newest_first = false;
};

/// Who did something, for the audit log: HONE_ACTOR or the OS user.
struct Actor {
  std::string name;
};

/// A request to point `alias` of `model` at `to` (or to remove it, when `to` is empty).
struct AliasChange {
  std::string model;
  std::string alias;
  std::optional<int64_t> to;
  /// Compare-and-swap: when set, the change happens only if the alias points at `*expect`
  /// now (an inner nullopt: only if the alias does not exist); otherwise kConflict.
  std::optional<std::optional<int64_t>> expect;
  std::string action = "promote";  // what the audit log and the history call it
  Actor actor;
  /// The share of requests the alias receives (0–1), kept with the alias until its next move;
  /// nullopt: none (an alias such as `production` takes what the others leave).
  std::optional<double> weight;
  /// An administrator overrode a rule (a protected alias moved to a version the gate did not
  /// bless): the audit record's `after` says "forced": true.
  bool forced = false;
};

/// One entry of an alias's history.
struct AliasMove {
  int64_t id = 0;  // increasing in the order the moves happened
  std::string model;
  std::string alias;
  std::optional<int64_t> from;
  std::optional<int64_t> to;
  std::string action;
  TimeMs ts_ms = 0;
  std::string actor;
  std::optional<double> weight;  // the weight set by this move
};

/// One record of the append-only, hash-chained audit log. `hash` is AuditHash(record), which
/// covers `prev_hash`, so editing or removing any record breaks the chain after it.
struct AuditRecord {
  int64_t seq = 0;  // 1, 2, 3…
  TimeMs ts_ms = 0;
  std::string actor;
  std::string action;   // register, promote, rollback, alias-delete, …
  std::string subject;  // "churn/3", "churn@production"
  std::string before;   // JSON, "null" when there was nothing
  std::string after;    // JSON
  std::string prev_hash;
  std::string hash;
};

struct AuditQuery {
  int64_t after_seq = 0;      // records with seq > after_seq
  size_t limit = 0;           // 0: all
  int64_t before_seq = 0;     // and seq < before_seq (0: no bound)
  bool newest_first = false;  // highest seq first (the limit keeps the newest)
};

/// The last record of the audit log as the store remembers it beside the log, so removing
/// records from the end is noticed too.
struct AuditHead {
  int64_t seq = 0;
  std::string hash;
};

/// A named lease held by one process until it expires or is released: one `hone watch` per
/// model. Times are the acquiring process's clock (NowMs()).
struct Lease {
  std::string name;
  std::string holder;
  TimeMs expires_ms = 0;
};

/// What an API token may do (team mode). Each role may do everything the ones before it may:
/// a viewer reads; a trainer also logs runs and registers versions; a deployer also moves
/// aliases; an admin also manages tokens and deletes.
enum class Role { kViewer, kTrainer, kDeployer, kAdmin };
const char* RoleName(Role role);
/// kInvalidArgument naming the known roles.
Result<Role> ParseRole(std::string_view name);

/// An API token as the store keeps it: its public id and a salted hash of its secret, never
/// the secret itself.
struct ApiToken {
  std::string id;    // 16 lower-case hex characters, the token's public part
  std::string name;  // a valid name (IsValidName), unique among tokens not revoked
  Role role = Role::kViewer;
  std::string salt;  // 32 lower-case hex characters
  std::string hash;  // 64 lower-case hex characters: SHA-256 over salt and secret
  TimeMs created_ms = 0;
  std::string created_by;
  std::optional<TimeMs> revoked_ms;
};

/// What a server observed of one served version over a few seconds, as it flushes it.
struct MonitorWindow {
  std::string model;
  int64_t version = 0;
  TimeMs start_ms = 0;  // start_ms <= end_ms
  TimeMs end_ms = 0;
  std::string server;                           // who flushed it: "host:pid"
  uint64_t requests = 0, errors = 0, rows = 0;  // each at most INT64_MAX
  /// JSON text (the monitor library's window summary: histograms, latency), stored verbatim.
  std::string summary;
};

/// Which windows or predictions of one model to read.
struct WindowQuery {
  std::string model;
  std::optional<int64_t> version;  // nullopt: every version
  /// Windows overlapping [since_ms, until_ms] (end_ms >= since_ms and start_ms <= until_ms);
  /// predictions made within it (since_ms <= ts_ms <= until_ms).
  TimeMs since_ms = 0;
  TimeMs until_ms = std::numeric_limits<TimeMs>::max();
  /// 0: all; else the newest `limit`, still returned oldest first.
  size_t limit = 0;
};

/// One prediction as a server logged it, so that a label arriving later can be matched to it.
struct PredictionRecord {
  std::string request_id;  // 1-128 printable ASCII characters, unique per model
  std::string model;
  int64_t version = 0;
  TimeMs ts_ms = 0;    // 0: when it is logged
  std::string inputs;  // JSON text
  std::string output;  // JSON text
};

/// The ground truth for one request, arriving after the prediction.
struct Feedback {
  std::string request_id;
  std::string label;  // JSON value text: 3.5, "yes"
  TimeMs ts_ms = 0;   // 0: when it is recorded
};

struct FeedbackResult {
  size_t matched = 0;  // feedback records that found their prediction
  /// Ids of the other records (no logged prediction of that model), at most 100 listed, each
  /// once, in the order given.
  std::vector<std::string> unknown;
  size_t unknown_count = 0;  // matched + unknown_count = the records given
};

struct LabelledPrediction {
  PredictionRecord prediction;
  std::string label;  // JSON value text
  TimeMs label_ms = 0;
};

// --- MLflow compatibility ---
// What MLflow's REST API (docs/mlflow-api.md) keeps beyond hone's own records: experiments,
// a run's experiment, name and deletion, a registered model's description and tags, and a
// version's source URI, description and tags.

/// An MLflow experiment: a named group of runs. Experiment "0" ("Default") always exists
/// without being stored; a run without MlflowRunInfo belongs to it.
struct Experiment {
  std::string id;  // decimal text: "0", "1", "2"…
  std::string name;
  std::string artifact_location;
  bool deleted = false;
  TimeMs created_ms = 0;
  TimeMs updated_ms = 0;
  std::map<std::string, std::string> tags;
};

/// A run's place in MLflow's model: its experiment, its name, whether it was deleted (MLflow
/// deletes runs softly: they stay, marked).
struct MlflowRunInfo {
  std::string run_id;
  std::string experiment_id = "0";
  std::string run_name;
  bool deleted = false;
};

/// A registered model's editable description and tags.
struct ModelDetails {
  std::string model;
  std::string description;
  std::map<std::string, std::string> tags;
  TimeMs updated_ms = 0;  // 0: never edited
};

/// What an MLflow client said of a version: where its files are (an artifact URI hone does not
/// serve), its editable description and its tags.
struct VersionDetails {
  std::string model;
  int64_t version = 0;
  std::string source;
  std::optional<std::string> description;  // nullopt: the version's own description
  std::map<std::string, std::string> tags;
  TimeMs updated_ms = 0;  // 0: never edited
};

/// A dataset a run used, as MLflow's `runs/log-inputs` names it. A run has one input per name
/// and digest; its schema and profile are the client's JSON texts, kept verbatim.
struct RunInput {
  std::string name;
  std::string digest;
  std::string source_type;  // "local", "s3", "hugging_face"…
  std::string source;       // JSON text that says where the data is
  std::string schema;
  std::string profile;
  std::map<std::string, std::string> tags;  // the input's own (mlflow.data.context: training)
};

/// The metadata store. Implementations are not thread-safe: one per thread (they are cheap to
/// open), any number per process and across processes on one store. Errors: kNotFound for an
/// unknown run, model, version or alias (naming the known ones where that helps); kConflict for
/// a lost compare-and-swap; kInvalidArgument for a malformed name.
class MetaStore {
 public:
  virtual ~MetaStore() = default;

  /// Where the store is, for messages ("/home/me/.hone/hone.db", "postgresql://…@host/db").
  virtual std::string Describe() const = 0;

  // --- runs ---
  /// Starts a run; returns its id.
  virtual Result<std::string> CreateRun(const RunStart& start) = 0;
  virtual Result<void> EndRun(std::string_view run_id, RunStatus status, TimeMs end_ms) = 0;
  virtual Result<void> LogParams(std::string_view run_id,
                                 const std::map<std::string, std::string>& params) = 0;
  virtual Result<void> SetTags(std::string_view run_id,
                               const std::map<std::string, std::string>& tags) = 0;
  /// Appends metrics in one transaction (a batch is all or nothing).
  virtual Result<void> LogMetrics(std::string_view run_id, std::span<const Metric> metrics) = 0;
  virtual Result<void> LogArtifact(std::string_view run_id, const RunArtifact& artifact) = 0;
  /// The run whose id is `id_or_prefix` or starts with it (at least 4 characters, and only one
  /// run may match).
  virtual Result<Run> GetRun(std::string_view id_or_prefix) = 0;
  virtual Result<std::vector<Run>> ListRuns(const RunQuery& query) = 0;

  // --- registry ---
  /// Registers the next version of `model` (creating the model on its first version) and
  /// appends a `register` audit record, in one transaction.
  virtual Result<ModelVersion> CreateVersion(const NewVersion& version, const Actor& actor) = 0;
  virtual Result<std::vector<Model>> ListModels() = 0;
  virtual Result<Model> GetModel(std::string_view name) = 0;
  virtual Result<ModelVersion> GetVersion(std::string_view model, int64_t version) = 0;
  virtual Result<std::vector<ModelVersion>> ListVersions(std::string_view model,
                                                         const VersionQuery& query) = 0;
  /// The version `alias` of `model` points at.
  virtual Result<int64_t> ResolveAlias(std::string_view model, std::string_view alias) = 0;
  /// Moves (or removes) an alias, appends to its history and to the audit log, in one
  /// transaction. Returns the move. `change.weight` is kept with the alias (a move without one
  /// clears it; the audit record's JSON carries it); a weight that is not a finite number in
  /// 0..1, or one given with a removal, is kInvalidArgument. Every move counts as one, also to
  /// the same version (AliasChangeCounter grows).
  virtual Result<AliasMove> MoveAlias(const AliasChange& change) = 0;
  /// Every move of `alias` of `model`, oldest first.
  virtual Result<std::vector<AliasMove>> AliasHistory(std::string_view model,
                                                      std::string_view alias) = 0;
  /// A number that grows whenever an alias moves (the id of the newest alias move; 0 when
  /// none). One indexed lookup, so a server can poll it to notice promotions without re-reading
  /// every model.
  virtual Result<int64_t> AliasChangeCounter() = 0;
  /// Waits up to `timeout` for a sign that an alias moved; returns true when one came (a sign
  /// may be spurious: read AliasChangeCounter to know). PostgreSQL: LISTEN on a channel that
  /// MoveAlias notifies (pg_notify in the same transaction, so it is delivered at commit), so a
  /// promotion is seen at once; the LISTEN is issued on this connection before the first
  /// AliasChangeCounter or WaitForAliasChange call returns, so no move between reading the
  /// counter and waiting is missed. SQLite: sleeps `timeout` and returns false (callers poll
  /// the counter).
  virtual Result<bool> WaitForAliasChange(std::chrono::milliseconds timeout) = 0;

  // --- audit and housekeeping ---
  virtual Result<std::vector<AuditRecord>> ListAudit(const AuditQuery& query) = 0;
  virtual Result<std::optional<AuditHead>> GetAuditHead() = 0;
  /// This store's identity: 32 hex characters made on first use and kept for good. An artifact
  /// folder records the stores that put blobs in it, so that `hone gc` of one store never
  /// removes another's.
  virtual Result<std::string> StoreId() = 0;
  /// Every artifact digest a version or a run refers to (what `hone gc` keeps).
  virtual Result<std::set<std::string, std::less<>>> ReferencedDigests() = 0;
  /// Appends a record of the caller's own (the monitoring loop's decisions with their
  /// evidence) to the audit chain, in one transaction; returns it as stored. `action` and
  /// `subject` are 1-256 printable ASCII characters, `before` and `after` JSON texts
  /// (kInvalidArgument otherwise).
  virtual Result<AuditRecord> AppendAudit(std::string_view action, std::string_view subject,
                                          std::string_view before_json, std::string_view after_json,
                                          const Actor& actor) = 0;

  // --- API tokens (team mode) ---
  /// Stores a new token and appends a `token-create` audit record (its name, id and role,
  /// never the hash) in one transaction; returns it as stored (created_ms set when 0,
  /// created_by the actor). kConflict when a token not revoked has its name, or its id is
  /// taken; kInvalidArgument for a bad name, id, salt or hash.
  virtual Result<ApiToken> CreateToken(const ApiToken& token, const Actor& actor) = 0;
  /// Every token, revoked ones too, in the order they were created.
  virtual Result<std::vector<ApiToken>> ListTokens() = 0;
  /// The token whose id is `id`, revoked or not; kNotFound when there is none.
  virtual Result<ApiToken> GetToken(std::string_view id) = 0;
  /// Revokes the token named `name` that is not revoked yet and appends a `token-revoke` audit
  /// record, in one transaction; returns it as revoked. kNotFound naming the live tokens.
  virtual Result<ApiToken> RevokeToken(std::string_view name, const Actor& actor) = 0;

  // --- monitoring ---
  /// Takes lease `name` for `holder` until now + ttl when it is free, expired (expires_ms <=
  /// now), or already held by `holder` (renewal); returns the lease as it stands afterwards,
  /// so the caller holds it iff result.holder == holder. Atomic across processes. `name` and
  /// `holder` are 1-256 printable ASCII characters and ttl > 0 (kInvalidArgument otherwise).
  virtual Result<Lease> AcquireLease(std::string_view name, std::string_view holder,
                                     std::chrono::milliseconds ttl) = 0;
  /// Gives the lease up if `holder` holds it (nothing happens, and no error, otherwise).
  virtual Result<void> ReleaseLease(std::string_view name, std::string_view holder) = 0;

  /// Appends windows in one transaction (a batch is all or nothing). The model need not be
  /// registered; kInvalidArgument naming the window's index for a bad name, a version < 1,
  /// start_ms > end_ms, a count over INT64_MAX or a summary that is not JSON.
  virtual Result<void> AppendMonitorWindows(std::span<const MonitorWindow> windows) = 0;
  /// The windows of `query.model` that overlap [since_ms, until_ms], by end_ms (then the order
  /// they were appended in), oldest first. An unknown model has none.
  virtual Result<std::vector<MonitorWindow>> ListMonitorWindows(const WindowQuery& query) = 0;
  /// Deletes the windows of `model` that ended before `before_ms` (a retention limit); how
  /// many went. kInvalidArgument for a bad model name.
  virtual Result<uint64_t> PruneMonitorWindows(std::string_view model, TimeMs before_ms) = 0;

  /// Appends predictions in one transaction, then keeps only the newest `keep_per_model`
  /// (>= 1) records of each model written to, newest by ts_ms then by the order logged (a
  /// bounded log). A request id already logged for the model is replaced, label and all; of
  /// one id given twice in a batch, the later counts. kInvalidArgument naming the record's
  /// index and id for a bad name, request id, version (< 1) or JSON text.
  virtual Result<void> LogPredictions(std::span<const PredictionRecord> records,
                                      size_t keep_per_model) = 0;
  /// Attaches labels to logged predictions of `model` (a later label for the same id replaces
  /// the earlier; within one batch the later one counts). One transaction.
  virtual Result<FeedbackResult> RecordFeedback(std::string_view model,
                                                std::span<const Feedback> feedback) = 0;
  /// The labelled predictions that `query` selects (by prediction time), oldest first.
  virtual Result<std::vector<LabelledPrediction>> ListLabelledPredictions(
      const WindowQuery& query) = 0;
  /// How many predictions `query` selects, and how many of them are labelled (query.limit is
  /// ignored).
  virtual Result<std::pair<uint64_t, uint64_t>> CountPredictions(const WindowQuery& query) = 0;

  // --- MLflow compatibility ---
  /// Stores a new experiment (its id chosen here, times set when 0); kConflict when an
  /// experiment (also "Default") has its name; kInvalidArgument for an empty name.
  virtual Result<Experiment> CreateExperiment(const Experiment& experiment) = 0;
  /// Every experiment, "0" (Default) first, then by id.
  virtual Result<std::vector<Experiment>> ListExperiments() = 0;
  /// Sets a run's experiment and name (keeping its deletion mark); kNotFound for an unknown run.
  virtual Result<void> PutMlflowRun(const MlflowRunInfo& info) = 0;
  /// The MLflow details of run `run_id` (the defaults when none were put); kNotFound for an
  /// unknown run.
  virtual Result<MlflowRunInfo> GetMlflowRun(std::string_view run_id) = 0;
  /// Every run's MLflow details that were put or marked, by run id.
  virtual Result<std::vector<MlflowRunInfo>> ListMlflowRuns() = 0;
  /// Marks run `run_id` deleted (or restores it) and appends a `run-delete` (`run-restore`)
  /// audit record, in one transaction.
  virtual Result<void> SetRunDeleted(std::string_view run_id, bool deleted, const Actor& actor) = 0;
  /// Creates model `details.model` without versions and appends a `model-create` audit record;
  /// kConflict when it exists.
  virtual Result<Model> CreateModel(const ModelDetails& details, const Actor& actor) = 0;
  /// kNotFound for an unknown model; the defaults when none were put.
  virtual Result<ModelDetails> GetModelDetails(std::string_view model) = 0;
  /// Replaces a model's description and tags, appending a `model-update` audit record.
  virtual Result<ModelDetails> PutModelDetails(const ModelDetails& details, const Actor& actor) = 0;
  /// Deletes a model with its versions and details, appending a `model-delete` audit record;
  /// kConflict while an alias points at one of its versions.
  virtual Result<void> DeleteModel(std::string_view model, const Actor& actor) = 0;
  /// Registers a version whose files are elsewhere (`details.source`; `version.bundle_digest`
  /// must be empty, and ReferencedDigests skips it) with its details, audited as `register`,
  /// in one transaction.
  virtual Result<ModelVersion> CreateSourceVersion(const NewVersion& version,
                                                   const VersionDetails& details,
                                                   const Actor& actor) = 0;
  /// kNotFound for an unknown version; the defaults (empty source) when none were put.
  virtual Result<VersionDetails> GetVersionDetails(std::string_view model, int64_t version) = 0;
  /// Replaces a version's description and tags (its source stays), appending a
  /// `version-update` audit record.
  virtual Result<VersionDetails> PutVersionDetails(const VersionDetails& details,
                                                   const Actor& actor) = 0;
  /// Deletes one version (its number is never reused), appending a `version-delete` audit
  /// record; kConflict while an alias points at it.
  virtual Result<void> DeleteVersion(std::string_view model, int64_t version,
                                     const Actor& actor) = 0;

  // Not pure: a store that keeps no MLflow records of its own (the remote store, whose server
  // answers MLflow's API itself) leaves them kUnsupported.
  /// Renames experiment `experiment.id` and replaces its tags (its location, deletion mark and
  /// creation time stay), appending an `experiment-update` audit record, in one transaction;
  /// returns it as stored. kNotFound for an unknown id; kConflict when another experiment (also
  /// "Default") has the name; kInvalidArgument for an empty name or for "0" (Default is not
  /// stored, so it cannot change).
  virtual Result<Experiment> PutExperiment(const Experiment& experiment, const Actor& actor);
  /// Marks experiment `id` and every run in it deleted (or restores them all, as MLflow does),
  /// appending an `experiment-delete` (`experiment-restore`) audit record, in one transaction.
  /// kNotFound for an unknown id; kInvalidArgument for "0".
  virtual Result<void> SetExperimentDeleted(std::string_view id, bool deleted, const Actor& actor);
  /// Removes tag `key` from run `run_id`; kNotFound for an unknown run or a tag it does not have.
  virtual Result<void> DeleteRunTag(std::string_view run_id, std::string_view key);
  /// Records the datasets run `run_id` used, in one transaction; an input logged again (same
  /// name and digest) replaces its details and tags. kNotFound for an unknown run;
  /// kInvalidArgument naming the index of an input without a name or digest.
  virtual Result<void> LogRunInputs(std::string_view run_id, std::span<const RunInput> inputs);
  /// The inputs of run `run_id` in the order they were first logged; kNotFound for an unknown
  /// run.
  virtual Result<std::vector<RunInput>> ListRunInputs(std::string_view run_id);
  /// Renames model `from` to `to` with its versions, their details and its alias history,
  /// appending a `model-rename` audit record, in one transaction; returns the model as renamed.
  /// kNotFound for an unknown model; kConflict when `to` exists, or while an alias points at one
  /// of its versions (a served `model@alias` would lose its model); kInvalidArgument for a bad
  /// name.
  virtual Result<Model> RenameModel(std::string_view from, std::string_view to, const Actor& actor);
};

/// Whether `name` may name a model or an alias: 1–128 characters of letters, digits, '_', '-'
/// and '.', starting with a letter or digit. (No '/' or '@': they separate references.)
bool IsValidName(std::string_view name);
Result<void> CheckName(std::string_view what, std::string_view name);

/// A new run id: 32 random lower-case hex characters (128 bits from the OS).
std::string NewRunId();
/// The system clock in TimeMs.
TimeMs NowMs();

/// The version a backend stores for request `nv`: its fields, with the number, the parent and
/// the creation time and actor the backend settled on.
ModelVersion VersionFromRequest(const NewVersion& nv, int64_t number, std::optional<int64_t> parent,
                                TimeMs now, const Actor& actor);

}  // namespace hone::store

#endif  // HONE_STORE_META_STORE_H_
