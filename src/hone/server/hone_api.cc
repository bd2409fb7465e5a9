#include "hone/server/hone_api.h"

#include <array>
#include <charconv>
#include <tuple>

#include "hone/core/digest.h"
#include "hone/monitor/served_report.h"
#include "hone/registry/registry.h"
#include "hone/store/audit.h"
#include "hone/store/remote/wire.h"

namespace hone::server {
namespace {

using store::Role;
using store::wire::Json;
namespace wire = store::wire;

ApiReply JsonReply(const Json& j, int status = 200) {
  return ApiReply{status, j.dump(), "application/json"};
}

Result<int64_t> QueryInt(const ApiRequest& r, const char* key, int64_t fallback) {
  auto it = r.query.find(key);
  if (it == r.query.end() || it->second.empty()) return fallback;
  int64_t value = 0;
  const std::string& text = it->second;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Fail(ErrorCode::kInvalidArgument, "query parameter '" + std::string(key) +
                                                 "' must be an integer, not '" + text + "'");
  }
  return value;
}

Result<size_t> QueryCount(const ApiRequest& r, const char* key, size_t fallback) {
  HONE_ASSIGN_OR_RETURN(int64_t v, QueryInt(r, key, static_cast<int64_t>(fallback)));
  if (v < 0) {
    return Fail(ErrorCode::kInvalidArgument,
                "query parameter '" + std::string(key) + "' must not be negative");
  }
  return static_cast<size_t>(v);
}

Result<std::string> QueryString(const ApiRequest& r, const char* key) {
  auto it = r.query.find(key);
  if (it == r.query.end()) {
    return Fail(ErrorCode::kInvalidArgument,
                "query parameter '" + std::string(key) + "' is missing");
  }
  return it->second;
}

Result<int64_t> PathInt(const std::string& text, const char* what) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Fail(ErrorCode::kInvalidArgument,
                std::string(what) + " must be an integer, not '" + text + "'");
  }
  return value;
}

Result<Json> Body(const ApiRequest& r) { return wire::Parse(r.body, "request body"); }

Result<store::WindowQuery> WindowQueryOf(const ApiRequest& r) {
  store::WindowQuery q;
  HONE_ASSIGN_OR_RETURN(q.model, QueryString(r, "model"));
  if (r.query.contains("version")) {
    HONE_ASSIGN_OR_RETURN(int64_t v, QueryInt(r, "version", 0));
    q.version = v;
  }
  HONE_ASSIGN_OR_RETURN(q.since_ms, QueryInt(r, "since_ms", q.since_ms));
  HONE_ASSIGN_OR_RETURN(q.until_ms, QueryInt(r, "until_ms", q.until_ms));
  HONE_ASSIGN_OR_RETURN(q.limit, QueryCount(r, "limit", 0));
  return q;
}

Error NoRoute(const ApiRequest& r) {
  std::string path;
  for (const std::string& s : r.path) path += "/" + s;
  return Error(ErrorCode::kNotFound,
               "no API endpoint " + std::string(r.method) + " /api/hone/v1" + path);
}

store::Actor ActorOf(const ApiRequest& r) { return store::Actor{r.principal.name}; }

// --- /runs ---

