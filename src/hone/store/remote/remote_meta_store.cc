#include "hone/store/remote/remote_meta_store.h"

#include <cstdlib>
#include <thread>

#include "hone/core/file.h"
#include "hone/store/remote/wire.h"

namespace hone::store::remote {
namespace {

using wire::Json;

constexpr std::string_view kApi = "/api/hone/v1";

std::string Seg(std::string_view text) { return UrlEncode(text); }

std::string WindowParams(const WindowQuery& q) {
  std::string s = "model=" + Seg(q.model) + "&since_ms=" + std::to_string(q.since_ms) +
                  "&until_ms=" + std::to_string(q.until_ms) + "&limit=" + std::to_string(q.limit);
  if (q.version) s += "&version=" + std::to_string(*q.version);
  return s;
}

}  // namespace

Result<std::string> TokenFromEnvironment() {
  if (const char* token = std::getenv("HONE_TOKEN"); token && *token) return std::string(token);
  if (const char* file = std::getenv("HONE_TOKEN_FILE"); file && *file) {
    HONE_ASSIGN_OR_RETURN(std::string text, core::ReadFile(file));
    const size_t end = text.find_first_of("\r\n");
    if (end != std::string::npos) text.resize(end);
    if (text.empty()) {
      return Fail(ErrorCode::kInvalidArgument,
                  "HONE_TOKEN_FILE '" + std::string(file) + "' holds no token");
    }
    return text;
  }
  return std::string();
}

Result<ClientOptions> WithEnvironment(ClientOptions options) {
  if (options.token.empty()) {
    HONE_ASSIGN_OR_RETURN(options.token, TokenFromEnvironment());
  }
  if (options.ca_file.empty()) {
    if (const char* ca = std::getenv("HONE_CA_FILE"); ca && *ca) options.ca_file = ca;
  }
  return options;
}

Result<TokenOwner> AskTokenOwner(std::string_view url, std::string_view token) {
  HONE_ASSIGN_OR_RETURN(Endpoint endpoint, ParseEndpoint(url));
  ClientOptions options{.token = std::string(token), .timeout = std::chrono::seconds(10)};
  HONE_ASSIGN_OR_RETURN(options, WithEnvironment(std::move(options)));
  HONE_ASSIGN_OR_RETURN(auto client, HttpClient::Open(endpoint, std::move(options)));
  const std::string target = std::string(kApi) + "/whoami";
  HONE_ASSIGN_OR_RETURN(HttpResult r, client->Send("GET", target, ""));
  const std::string request = "GET " + client->Describe() + target;
  if (r.status == 401 || r.status == 403) {
    return Fail(ErrorCode::kPermissionDenied,
                wire::ErrorFromResponse(r.status, r.body, request).message());
  }
  if (r.status != 200) {
    return Fail(ErrorCode::kIo, wire::ErrorFromResponse(r.status, r.body, request).message());
  }
  HONE_ASSIGN_OR_RETURN(Json j, wire::Parse(r.body, "the answer to " + request));
  return wire::Decoding("whoami", [&]() -> TokenOwner {
    auto role = ParseRole(wire::GetString(j, "role"));
    if (!role) throw wire::WireError{role.error().message()};
    return TokenOwner{wire::GetString(j, "name"), *role};
  });
}

// One request to the API; the JSON it answered, or the Error the server reported.
#define HONE_CALL(var, method, target, body) \
  HONE_ASSIGN_OR_RETURN(Json var, Call(*client_, method, std::string(kApi) + (target), (body)))

namespace {
Result<Json> Call(HttpClient& client, std::string_view method, const std::string& target,
                  const Json& body) {
  const std::string text = body.is_null() ? std::string() : body.dump();
  HONE_ASSIGN_OR_RETURN(HttpResult r, client.Send(method, target, text));
  const std::string request = std::string(method) + " " + client.Describe() + target;
  if (r.status < 200 || r.status >= 300) {
    return Fail(wire::ErrorFromResponse(r.status, r.body, request));
  }
  if (r.body.empty()) return Json::object();
  return wire::Parse(r.body, "the answer to " + request);
}

template <typename T>
Result<T> Decoded(const Json& j, std::string_view what) {
  return wire::FromJson<T>(j, what);
}
template <typename T>
Result<std::vector<T>> DecodedArray(const Json& j, const char* key) {
  return wire::Decoding(key, [&] { return wire::DecodeArray<T>(j, key); });
}
}  // namespace

Result<std::unique_ptr<RemoteMetaStore>> RemoteMetaStore::Open(std::string_view url,
                                                               ClientOptions options) {
  HONE_ASSIGN_OR_RETURN(Endpoint endpoint, ParseEndpoint(url));
  HONE_ASSIGN_OR_RETURN(options, WithEnvironment(std::move(options)));
  HONE_ASSIGN_OR_RETURN(auto client, HttpClient::Open(endpoint, std::move(options)));
  std::unique_ptr<RemoteMetaStore> store(new RemoteMetaStore(std::move(client)));
  HONE_TRY(store->WhoAmI());
  return store;
}

Result<Role> RemoteMetaStore::WhoAmI(std::string* name) {
  HONE_CALL(j, "GET", "/whoami", Json());
  return wire::Decoding("whoami", [&]() -> Role {
    if (name) *name = wire::GetString(j, "name");
    auto role = ParseRole(wire::GetString(j, "role"));
    if (!role) throw wire::WireError{role.error().message()};
    return *role;
  });
}

// --- runs ---

Result<std::string> RemoteMetaStore::CreateRun(const RunStart& start) {
  HONE_CALL(j, "POST", "/runs", wire::ToJson(start));
  return wire::Decoding("run", [&] { return wire::GetString(j, "run_id"); });
}

Result<void> RemoteMetaStore::EndRun(std::string_view run_id, RunStatus status, TimeMs end_ms) {
  HONE_CALL(j, "POST", "/runs/" + Seg(run_id) + "/end",
            (Json{{"status", RunStatusName(status)}, {"end_ms", end_ms}}));
  return {};
}

Result<void> RemoteMetaStore::LogParams(std::string_view run_id,
                                        const std::map<std::string, std::string>& params) {
  HONE_CALL(j, "POST", "/runs/" + Seg(run_id) + "/params", (Json{{"params", params}}));
  return {};
}

Result<void> RemoteMetaStore::SetTags(std::string_view run_id,
                                      const std::map<std::string, std::string>& tags) {
  HONE_CALL(j, "POST", "/runs/" + Seg(run_id) + "/tags", (Json{{"tags", tags}}));
  return {};
}

Result<void> RemoteMetaStore::LogMetrics(std::string_view run_id, std::span<const Metric> metrics) {
  Json list = Json::array();
  for (const Metric& m : metrics) list.push_back(wire::ToJson(m));
  HONE_CALL(j, "POST", "/runs/" + Seg(run_id) + "/metrics", (Json{{"metrics", std::move(list)}}));
  return {};
}

Result<void> RemoteMetaStore::LogArtifact(std::string_view run_id, const RunArtifact& artifact) {
  HONE_CALL(j, "POST", "/runs/" + Seg(run_id) + "/artifacts", wire::ToJson(artifact));
  return {};
}

Result<Run> RemoteMetaStore::GetRun(std::string_view id_or_prefix) {
  HONE_CALL(j, "GET", "/runs/" + Seg(id_or_prefix), Json());
  return Decoded<Run>(j, "run");
}

Result<std::vector<Run>> RemoteMetaStore::ListRuns(const RunQuery& query) {
  std::string target =
      "/runs?limit=" + std::to_string(query.limit) + "&offset=" + std::to_string(query.offset);
  if (query.model) target += "&model=" + Seg(*query.model);
  if (query.tag)
    target += "&tag_key=" + Seg(query.tag->first) + "&tag_value=" + Seg(query.tag->second);
  HONE_CALL(j, "GET", target, Json());
  return DecodedArray<Run>(j, "runs");
}

// --- registry ---

Result<ModelVersion> RemoteMetaStore::CreateVersion(const NewVersion& version, const Actor&) {
  HONE_TRY(CheckName("model", version.model));
  HONE_CALL(j, "POST", "/models/" + Seg(version.model) + "/versions", wire::ToJson(version));
  return Decoded<ModelVersion>(j, "version");
}

Result<std::vector<Model>> RemoteMetaStore::ListModels() {
  HONE_CALL(j, "GET", "/models", Json());
  return DecodedArray<Model>(j, "models");
}

Result<Model> RemoteMetaStore::GetModel(std::string_view name) {
  HONE_TRY(CheckName("model", name));
  HONE_CALL(j, "GET", "/models/" + Seg(name), Json());
  return Decoded<Model>(j, "model");
}

Result<ModelVersion> RemoteMetaStore::GetVersion(std::string_view model, int64_t version) {
  HONE_TRY(CheckName("model", model));
  HONE_CALL(j, "GET", "/models/" + Seg(model) + "/versions/" + std::to_string(version), Json());
  return Decoded<ModelVersion>(j, "version");
}

Result<std::vector<ModelVersion>> RemoteMetaStore::ListVersions(std::string_view model,
                                                                const VersionQuery& query) {
  HONE_TRY(CheckName("model", model));
  HONE_CALL(j, "GET",
            "/models/" + Seg(model) + "/versions?limit=" + std::to_string(query.limit) +
                "&offset=" + std::to_string(query.offset) +
                "&newest_first=" + (query.newest_first ? "true" : "false"),
            Json());
  return DecodedArray<ModelVersion>(j, "versions");
}

Result<int64_t> RemoteMetaStore::ResolveAlias(std::string_view model, std::string_view alias) {
  HONE_TRY(CheckName("model", model));
  HONE_TRY(CheckName("alias", alias));
  HONE_CALL(j, "GET", "/models/" + Seg(model) + "/aliases/" + Seg(alias), Json());
  return wire::Decoding("alias", [&] { return wire::GetInt(j, "version"); });
}

Result<AliasMove> RemoteMetaStore::MoveAlias(const AliasChange& change) {
  HONE_TRY(CheckName("model", change.model));
  HONE_TRY(CheckName("alias", change.alias));
  HONE_CALL(j, "POST", "/models/" + Seg(change.model) + "/aliases/" + Seg(change.alias),
            wire::ToJson(change));
  return Decoded<AliasMove>(j, "alias move");
}

Result<std::vector<AliasMove>> RemoteMetaStore::AliasHistory(std::string_view model,
                                                             std::string_view alias) {
  HONE_TRY(CheckName("model", model));
  HONE_TRY(CheckName("alias", alias));
  HONE_CALL(j, "GET", "/models/" + Seg(model) + "/aliases/" + Seg(alias) + "/history", Json());
  return DecodedArray<AliasMove>(j, "moves");
}

Result<int64_t> RemoteMetaStore::AliasChangeCounter() {
  HONE_CALL(j, "GET", "/alias-counter", Json());
  HONE_ASSIGN_OR_RETURN(
      int64_t counter, wire::Decoding("alias counter", [&] { return wire::GetInt(j, "counter"); }));
  seen_counter_ = counter;
  return counter;
}

Result<bool> RemoteMetaStore::WaitForAliasChange(std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  // Like a LISTEN issued when the counter was last read: a move since then counts, also one
  // made before this wait began.
  if (!seen_counter_) HONE_TRY(AliasChangeCounter());
  const int64_t seen = *seen_counter_;
  while (true) {
    HONE_ASSIGN_OR_RETURN(int64_t now, AliasChangeCounter());
    if (now != seen) return true;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(100)));
  }
}

