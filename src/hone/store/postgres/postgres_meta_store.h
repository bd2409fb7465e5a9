// The shared MetaStore: hone's tables in a PostgreSQL database, used by any number of
// processes on any number of machines. Its users see no libpqxx: only store/postgres/ does.
#ifndef HONE_STORE_POSTGRES_POSTGRES_META_STORE_H_
#define HONE_STORE_POSTGRES_POSTGRES_META_STORE_H_

#include <memory>
#include <string>
#include <string_view>

#include "hone/store/meta_store.h"

namespace hone::store::postgres {

class Connection;

/// MetaStore on a PostgreSQL database, in the tables of the connection's current schema (the
/// first schema of its search_path that exists; a database shared with other applications is
/// fine). Every registry write is one transaction holding the store's advisory lock, so version
/// numbers and the audit chain stay sequential with writers in many processes.
///
/// Owns one connection. Not thread-safe: open one per thread, and a fork()ed child opens its
/// own. No exception escapes: failures are Errors (kIo when the server cannot be reached).
/// The environment variable naming a file whose first line is the store's password (for a
/// URL without one).
inline constexpr const char* kStorePasswordFileVariable = "HONE_STORE_PASSWORD_FILE";

class PostgresMetaStore final : public MetaStore {
 public:
  /// Connects to `url` (postgresql://user:password@host:port/database or postgres://…; libpq
  /// query parameters such as ?options=-c%20search_path%3Dhone work) and applies the
  /// migrations the store lacks. kIo naming host:port/database (not the password) when it
  /// cannot connect; kUnsupported when a newer hone wrote the store. A URL without a password
  /// takes it from libpq's PGPASSWORD or password file (PGPASSFILE, ~/.pgpass), or from the
  /// first line of the file HONE_STORE_PASSWORD_FILE names.
  static Result<std::unique_ptr<MetaStore>> Open(std::string_view url);

  ~PostgresMetaStore() override;

  /// The URL with its password replaced by "***".
  std::string Describe() const override;

  Result<std::string> CreateRun(const RunStart& start) override;
  Result<void> EndRun(std::string_view run_id, RunStatus status, TimeMs end_ms) override;
  Result<void> LogParams(std::string_view run_id,
                         const std::map<std::string, std::string>& params) override;
  Result<void> SetTags(std::string_view run_id,
                       const std::map<std::string, std::string>& tags) override;
  /// One COPY in one transaction: hundreds of thousands of values a second.
  Result<void> LogMetrics(std::string_view run_id, std::span<const Metric> metrics) override;
  Result<void> LogArtifact(std::string_view run_id, const RunArtifact& artifact) override;
  Result<Run> GetRun(std::string_view id_or_prefix) override;
  Result<std::vector<Run>> ListRuns(const RunQuery& query) override;

  Result<ModelVersion> CreateVersion(const NewVersion& version, const Actor& actor) override;
  Result<std::vector<Model>> ListModels() override;
  Result<Model> GetModel(std::string_view name) override;
  Result<ModelVersion> GetVersion(std::string_view model, int64_t version) override;
  Result<std::vector<ModelVersion>> ListVersions(std::string_view model,
                                                 const VersionQuery& query) override;
  Result<int64_t> ResolveAlias(std::string_view model, std::string_view alias) override;
  Result<AliasMove> MoveAlias(const AliasChange& change) override;
  Result<std::vector<AliasMove>> AliasHistory(std::string_view model,
                                              std::string_view alias) override;
  /// `SELECT max(id) FROM alias_history` (the end of the primary key's index), after LISTEN.
  Result<int64_t> AliasChangeCounter() override;
  /// Waits on this store's connection for MoveAlias's notification (channel
  /// "hone_alias_moved", payload the store's schema, so stores in other schemas of the database
  /// do not wake it).
  Result<bool> WaitForAliasChange(std::chrono::milliseconds timeout) override;

  Result<std::vector<AuditRecord>> ListAudit(const AuditQuery& query) override;
  Result<std::optional<AuditHead>> GetAuditHead() override;
  Result<std::string> StoreId() override;
  Result<std::set<std::string, std::less<>>> ReferencedDigests() override;
  /// Under the store lock, as every other audit record.
  Result<AuditRecord> AppendAudit(std::string_view action, std::string_view subject,
                                  std::string_view before_json, std::string_view after_json,
                                  const Actor& actor) override;