Result<ApiReply> Runs(ApiContext& ctx, const ApiRequest& r) {
  const auto& p = r.path;
  store::MetaStore& meta = ctx.meta;
  if (p.size() == 1 && r.method == "GET") {
    HONE_TRY(RequireRole(r.principal, Role::kViewer, "read runs"));
    store::RunQuery q;
    HONE_ASSIGN_OR_RETURN(q.limit, QueryCount(r, "limit", q.limit));
    HONE_ASSIGN_OR_RETURN(q.offset, QueryCount(r, "offset", 0));
    if (auto it = r.query.find("model"); it != r.query.end()) q.model = it->second;
    if (auto it = r.query.find("tag_key"); it != r.query.end()) {
      q.tag = std::pair(it->second, r.query.contains("tag_value") ? r.query.at("tag_value") : "");
    }
    HONE_ASSIGN_OR_RETURN(std::vector<store::Run> runs, meta.ListRuns(q));
    return JsonReply(Json{{"runs", wire::ToJsonArray(runs)}});
  }
  if (p.size() == 1 && r.method == "POST") {
    HONE_TRY(RequireRole(r.principal, Role::kTrainer, "start runs"));
    HONE_ASSIGN_OR_RETURN(Json body, Body(r));
    HONE_ASSIGN_OR_RETURN(store::RunStart start, wire::FromJson<store::RunStart>(body, "run"));
    HONE_ASSIGN_OR_RETURN(std::string id, meta.CreateRun(start));
    return JsonReply(Json{{"run_id", id}}, 201);
  }
  if (p.size() == 2 && r.method == "GET") {
    HONE_TRY(RequireRole(r.principal, Role::kViewer, "read runs"));
    HONE_ASSIGN_OR_RETURN(store::Run run, meta.GetRun(p[1]));
    return JsonReply(wire::ToJson(run));
  }
  if (p.size() != 3 || r.method != "POST") return Fail(NoRoute(r));
  HONE_TRY(RequireRole(r.principal, Role::kTrainer, "log to runs"));
  HONE_ASSIGN_OR_RETURN(Json body, Body(r));
  const std::string& id = p[1];
  const std::string& what = p[2];
  if (what == "end") {
    HONE_ASSIGN_OR_RETURN(auto fields, wire::Decoding("request body", [&] {
                            return std::pair(wire::GetString(body, "status"),
                                             wire::GetInt(body, "end_ms"));
                          }));
    // ParseRunStatus calls an unknown name corrupt (it reads stored rows); here a client sent it.
    auto status = store::ParseRunStatus(fields.first);
    if (!status) {
      return Fail(ErrorCode::kInvalidArgument, "request body: " + status.error().message());
    }
    HONE_TRY(meta.EndRun(id, *status, fields.second));
  } else if (what == "params") {
    HONE_ASSIGN_OR_RETURN(auto params, wire::Decoding("request body", [&] {
                            return wire::GetStringMap(body, "params");
                          }));
    HONE_TRY(meta.LogParams(id, params));
  } else if (what == "tags") {
    HONE_ASSIGN_OR_RETURN(auto tags, wire::Decoding("request body", [&] {
                            return wire::GetStringMap(body, "tags");
                          }));
    HONE_TRY(meta.SetTags(id, tags));
  } else if (what == "metrics") {
    HONE_ASSIGN_OR_RETURN(auto metrics, wire::Decoding("request body", [&] {
                            return wire::DecodeArray<store::Metric>(body, "metrics");
                          }));
    HONE_TRY(meta.LogMetrics(id, metrics));
  } else if (what == "artifacts") {
    HONE_ASSIGN_OR_RETURN(auto artifact, wire::FromJson<store::RunArtifact>(body, "request body"));
    HONE_TRY(meta.LogArtifact(id, artifact));
  } else {
    return Fail(NoRoute(r));
  }
  return JsonReply(Json::object());
}

// --- /models ---

// Every alias move of the API, after the caller's role and the protected-alias rule.
Result<ApiReply> ApplyAliasChange(ApiContext& ctx, const ApiRequest& r, store::AliasChange change) {
  const std::string& model = change.model;
  const std::string& alias = change.alias;
  const bool is_protected = ctx.protected_aliases.contains(alias);
  if (change.forced) {
    HONE_TRY(RequireRole(r.principal, Role::kAdmin, "force an alias move"));
  }
  if (!change.to) {
    HONE_TRY(RequireRole(r.principal, is_protected ? Role::kAdmin : Role::kDeployer,
                         "remove alias '" + alias + "'"));
  } else {
    HONE_TRY(RequireRole(r.principal, Role::kDeployer, "move alias '" + alias + "'"));
    if (is_protected && !change.forced) {
      HONE_ASSIGN_OR_RETURN(bool blessed, IsBlessed(ctx.meta, ctx.artifacts, model, *change.to));
      if (!blessed) {
        return Fail(ErrorCode::kPermissionDenied,
                    "alias '" + alias + "' is protected: " + model + "/" +
                        std::to_string(*change.to) +
                        " has no blessed gate verdict, so it may not go there (an admin may "
                        "force it, and the audit log will say so)");
      }
    }
  }
  HONE_ASSIGN_OR_RETURN(store::AliasMove move, ctx.meta.MoveAlias(change));
  return JsonReply(wire::ToJson(move));
}