// --- audit and housekeeping ---

Result<std::vector<AuditRecord>> RemoteMetaStore::ListAudit(const AuditQuery& query) {
  HONE_CALL(j, "GET",
            "/audit?after_seq=" + std::to_string(query.after_seq) + "&limit=" +
                std::to_string(query.limit) + "&before_seq=" + std::to_string(query.before_seq) +
                (query.newest_first ? "&order=desc" : ""),
            Json());
  return DecodedArray<AuditRecord>(j, "records");
}

Result<std::optional<AuditHead>> RemoteMetaStore::GetAuditHead() {
  HONE_CALL(j, "GET", "/audit/head", Json());
  if (!j.contains("head") || j["head"].is_null()) return std::optional<AuditHead>();
  HONE_ASSIGN_OR_RETURN(AuditHead head, Decoded<AuditHead>(j["head"], "audit head"));
  return std::optional<AuditHead>(std::move(head));
}

Result<std::string> RemoteMetaStore::StoreId() {
  HONE_CALL(j, "GET", "/store", Json());
  return wire::Decoding("store", [&] { return wire::GetString(j, "store_id"); });
}

Result<std::set<std::string, std::less<>>> RemoteMetaStore::ReferencedDigests() {
  HONE_CALL(j, "GET", "/referenced-digests", Json());
  return wire::Decoding("referenced digests", [&] {
    std::set<std::string, std::less<>> out;
    if (!j.contains("digests") || !j["digests"].is_array()) {
      throw wire::WireError{"'digests' must be an array"};
    }
    for (const Json& d : j["digests"]) {
      if (!d.is_string()) throw wire::WireError{"'digests' must hold strings"};
      out.insert(d.get<std::string>());
    }
    return out;
  });
}

