// The embedded MetaStore: one SQLite file (`.hone/hone.db`), shared by any number of processes.
#ifndef HONE_STORE_SQLITE_SQLITE_META_STORE_H_
#define HONE_STORE_SQLITE_SQLITE_META_STORE_H_

#include <filesystem>
#include <memory>

#include "hone/store/meta_store.h"
#include "hone/store/sqlite/sqlite.h"

namespace hone::store::sqlite {

/// MetaStore on an SQLite database in WAL mode. Every write is one BEGIN IMMEDIATE
/// transaction, so writers from many processes queue on the file lock and version numbers and
/// the audit chain stay sequential. Not thread-safe: open one per thread.
class SqliteMetaStore final : public MetaStore {
 public:
  /// Opens the store database at `path`, creating it and applying migrations unless
  /// `must_exist`.
  static Result<std::unique_ptr<SqliteMetaStore>> Open(const std::filesystem::path& path,
                                                       bool must_exist = false);

  std::string Describe() const override { return db_.path().string(); }

  Result<std::string> CreateRun(const RunStart& start) override;
  Result<void> EndRun(std::string_view run_id, RunStatus status, TimeMs end_ms) override;
  Result<void> LogParams(std::string_view run_id,
                         const std::map<std::string, std::string>& params) override;
  Result<void> SetTags(std::string_view run_id,
                       const std::map<std::string, std::string>& tags) override;
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
  /// `SELECT max(id) FROM alias_history`: one lookup at the end of the primary key.
  Result<int64_t> AliasChangeCounter() override;
  /// SQLite has no notifications: sleeps `timeout` and returns false.
  Result<bool> WaitForAliasChange(std::chrono::milliseconds timeout) override;

  Result<std::vector<AuditRecord>> ListAudit(const AuditQuery& query) override;
  Result<std::optional<AuditHead>> GetAuditHead() override;
  Result<std::string> StoreId() override;
  Result<std::set<std::string, std::less<>>> ReferencedDigests() override;
  Result<AuditRecord> AppendAudit(std::string_view action, std::string_view subject,
                                  std::string_view before_json, std::string_view after_json,
                                  const Actor& actor) override;

  // sqlite_tokens.cc
  Result<ApiToken> CreateToken(const ApiToken& token, const Actor& actor) override;
  Result<std::vector<ApiToken>> ListTokens() override;
  Result<ApiToken> GetToken(std::string_view id) override;
  Result<ApiToken> RevokeToken(std::string_view name, const Actor& actor) override;

  // sqlite_monitor.cc
  /// One BEGIN IMMEDIATE transaction: read the lease, take it if free, expired or ours.
  Result<Lease> AcquireLease(std::string_view name, std::string_view holder,
                             std::chrono::milliseconds ttl) override;
  Result<void> ReleaseLease(std::string_view name, std::string_view holder) override;
  Result<void> AppendMonitorWindows(std::span<const MonitorWindow> windows) override;
  Result<std::vector<MonitorWindow>> ListMonitorWindows(const WindowQuery& query) override;
  Result<uint64_t> PruneMonitorWindows(std::string_view model, TimeMs before_ms) override;
  Result<void> LogPredictions(std::span<const PredictionRecord> records,
                              size_t keep_per_model) override;
  Result<FeedbackResult> RecordFeedback(std::string_view model,
                                        std::span<const Feedback> feedback) override;
  Result<std::vector<LabelledPrediction>> ListLabelledPredictions(
      const WindowQuery& query) override;
  Result<std::pair<uint64_t, uint64_t>> CountPredictions(const WindowQuery& query) override;

  // MLflow compatibility (sqlite_mlflow.cc)
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
  explicit SqliteMetaStore(Database db) : db_(std::move(db)) {}

  Result<void> RequireRun(std::string_view run_id);
  Result<void> RequireModel(std::string_view model);
  /// Appends a record to the audit chain and moves the head; the caller's transaction holds
  /// the write lock.
  Result<AuditRecord> AppendAuditRecord(const Actor& actor, std::string_view action,
                                        std::string subject, std::string before, std::string after,
                                        TimeMs ts_ms);
  Result<std::optional<int64_t>> AliasTarget(std::string_view model, std::string_view alias);
  Result<std::vector<std::string>> AliasNames(std::string_view model);
  Result<void> FillRunDetails(Run& run, bool all_metrics);
  Result<std::vector<std::string>> LiveTokenNames();
  /// CreateVersion's work inside the caller's transaction.
  Result<ModelVersion> InsertVersion(const NewVersion& nv, const Actor& actor);

  Database db_;
};

}  // namespace hone::store::sqlite

#endif  // HONE_STORE_SQLITE_SQLITE_META_STORE_H_