Result<ApiReply> MoveAlias(ApiContext& ctx, const ApiRequest& r, const std::string& model,
                           const std::string& alias) {
  HONE_ASSIGN_OR_RETURN(Json body, Body(r));
  HONE_ASSIGN_OR_RETURN(store::AliasChange change,
                        wire::FromJson<store::AliasChange>(body, "request body"));
  change.model = model;
  change.alias = alias;
  change.actor = ActorOf(r);
  return ApplyAliasChange(ctx, r, std::move(change));
}

// POST /models/M/aliases/A/rollback {"expect": N, "to": N}, both optional: what `hone rollback`
// does (registry::RollbackTarget over the alias's history, then a compare-and-swap on where it
// points), on the server, so a page need not repeat the rule. `expect` is the version the
// caller saw the alias at and `to` the one it was told the rollback goes to: when either is no
// longer so, kConflict, and nothing moves.
Result<ApiReply> RollbackAlias(ApiContext& ctx, const ApiRequest& r, const std::string& model,
                               const std::string& alias) {
  HONE_TRY(RequireRole(r.principal, Role::kDeployer, "roll back alias '" + alias + "'"));
  HONE_ASSIGN_OR_RETURN(Json body, r.body.empty() ? Json::object() : Body(r));
  HONE_ASSIGN_OR_RETURN(
      auto wanted, wire::Decoding("request body", [&] {
        return std::pair{wire::GetOptInt(body, "expect"), wire::GetOptInt(body, "to")};
      }));
  HONE_ASSIGN_OR_RETURN(store::AliasChange change,
                        registry::RollbackChange(ctx.meta, model, alias, ActorOf(r), wanted.first));
  if (wanted.second && *wanted.second != *change.to) {
    return Fail(ErrorCode::kConflict, "a rollback of alias '" + alias + "' of model '" + model +
                                          "' goes to version " + std::to_string(*change.to) +
                                          " now, not " + std::to_string(*wanted.second));
  }
  return ApplyAliasChange(ctx, r, std::move(change));
}

Result<ApiReply> Models(ApiContext& ctx, const ApiRequest& r) {
  const auto& p = r.path;
  store::MetaStore& meta = ctx.meta;
  const bool get = r.method == "GET";
  if (p.size() == 1 && get) {
    HONE_TRY(RequireRole(r.principal, Role::kViewer, "read models"));
    HONE_ASSIGN_OR_RETURN(std::vector<store::Model> models, meta.ListModels());
    return JsonReply(Json{{"models", wire::ToJsonArray(models)}});
  }
  if (p.size() < 2) return Fail(NoRoute(r));
  const std::string& model = p[1];
  if (p.size() == 2 && get) {
    HONE_TRY(RequireRole(r.principal, Role::kViewer, "read models"));
    HONE_ASSIGN_OR_RETURN(store::Model m, meta.GetModel(model));
    return JsonReply(wire::ToJson(m));
  }
  if (p.size() >= 3 && p[2] == "versions") {
    if (p.size() == 3 && r.method == "POST") {
      HONE_TRY(RequireRole(r.principal, Role::kTrainer, "register versions"));
      HONE_ASSIGN_OR_RETURN(Json body, Body(r));
      HONE_ASSIGN_OR_RETURN(store::NewVersion nv,
                            wire::FromJson<store::NewVersion>(body, "request body"));
      nv.model = model;
      HONE_ASSIGN_OR_RETURN(store::ModelVersion v, meta.CreateVersion(nv, ActorOf(r)));
      return JsonReply(wire::ToJson(v), 201);
    }
    HONE_TRY(RequireRole(r.principal, Role::kViewer, "read versions"));
    if (p.size() == 3 && get) {
      store::VersionQuery q;
      HONE_ASSIGN_OR_RETURN(q.limit, QueryCount(r, "limit", 0));
      HONE_ASSIGN_OR_RETURN(q.offset, QueryCount(r, "offset", 0));
      q.newest_first = r.query.contains("newest_first") && r.query.at("newest_first") == "true";
      HONE_ASSIGN_OR_RETURN(std::vector<store::ModelVersion> versions, meta.ListVersions(model, q));
      return JsonReply(Json{{"versions", wire::ToJsonArray(versions)}});
    }
    if (p.size() == 4 && get) {
      HONE_ASSIGN_OR_RETURN(int64_t number, PathInt(p[3], "version"));
      HONE_ASSIGN_OR_RETURN(store::ModelVersion v, meta.GetVersion(model, number));
      return JsonReply(wire::ToJson(v));
    }
    return Fail(NoRoute(r));
  }
  if (p.size() >= 4 && p[2] == "aliases") {
    const std::string& alias = p[3];
    if (p.size() == 4 && get) {
      HONE_TRY(RequireRole(r.principal, Role::kViewer, "read aliases"));
      HONE_ASSIGN_OR_RETURN(int64_t v, meta.ResolveAlias(model, alias));
      return JsonReply(Json{{"version", v}});
    }
    if (p.size() == 4 && (r.method == "POST" || r.method == "PUT")) {
      return MoveAlias(ctx, r, model, alias);
    }
    if (p.size() == 5 && p[4] == "rollback" && r.method == "POST") {
      return RollbackAlias(ctx, r, model, alias);
    }
    if (p.size() == 5 && p[4] == "history" && get) {
      HONE_TRY(RequireRole(r.principal, Role::kViewer, "read aliases"));
      HONE_ASSIGN_OR_RETURN(std::vector<store::AliasMove> moves, meta.AliasHistory(model, alias));
      return JsonReply(Json{{"moves", wire::ToJsonArray(moves)}});
    }
  }
  return Fail(NoRoute(r));
}