Result<AuditRecord> RemoteMetaStore::AppendAudit(std::string_view action, std::string_view subject,
                                                 std::string_view before_json,
                                                 std::string_view after_json, const Actor&) {
  HONE_CALL(j, "POST", "/audit",
            (Json{{"action", action},
                  {"subject", subject},
                  {"before", before_json},
                  {"after", after_json}}));
  return Decoded<AuditRecord>(j, "audit record");
}

// --- tokens ---

Result<ApiToken> RemoteMetaStore::CreateToken(const ApiToken& token, const Actor&) {
  HONE_CALL(j, "POST", "/tokens", wire::ToJson(token));
  return Decoded<ApiToken>(j, "token");
}

Result<std::vector<ApiToken>> RemoteMetaStore::ListTokens() {
  HONE_CALL(j, "GET", "/tokens", Json());
  return DecodedArray<ApiToken>(j, "tokens");
}

Result<ApiToken> RemoteMetaStore::GetToken(std::string_view id) {
  HONE_CALL(j, "GET", "/tokens/" + Seg(id), Json());
  return Decoded<ApiToken>(j, "token");
}

Result<ApiToken> RemoteMetaStore::RevokeToken(std::string_view name, const Actor&) {
  HONE_CALL(j, "DELETE", "/tokens/" + Seg(name), Json());
  return Decoded<ApiToken>(j, "token");
}