  // postgres_tokens.cc
  Result<ApiToken> CreateToken(const ApiToken& token, const Actor& actor) override;
  Result<std::vector<ApiToken>> ListTokens() override;
  Result<ApiToken> GetToken(std::string_view id) override;
  Result<ApiToken> RevokeToken(std::string_view name, const Actor& actor) override;

  // postgres_monitor.cc
  /// One INSERT … ON CONFLICT DO UPDATE … WHERE the lease is expired or the holder's own: the
  /// row lock it takes makes racing processes see each other's lease.
  Result<Lease> AcquireLease(std::string_view name, std::string_view holder,
                             std::chrono::milliseconds ttl) override;
  Result<void> ReleaseLease(std::string_view name, std::string_view holder) override;
  /// One multi-row INSERT (arrays unnested): one round trip per batch.
  Result<void> AppendMonitorWindows(std::span<const MonitorWindow> windows) override;
  Result<std::vector<MonitorWindow>> ListMonitorWindows(const WindowQuery& query) override;
  Result<uint64_t> PruneMonitorWindows(std::string_view model, TimeMs before_ms) override;
  /// One multi-row INSERT … ON CONFLICT (arrays unnested), then one DELETE per model.
  Result<void> LogPredictions(std::span<const PredictionRecord> records,
                              size_t keep_per_model) override;
  /// One UPDATE … FROM unnest(…) RETURNING the ids it matched.
  Result<FeedbackResult> RecordFeedback(std::string_view model,
                                        std::span<const Feedback> feedback) override;
  Result<std::vector<LabelledPrediction>> ListLabelledPredictions(
      const WindowQuery& query) override;
  Result<std::pair<uint64_t, uint64_t>> CountPredictions(const WindowQuery& query) override;

  // MLflow compatibility (postgres_mlflow.cc)
  Result<Experiment> CreateExperiment(const Experiment& experiment) override;
  Result<std::vector<Experiment>> ListExperiments() override;
  Result<void> PutMlflowRun(const MlflowRunInfo& info) override;
  Result<MlflowRunInfo> GetMlflowRun(std::string_view run_id) override;
  Result<std::vector<MlflowRunInfo>> ListMlflowRuns() override;
  Result<void> SetRunDeleted(std::string_view run_id, bool deleted, const Actor& actor) override;
  Result<Model> CreateModel(const ModelDetails& details, const Actor& actor) override;
  Result<ModelDetails> GetModelDetails(std::string_view model) override;
  Result<ModelDetails> PutModelDetails(const ModelDetails& details, const Actor& actor) override;
  Result<void> DeleteModel(std::string_view model, const Actor& actor) override;
  Result<ModelVersion> CreateSourceVersion(const NewVersion& version, const VersionDetails& details,
                                           const Actor& actor) override;
  Result<VersionDetails> GetVersionDetails(std::string_view model, int64_t version) override;
  Result<VersionDetails> PutVersionDetails(const VersionDetails& details,
                                           const Actor& actor) override;
  Result<void> DeleteVersion(std::string_view model, int64_t version, const Actor& actor) override;
  Result<Experiment> PutExperiment(const Experiment& experiment, const Actor& actor) override;
  Result<void> SetExperimentDeleted(std::string_view id, bool deleted, const Actor& actor) override;
  Result<void> DeleteRunTag(std::string_view run_id, std::string_view key) override;
  Result<void> LogRunInputs(std::string_view run_id, std::span<const RunInput> inputs) override;
  Result<std::vector<RunInput>> ListRunInputs(std::string_view run_id) override;
  Result<Model> RenameModel(std::string_view from, std::string_view to,
                            const Actor& actor) override;

 private:
  explicit PostgresMetaStore(std::unique_ptr<Connection> conn);

  /// Issues the LISTEN of WaitForAliasChange on first use.
  Result<void> ListenForAliasMoves();

  std::unique_ptr<Connection> conn_;
  bool listening_ = false;
};

}  // namespace hone::store::postgres

#endif  // HONE_STORE_POSTGRES_POSTGRES_META_STORE_H_