// --- /audit, /tokens, /leases ---

// The most audit records one GET /audit?q=… reads before it answers with what it found and
// where to go on: a rare term costs a bounded time per page.
constexpr size_t kAuditScannedPerRequest = 50000;

Result<ApiReply> Audit(ApiContext& ctx, const ApiRequest& r) {
  if (r.path.size() == 1 && r.method == "GET") {
    HONE_TRY(RequireRole(r.principal, Role::kViewer, "read the audit log"));
    store::AuditQuery q;
    HONE_ASSIGN_OR_RETURN(q.after_seq, QueryInt(r, "after_seq", 0));
    HONE_ASSIGN_OR_RETURN(q.before_seq, QueryInt(r, "before_seq", 0));
    HONE_ASSIGN_OR_RETURN(q.limit, QueryCount(r, "limit", 0));
    const auto order = r.query.find("order");
    if (order != r.query.end() && order->second != "asc" && order->second != "desc") {
      return Fail(ErrorCode::kInvalidArgument,
                  "query parameter 'order' must be asc or desc, not '" + order->second + "'");
    }
    q.newest_first = order != r.query.end() && order->second == "desc";
    const auto text = r.query.find("q");
    const store::AuditSearch search =
        store::AuditSearch::Parse(text == r.query.end() ? "" : text->second);
    HONE_ASSIGN_OR_RETURN(store::AuditPage page,
                          store::SearchAudit(ctx.meta, q, search, kAuditScannedPerRequest));
    Json next = page.next_seq ? Json(*page.next_seq) : Json(nullptr);
    return JsonReply(Json{{"records", wire::ToJsonArray(page.records)},
                          {q.newest_first ? "next_before_seq" : "next_after_seq", next},
                          {"scanned", page.scanned}});
  }
  if (r.path.size() == 2 && r.path[1] == "head" && r.method == "GET") {
    HONE_TRY(RequireRole(r.principal, Role::kViewer, "read the audit log"));
    HONE_ASSIGN_OR_RETURN(std::optional<store::AuditHead> head, ctx.meta.GetAuditHead());
    return JsonReply(Json{{"head", head ? wire::ToJson(*head) : Json(nullptr)}});
  }
  if (r.path.size() == 1 && r.method == "POST") {
    HONE_TRY(RequireRole(r.principal, Role::kDeployer, "append to the audit log"));
    HONE_ASSIGN_OR_RETURN(Json body, Body(r));
    HONE_ASSIGN_OR_RETURN(auto fields, wire::Decoding("request body", [&] {
                            return std::array<std::string, 4>{
                                wire::GetString(body, "action"), wire::GetString(body, "subject"),
                                wire::GetString(body, "before"), wire::GetString(body, "after")};
                          }));
    HONE_ASSIGN_OR_RETURN(
        store::AuditRecord record,
        ctx.meta.AppendAudit(fields[0], fields[1], fields[2], fields[3], ActorOf(r)));
    return JsonReply(wire::ToJson(record), 201);
  }
  return Fail(NoRoute(r));
}