// --- monitoring ---

Result<Lease> RemoteMetaStore::AcquireLease(std::string_view name, std::string_view holder,
                                            std::chrono::milliseconds ttl) {
  HONE_CALL(j, "POST", "/leases",
            (Json{{"name", name}, {"holder", holder}, {"ttl_ms", ttl.count()}}));
  return Decoded<Lease>(j, "lease");
}

Result<void> RemoteMetaStore::ReleaseLease(std::string_view name, std::string_view holder) {
  HONE_CALL(j, "DELETE", "/leases?name=" + Seg(name) + "&holder=" + Seg(holder), Json());
  return {};
}

Result<void> RemoteMetaStore::AppendMonitorWindows(std::span<const MonitorWindow> windows) {
  Json list = Json::array();
  for (const MonitorWindow& w : windows) list.push_back(wire::ToJson(w));
  HONE_CALL(j, "POST", "/monitor/windows", (Json{{"windows", std::move(list)}}));
  return {};
}

Result<std::vector<MonitorWindow>> RemoteMetaStore::ListMonitorWindows(const WindowQuery& query) {
  HONE_CALL(j, "GET", "/monitor/windows?" + WindowParams(query), Json());
  return DecodedArray<MonitorWindow>(j, "windows");
}

Result<uint64_t> RemoteMetaStore::PruneMonitorWindows(std::string_view model, TimeMs before_ms) {
  HONE_CALL(j, "DELETE",
            "/monitor/windows?model=" + Seg(model) + "&before_ms=" + std::to_string(before_ms),
            Json());
  return wire::Decoding("prune", [&] { return wire::GetUint(j, "pruned"); });
}

Result<void> RemoteMetaStore::LogPredictions(std::span<const PredictionRecord> records,
                                             size_t keep_per_model) {
  Json list = Json::array();
  for (const PredictionRecord& r : records) list.push_back(wire::ToJson(r));
  HONE_CALL(j, "POST", "/predictions",
            (Json{{"records", std::move(list)}, {"keep_per_model", keep_per_model}}));
  return {};
}

Result<FeedbackResult> RemoteMetaStore::RecordFeedback(std::string_view model,
                                                       std::span<const Feedback> feedback) {
  Json list = Json::array();
  for (const Feedback& f : feedback) list.push_back(wire::ToJson(f));
  HONE_CALL(j, "POST", "/feedback?model=" + Seg(model), (Json{{"feedback", std::move(list)}}));
  return Decoded<FeedbackResult>(j, "feedback result");
}

Result<std::vector<LabelledPrediction>> RemoteMetaStore::ListLabelledPredictions(
    const WindowQuery& query) {
  HONE_CALL(j, "GET", "/predictions/labelled?" + WindowParams(query), Json());
  return DecodedArray<LabelledPrediction>(j, "predictions");
}

