// The MetaStore of a hone server (`hone server`): every operation one request to its JSON API
// (/api/hone/v1, see docs/server.md), so a training job, a CI runner or a model server needs
// the server's URL and a token, never the database's password. It passes the same conformance
// suite as the embedded backends.
#ifndef HONE_STORE_REMOTE_REMOTE_META_STORE_H_
#define HONE_STORE_REMOTE_REMOTE_META_STORE_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "hone/store/meta_store.h"
#include "hone/store/remote/http_client.h"

namespace hone::store::remote {

/// Where the token comes from when none is given: HONE_TOKEN, else the file HONE_TOKEN_FILE
/// names (its first line). Empty when neither is set; kIo when the file cannot be read.
Result<std::string> TokenFromEnvironment();

/// `options` with what the environment gives where they are empty: the token
/// (TokenFromEnvironment) and the certificate authorities to trust (HONE_CA_FILE).
Result<ClientOptions> WithEnvironment(ClientOptions options);

/// Whom the hone server at `url` knows `token` as (GET /api/hone/v1/whoami with that token),
/// for a model server checking its own callers' tokens. kPermissionDenied when the server
/// refuses the token; kIo when the server cannot be asked, or asks to wait (429).
struct TokenOwner {
  std::string name;
  Role role = Role::kViewer;
};
Result<TokenOwner> AskTokenOwner(std::string_view url, std::string_view token);

/// MetaStore over HTTP. The server decides who acts: the audit log records the name of the
/// token, not the Actor a caller passes.
/// WaitForAliasChange polls the server's counter (a long wait would hold a server thread).
/// Not thread-safe: one per thread.
class RemoteMetaStore final : public MetaStore {
 public:
  /// `url`: http(s)://host:port[/prefix]. The token defaults to TokenFromEnvironment().
  /// Checks that a hone server answers there (GET /api/hone/v1/store) and that the token is
  /// accepted: kIo when nothing answers, kPermissionDenied for a refused token.
  static Result<std::unique_ptr<RemoteMetaStore>> Open(std::string_view url,
                                                       ClientOptions options = {});

  std::string Describe() const override { return client_->Describe(); }

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
  Result<int64_t> AliasChangeCounter() override;
  /// Polls AliasChangeCounter every 100 ms (at most `timeout`); true when it differs from the
  /// value this store last read (so a move just before the wait is not missed).
  Result<bool> WaitForAliasChange(std::chrono::milliseconds timeout) override;

  Result<std::vector<AuditRecord>> ListAudit(const AuditQuery& query) override;
  Result<std::optional<AuditHead>> GetAuditHead() override;
  Result<std::string> StoreId() override;
  Result<std::set<std::string, std::less<>>> ReferencedDigests() override;
  Result<AuditRecord> AppendAudit(std::string_view action, std::string_view subject,
                                  std::string_view before_json, std::string_view after_json,
                                  const Actor& actor) override;

  Result<ApiToken> CreateToken(const ApiToken& token, const Actor& actor) override;
  Result<std::vector<ApiToken>> ListTokens() override;
  Result<ApiToken> GetToken(std::string_view id) override;
  Result<ApiToken> RevokeToken(std::string_view name, const Actor& actor) override;

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

  /// The artifact blob `digest` from the server (verified by the caller); kNotFound when the
  /// server has none.
  Result<std::string> GetBlob(std::string_view digest);
  /// Sends a blob to the server, which checks that its bytes hash to `digest`.
  Result<void> PutBlob(std::string_view digest, std::string_view bytes);
  /// Whether the server has blob `digest`.
  Result<bool> HasBlob(std::string_view digest);

  /// The role of the token this store presents (the server says).
  Result<Role> WhoAmI(std::string* name = nullptr);

  // MLflow compatibility (the server does not offer these to hone clients: kUnsupported)
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

 private:
  explicit RemoteMetaStore(std::unique_ptr<HttpClient> client) : client_(std::move(client)) {}

  std::unique_ptr<HttpClient> client_;
  std::optional<int64_t> seen_counter_;  // AliasChangeCounter's last answer
};

}  // namespace hone::store::remote

#endif  // HONE_STORE_REMOTE_REMOTE_META_STORE_H_