// Only admins reach the token endpoints; they see what the store keeps (the salted hash of a
// 128-bit secret, useless for guessing it), never the secret.
Json PublicToken(const store::ApiToken& t) { return wire::ToJson(t); }

Result<ApiReply> Tokens(ApiContext& ctx, const ApiRequest& r) {
  HONE_TRY(RequireRole(r.principal, Role::kAdmin, "manage tokens"));
  if (r.path.size() == 1 && r.method == "GET") {
    HONE_ASSIGN_OR_RETURN(std::vector<store::ApiToken> tokens, ctx.meta.ListTokens());
    Json list = Json::array();
    for (const store::ApiToken& t : tokens) list.push_back(PublicToken(t));
    return JsonReply(Json{{"tokens", std::move(list)}});
  }
  if (r.path.size() == 1 && r.method == "POST") {
    HONE_ASSIGN_OR_RETURN(Json body, Body(r));
    HONE_ASSIGN_OR_RETURN(store::ApiToken token,
                          wire::FromJson<store::ApiToken>(body, "request body"));
    token.created_ms = 0;
    HONE_ASSIGN_OR_RETURN(store::ApiToken stored, ctx.meta.CreateToken(token, ActorOf(r)));
    return JsonReply(PublicToken(stored), 201);
  }
  if (r.path.size() == 2 && r.method == "GET") {
    HONE_ASSIGN_OR_RETURN(store::ApiToken token, ctx.meta.GetToken(r.path[1]));
    return JsonReply(PublicToken(token));
  }
  if (r.path.size() == 2 && r.method == "DELETE") {
    HONE_ASSIGN_OR_RETURN(store::ApiToken token, ctx.meta.RevokeToken(r.path[1], ActorOf(r)));
    return JsonReply(PublicToken(token));
  }
  return Fail(NoRoute(r));
}

Result<ApiReply> Leases(ApiContext& ctx, const ApiRequest& r) {
  if (r.path.size() != 1) return Fail(NoRoute(r));
  HONE_TRY(RequireRole(r.principal, Role::kDeployer, "hold leases"));
  if (r.method == "POST") {
    HONE_ASSIGN_OR_RETURN(Json body, Body(r));
    HONE_ASSIGN_OR_RETURN(auto fields, wire::Decoding("request body", [&] {
                            return std::tuple(wire::GetString(body, "name"),
                                              wire::GetString(body, "holder"),
                                              wire::GetInt(body, "ttl_ms"));
                          }));
    HONE_ASSIGN_OR_RETURN(store::Lease lease,
                          ctx.meta.AcquireLease(std::get<0>(fields), std::get<1>(fields),
                                                std::chrono::milliseconds(std::get<2>(fields))));
    return JsonReply(wire::ToJson(lease));
  }
  if (r.method == "DELETE") {
    HONE_ASSIGN_OR_RETURN(std::string name, QueryString(r, "name"));
    HONE_ASSIGN_OR_RETURN(std::string holder, QueryString(r, "holder"));
    HONE_TRY(ctx.meta.ReleaseLease(name, holder));
    return JsonReply(Json::object());
  }
  return Fail(NoRoute(r));
}

// --- monitoring: what `hone serve` replicas write, and the report `hone monitor` prints ---

// GET /monitor/report?model=M&since_ms=S&until_ms=U: the served versions of M over [S, U)
// (until: now; since: an hour before until).
Result<ApiReply> MonitorReport(ApiContext& ctx, const ApiRequest& r) {
  auto model = r.query.find("model");
  if (model == r.query.end() || model->second.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "query parameter 'model' is missing");
  }
  monitor::ReportSpan span;
  HONE_ASSIGN_OR_RETURN(span.until_ms, QueryInt(r, "until_ms", store::NowMs()));
  HONE_ASSIGN_OR_RETURN(span.since_ms, QueryInt(r, "since_ms", span.until_ms - 3600 * 1000));
  if (span.since_ms > span.until_ms) {
    return Fail(ErrorCode::kInvalidArgument,
                "query parameter 'since_ms' (" + std::to_string(span.since_ms) +
                    ") is after 'until_ms' (" + std::to_string(span.until_ms) + ")");
  }
  HONE_ASSIGN_OR_RETURN(Json report, monitor::ServedReport(ctx.meta, ctx.artifacts, model->second,
                                                           span, /*with_until=*/true));
  // Feature and category names come from users' data: replace bytes that are not UTF-8.
  return ApiReply{200, report.dump(-1, ' ', false, Json::error_handler_t::replace)};
}