Result<std::pair<uint64_t, uint64_t>> RemoteMetaStore::CountPredictions(const WindowQuery& query) {
  HONE_CALL(j, "GET", "/predictions/count?" + WindowParams(query), Json());
  return wire::Decoding("prediction count", [&] {
    return std::pair<uint64_t, uint64_t>(wire::GetUint(j, "predictions"),
                                         wire::GetUint(j, "labelled"));
  });
}

// --- blobs ---

Result<std::string> RemoteMetaStore::GetBlob(std::string_view digest) {
  const std::string target = std::string(kApi) + "/artifacts/" + Seg(digest);
  HONE_ASSIGN_OR_RETURN(HttpResult r, client_->Send("GET", target, ""));
  if (r.status != 200) {
    return Fail(wire::ErrorFromResponse(r.status, r.body, "GET " + client_->Describe() + target));
  }
  return std::move(r.body);
}

Result<void> RemoteMetaStore::PutBlob(std::string_view digest, std::string_view bytes) {
  const std::string target = std::string(kApi) + "/artifacts/" + Seg(digest);
  HONE_ASSIGN_OR_RETURN(HttpResult r,
                        client_->Send("PUT", target, bytes, "application/octet-stream"));
  if (r.status < 200 || r.status >= 300) {
    return Fail(wire::ErrorFromResponse(r.status, r.body, "PUT " + client_->Describe() + target));
  }
  return {};
}

Result<bool> RemoteMetaStore::HasBlob(std::string_view digest) {
  HONE_CALL(j, "GET", "/artifacts/" + Seg(digest) + "/exists", Json());
  return wire::Decoding("blob", [&] { return wire::GetBool(j, "exists", false); });
}

// --- MLflow compatibility: MLflow clients speak /api/2.0/mlflow to the server directly ---

namespace {
Error NotRemote(std::string_view what) {
  return Error(ErrorCode::kUnsupported,
               std::string(what) +
                   " is not offered to hone clients of a server; MLflow clients use its "
                   "/api/2.0/mlflow API");
}
}  // namespace

Result<Experiment> RemoteMetaStore::CreateExperiment(const Experiment&) {
  return Fail(NotRemote("creating experiments"));
}
Result<std::vector<Experiment>> RemoteMetaStore::ListExperiments() {
  return Fail(NotRemote("listing experiments"));
}
Result<void> RemoteMetaStore::PutMlflowRun(const MlflowRunInfo&) {
  return Fail(NotRemote("MLflow run details"));
}
Result<MlflowRunInfo> RemoteMetaStore::GetMlflowRun(std::string_view) {
  return Fail(NotRemote("MLflow run details"));
}
Result<std::vector<MlflowRunInfo>> RemoteMetaStore::ListMlflowRuns() {
  return Fail(NotRemote("MLflow run details"));
}
Result<void> RemoteMetaStore::SetRunDeleted(std::string_view, bool, const Actor&) {
  return Fail(NotRemote("deleting runs"));
}
Result<Model> RemoteMetaStore::CreateModel(const ModelDetails&, const Actor&) {
  return Fail(NotRemote("creating models without versions"));
}
Result<ModelDetails> RemoteMetaStore::GetModelDetails(std::string_view) {
  return Fail(NotRemote("model details"));
}
Result<ModelDetails> RemoteMetaStore::PutModelDetails(const ModelDetails&, const Actor&) {
  return Fail(NotRemote("model details"));
}
Result<void> RemoteMetaStore::DeleteModel(std::string_view, const Actor&) {
  return Fail(NotRemote("deleting models"));
}
Result<ModelVersion> RemoteMetaStore::CreateSourceVersion(const NewVersion&, const VersionDetails&,
                                                          const Actor&) {
  return Fail(NotRemote("registering versions by source URI"));
}
Result<VersionDetails> RemoteMetaStore::GetVersionDetails(std::string_view, int64_t) {
  return Fail(NotRemote("version details"));
}
Result<VersionDetails> RemoteMetaStore::PutVersionDetails(const VersionDetails&, const Actor&) {
  return Fail(NotRemote("version details"));
}
Result<void> RemoteMetaStore::DeleteVersion(std::string_view, int64_t, const Actor&) {
  return Fail(NotRemote("deleting versions"));
}

}  // namespace hone::store::remote