Result<ApiReply> Monitoring(ApiContext& ctx, const ApiRequest& r) {
  const auto& p = r.path;
  store::MetaStore& meta = ctx.meta;
  const bool get = r.method == "GET";
  HONE_TRY(RequireRole(r.principal, get ? Role::kViewer : Role::kTrainer,
                       get ? "read monitoring data" : "write monitoring data"));
  if (p[0] == "monitor" && p.size() == 2 && p[1] == "report" && get) {
    return MonitorReport(ctx, r);
  }
  if (p[0] == "monitor" && p.size() == 2 && p[1] == "windows") {
    if (get) {
      HONE_ASSIGN_OR_RETURN(store::WindowQuery q, WindowQueryOf(r));
      HONE_ASSIGN_OR_RETURN(std::vector<store::MonitorWindow> windows, meta.ListMonitorWindows(q));
      return JsonReply(Json{{"windows", wire::ToJsonArray(windows)}});
    }
    if (r.method == "POST") {
      HONE_ASSIGN_OR_RETURN(Json body, Body(r));
      HONE_ASSIGN_OR_RETURN(auto windows, wire::Decoding("request body", [&] {
                              return wire::DecodeArray<store::MonitorWindow>(body, "windows");
                            }));
      HONE_TRY(meta.AppendMonitorWindows(windows));
      return JsonReply(Json::object());
    }
    if (r.method == "DELETE") {
      HONE_ASSIGN_OR_RETURN(std::string model, QueryString(r, "model"));
      HONE_ASSIGN_OR_RETURN(int64_t before, QueryInt(r, "before_ms", 0));
      HONE_ASSIGN_OR_RETURN(uint64_t pruned, meta.PruneMonitorWindows(model, before));
      return JsonReply(Json{{"pruned", pruned}});
    }
  }
  if (p[0] == "predictions") {
    if (p.size() == 1 && r.method == "POST") {
      HONE_ASSIGN_OR_RETURN(Json body, Body(r));
      HONE_ASSIGN_OR_RETURN(auto fields, wire::Decoding("request body", [&] {
                              return std::pair(
                                  wire::DecodeArray<store::PredictionRecord>(body, "records"),
                                  wire::GetUint(body, "keep_per_model"));
                            }));
      HONE_TRY(meta.LogPredictions(fields.first, fields.second));
      return JsonReply(Json::object());
    }
    if (p.size() == 2 && get && p[1] == "labelled") {
      HONE_ASSIGN_OR_RETURN(store::WindowQuery q, WindowQueryOf(r));
      HONE_ASSIGN_OR_RETURN(auto list, meta.ListLabelledPredictions(q));
      return JsonReply(Json{{"predictions", wire::ToJsonArray(list)}});
    }
    if (p.size() == 2 && get && p[1] == "count") {
      HONE_ASSIGN_OR_RETURN(store::WindowQuery q, WindowQueryOf(r));
      HONE_ASSIGN_OR_RETURN(auto counts, meta.CountPredictions(q));
      return JsonReply(Json{{"predictions", counts.first}, {"labelled", counts.second}});
    }
  }
  if (p[0] == "feedback" && p.size() == 1 && r.method == "POST") {
    HONE_ASSIGN_OR_RETURN(std::string model, QueryString(r, "model"));
    HONE_ASSIGN_OR_RETURN(Json body, Body(r));
    HONE_ASSIGN_OR_RETURN(auto feedback, wire::Decoding("request body", [&] {
                            return wire::DecodeArray<store::Feedback>(body, "feedback");
                          }));
    HONE_ASSIGN_OR_RETURN(store::FeedbackResult result, meta.RecordFeedback(model, feedback));
    return JsonReply(wire::ToJson(result));
  }
  return Fail(NoRoute(r));
}

// --- /artifacts: the blobs versions and runs refer to ---

Result<ApiReply> Artifacts(ApiContext& ctx, const ApiRequest& r) {
  const auto& p = r.path;
  if (p.size() < 2 || !store::IsDigest(p[1])) {
    return Fail(ErrorCode::kInvalidArgument,
                "an artifact is named by its SHA-256: 64 lower-case hex characters");
  }
  const std::string& digest = p[1];
  if (p.size() == 3 && p[2] == "exists" && r.method == "GET") {
    HONE_TRY(RequireRole(r.principal, Role::kViewer, "read artifacts"));
    return JsonReply(Json{{"exists", ctx.artifacts.Contains(digest)}});
  }
  if (p.size() != 2) return Fail(NoRoute(r));
  if (r.method == "GET") {
    HONE_TRY(RequireRole(r.principal, Role::kViewer, "read artifacts"));
    HONE_ASSIGN_OR_RETURN(core::FileBytes bytes, ctx.artifacts.Get(digest));
    return ApiReply{200, std::string(bytes.view()), "application/octet-stream"};
  }
  if (r.method == "PUT") {
    HONE_TRY(RequireRole(r.principal, Role::kTrainer, "store artifacts"));
    if (core::Sha256Hex(r.body) != digest) {
      return Fail(ErrorCode::kInvalidArgument,
                  "the artifact's bytes do not hash to " + digest + ": it was damaged on the way");
    }
    HONE_TRY(ctx.artifacts.Put(r.body));
    return JsonReply(Json{{"digest", digest}}, 201);
  }
  return Fail(NoRoute(r));
}

}  // namespace

Result<void> RequireRole(const Principal& principal, Role needed, std::string_view what) {
  if (principal.role >= needed) return {};
  return Fail(ErrorCode::kPermissionDenied,
              "token '" + principal.name + "' (" + store::RoleName(principal.role) + ") may not " +
                  std::string(what) + ": that needs the " + store::RoleName(needed) + " role");
}

Result<bool> IsBlessed(store::MetaStore& meta, const store::ArtifactStore& artifacts,
                       std::string_view model, int64_t version) {
  HONE_ASSIGN_OR_RETURN(store::ModelVersion v, meta.GetVersion(model, version));
  if (!v.run_id) return false;
  HONE_ASSIGN_OR_RETURN(store::Run run, meta.GetRun(*v.run_id));
  for (const store::RunArtifact& a : run.artifacts) {
    if (a.name != "verdict.json") continue;
    HONE_ASSIGN_OR_RETURN(core::FileBytes bytes, artifacts.Get(a.digest));
    Json verdict = Json::parse(bytes.view(), nullptr, false);
    return verdict.is_object() && verdict.contains("blessed") && verdict["blessed"] == true;
  }
  return false;
}

Result<ApiReply> HandleHoneApi(ApiContext& ctx, const ApiRequest& r) {
  if (r.path.empty()) return Fail(NoRoute(r));
  const std::string& head = r.path[0];
  if (head == "runs") return Runs(ctx, r);
  if (head == "models") return Models(ctx, r);
  if (head == "audit") return Audit(ctx, r);
  if (head == "tokens") return Tokens(ctx, r);
  if (head == "leases") return Leases(ctx, r);
  if (head == "monitor" || head == "predictions" || head == "feedback") return Monitoring(ctx, r);
  if (head == "artifacts") return Artifacts(ctx, r);
  if (r.path.size() == 1 && r.method == "GET") {
    HONE_TRY(RequireRole(r.principal, Role::kViewer, "read the store"));
    if (head == "whoami") {
      return JsonReply(
          Json{{"name", r.principal.name}, {"role", store::RoleName(r.principal.role)}});
    }
    if (head == "alias-counter") {
      HONE_ASSIGN_OR_RETURN(int64_t counter, ctx.meta.AliasChangeCounter());
      return JsonReply(Json{{"counter", counter}});
    }
    if (head == "store") {
      HONE_ASSIGN_OR_RETURN(std::string id, ctx.meta.StoreId());
      return JsonReply(Json{{"store_id", id}});
    }
    if (head == "referenced-digests") {
      HONE_ASSIGN_OR_RETURN(auto digests, ctx.meta.ReferencedDigests());
      return JsonReply(Json{{"digests", digests}});
    }
  }
  return Fail(NoRoute(r));
}

}  // namespace hone::server
