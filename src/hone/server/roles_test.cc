// Who may do what, through a real `hone server` on loopback: every role against every kind of
// action, the protected alias, the audit log's actors, and 16 clients at once losing nothing.
#include <atomic>
#include <filesystem>
#include <optional>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "hone/core/digest.h"
#include "hone/serve/testing/http_client.h"
#include "hone/server/team_server.h"
#include "hone/server/testing/role_server.h"
#include "hone/server/tokens.h"
#include "hone/store/artifact_store.h"
#include "hone/store/audit.h"
#include "hone/store/open_store.h"
#include "hone/store/remote/remote_meta_store.h"
#include "hone/store/remote/wire.h"

namespace hone::server {
namespace {

namespace fs = std::filesystem;
using store::Role;
using store::remote::RemoteMetaStore;
using ::testing::HasSubstr;

constexpr Role kRoles[] = {Role::kViewer, Role::kTrainer, Role::kDeployer, Role::kAdmin};

class RolesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("hone_roles_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    TeamServerOptions options;
    options.store = (dir_ / "hone.db").string();
    options.http.threads = 4;
    auto started = testing::StartRoleServer(options);
    ASSERT_TRUE(started) << started.error().message();
    for (Role role : kRoles) tokens_[static_cast<int>(role)] = started->token(role);
    server_ = std::move(started->server);
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  std::unique_ptr<RemoteMetaStore> As(Role role) {
    auto s = RemoteMetaStore::Open(server_->url(), {.token = tokens_[static_cast<int>(role)]});
    EXPECT_TRUE(s) << s.error().message();
    return s ? std::move(*s) : nullptr;
  }

  /// Registers a version of "churn" (as the admin); `blessed` gives its run a verdict.json the
  /// gate would have written, kept in the server's artifact folder.
  int64_t Register(bool blessed) {
    auto admin = As(Role::kAdmin);
    auto run = admin->CreateRun({.command = "hone run"});
    EXPECT_TRUE(run);
    const std::string verdict =
        blessed ? R"({"blessed": true, "checks": []})" : R"({"blessed": false, "checks": []})";
    const std::string digest = core::Sha256Hex(verdict);
    EXPECT_TRUE(admin->PutBlob(digest, verdict));
    EXPECT_TRUE(admin->LogArtifact(*run, {"verdict.json", digest, int64_t(verdict.size())}));
    store::NewVersion nv{.model = "churn", .bundle_digest = std::string(64, 'b'), .run_id = *run};
    auto v = admin->CreateVersion(nv, {"ignored"});
    EXPECT_TRUE(v) << v.error().message();
    return v ? v->version : 0;
  }

  fs::path dir_;
  std::string tokens_[4];
  std::unique_ptr<TeamServer> server_;
};

// One action per row, and the weakest role allowed to do it.
struct Action {
  const char* what;
  Role needs;
  std::function<Result<void>(RemoteMetaStore&, int)> run;  // int: a unique number per call
};

TEST_F(RolesTest, EveryRoleMayDoExactlyWhatItsRoleAllows) {
  const int64_t blessed = Register(true);
  const std::string blob = "some bytes";
  const std::vector<Action> actions = {
      {"list models", Role::kViewer,
       [](RemoteMetaStore& s, int) -> Result<void> {
         HONE_TRY(s.ListModels());
         return {};
       }},
      {"read the audit log", Role::kViewer,
       [](RemoteMetaStore& s, int) -> Result<void> {
         HONE_TRY(s.ListAudit({}));
         return {};
       }},
      {"read an artifact", Role::kViewer,
       [&](RemoteMetaStore& s, int) -> Result<void> {
         HONE_TRY(s.HasBlob(core::Sha256Hex("x")));
         return {};
       }},
      {"start a run and log to it", Role::kTrainer,
       [](RemoteMetaStore& s, int) -> Result<void> {
         HONE_ASSIGN_OR_RETURN(std::string id, s.CreateRun({.command = "train"}));
         const store::Metric m{"rmse", 1.0, 0, 0};
         return s.LogMetrics(id, std::span(&m, 1));
       }},
      {"register a version", Role::kTrainer,
       [](RemoteMetaStore& s, int) -> Result<void> {
         HONE_TRY(s.CreateVersion({.model = "churn", .bundle_digest = std::string(64, 'c')}, {}));
         return {};
       }},
      {"store an artifact", Role::kTrainer,
       [&](RemoteMetaStore& s, int) -> Result<void> {
         return s.PutBlob(core::Sha256Hex(blob), blob);
       }},
      {"write monitoring windows", Role::kTrainer,
       [](RemoteMetaStore& s, int) -> Result<void> {
         const store::MonitorWindow w{"churn", 1, 1, 2, "srv", 1, 0, 1, "{}"};
         return s.AppendMonitorWindows(std::span(&w, 1));
       }},
      {"move the canary", Role::kDeployer,
       [=](RemoteMetaStore& s, int) -> Result<void> {
         HONE_TRY(s.MoveAlias({.model = "churn", .alias = "canary", .to = blessed}));
         return {};
       }},
      {"promote a blessed version", Role::kDeployer,
       [=](RemoteMetaStore& s, int) -> Result<void> {
         HONE_TRY(s.MoveAlias({.model = "churn", .alias = "production", .to = blessed}));
         return {};
       }},
      {"hold a lease", Role::kDeployer,
       [](RemoteMetaStore& s, int) -> Result<void> {
         HONE_TRY(s.AcquireLease("watch-churn", "me", std::chrono::milliseconds(10)));
         return {};
       }},
      {"append a decision to the audit log", Role::kDeployer,
       [](RemoteMetaStore& s, int) -> Result<void> {
         HONE_TRY(s.AppendAudit("decide", "churn", "null", "{}", {}));
         return {};
       }},
      {"create a token", Role::kAdmin,
       [](RemoteMetaStore& s, int n) -> Result<void> {
         HONE_ASSIGN_OR_RETURN(MintedToken t, MintToken("t" + std::to_string(n), Role::kViewer));
         HONE_TRY(s.CreateToken(t.stored, {}));
         return {};
       }},
      {"list tokens", Role::kAdmin,
       [](RemoteMetaStore& s, int) -> Result<void> {
         HONE_TRY(s.ListTokens());
         return {};
       }},
      {"remove the production alias", Role::kAdmin,
       [=](RemoteMetaStore& s, int) -> Result<void> {
         (void)s.MoveAlias(
             {.model = "churn", .alias = "production", .to = blessed, .action = "setup"});
         HONE_TRY(s.MoveAlias(
             {.model = "churn", .alias = "production", .to = std::nullopt, .action = "delete"}));
         return {};
       }},
  };
  // The deployer cannot put production back after the admin's removal in the same row run, so
  // each row runs the roles weakest first and the admin last.
  int n = 0;
  for (const Action& a : actions) {
    for (Role role : kRoles) {
      auto client = As(role);
      ASSERT_NE(client, nullptr);
      Result<void> done = a.run(*client, n++);
      const bool allowed = role >= a.needs;
      if (allowed) {
        EXPECT_TRUE(done) << store::RoleName(role) << " may " << a.what << ": "
                          << done.error().message();
      } else {
        ASSERT_FALSE(done) << store::RoleName(role) << " may not " << a.what;
        EXPECT_EQ(done.error().code(), ErrorCode::kPermissionDenied)
            << a.what << ": " << done.error().message();
        EXPECT_THAT(done.error().message(), HasSubstr(store::RoleName(role)));
      }
    }
  }
}

TEST_F(RolesTest, ProductionTakesOnlyABlessedVersionUnlessAnAdminForcesItAndTheLogSaysSo) {
  const int64_t good = Register(true);
  const int64_t unblessed = Register(false);
  auto deployer = As(Role::kDeployer);
  auto admin = As(Role::kAdmin);
  ASSERT_TRUE(deployer->MoveAlias({.model = "churn", .alias = "production", .to = good}));
  auto refused = deployer->MoveAlias({.model = "churn", .alias = "production", .to = unblessed});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_THAT(refused.error().message(), HasSubstr("no blessed gate verdict"));
  // Not even the admin without --force; a deployer may not force at all.
  EXPECT_FALSE(admin->MoveAlias({.model = "churn", .alias = "production", .to = unblessed}));
  EXPECT_EQ(
      deployer
          ->MoveAlias({.model = "churn", .alias = "production", .to = unblessed, .forced = true})
          .error()
          .code(),
      ErrorCode::kPermissionDenied);
  // The canary is not protected.
  EXPECT_TRUE(deployer->MoveAlias({.model = "churn", .alias = "canary", .to = unblessed}));
  ASSERT_TRUE(
      admin->MoveAlias({.model = "churn", .alias = "production", .to = unblessed, .forced = true}));
  EXPECT_EQ(admin->ResolveAlias("churn", "production").value(), unblessed);

  auto audit = admin->ListAudit({});
  ASSERT_TRUE(audit);
  const store::AuditRecord& last = audit->back();
  EXPECT_EQ(last.actor, "admin-bot");
  EXPECT_EQ(last.subject, "churn@production");
  EXPECT_THAT(last.after, HasSubstr("\"forced\":true"));
  EXPECT_EQ((*audit)[audit->size() - 2].actor, "deployer-bot");  // the canary
  EXPECT_THAT(store::VerifyAuditChain(*audit, admin->GetAuditHead().value()), ::testing::IsEmpty());
}

TEST_F(RolesTest, NoTokenOrAWrongOneCannotConnect) {
  auto none = RemoteMetaStore::Open(server_->url(), {.token = ""});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_THAT(none.error().message(), HasSubstr("needs a token"));
  std::string wrong = tokens_[0];
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  auto refused = RemoteMetaStore::Open(server_->url(), {.token = wrong});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::kPermissionDenied);
  auto admin = As(Role::kAdmin);
  ASSERT_TRUE(admin->RevokeToken("viewer-bot", {}));
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));  // the server's token cache
  auto revoked = RemoteMetaStore::Open(server_->url(), {.token = tokens_[0]});
  ASSERT_FALSE(revoked);
  EXPECT_THAT(revoked.error().message(), HasSubstr("revoked"));
}

// Raw requests, as any HTTP client may send them: each failure is a JSON error with the status
// that says what went wrong.
TEST_F(RolesTest, BadRequestsAreAnsweredWithTheirStatusAndAJsonError) {
  serve::testing::HttpClient http(server_->port());
  auto send = [&](std::string_view method, std::string_view target, std::string_view body,
                  std::optional<Role> role) {
    const std::string auth =
        role ? "Authorization: Bearer " + tokens_[static_cast<int>(*role)] + "\r\n" : "";
    auto r = http.Send(method, target, body, "application/json", auth);
    EXPECT_TRUE(r) << method << " " << target << ": no answer";
    return r.value_or(serve::testing::ClientResponse{});
  };
  auto expect = [](const serve::testing::ClientResponse& r, int status, std::string_view code,
                   std::string_view words) {
    EXPECT_EQ(r.status, status) << r.body;
    const auto j = nlohmann::json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object() && j.contains("error")) << r.body;
    EXPECT_EQ(j["error"].value("code", ""), code) << r.body;
    EXPECT_THAT(r.body, HasSubstr(words));
  };
  expect(send("GET", "/api/hone/v1/models", "", std::nullopt), 401, "permission_denied",
         "needs a token");
  expect(send("POST", "/api/hone/v1/runs", R"({"command": "train"})", Role::kViewer), 403,
         "permission_denied", "viewer");
  expect(send("POST", "/api/hone/v1/runs", "{not json", Role::kTrainer), 400, "invalid_argument",
         "JSON");
  expect(send("POST", "/api/hone/v1/runs", R"({"command": 7})", Role::kTrainer), 400,
         "invalid_argument", "command");
  expect(send("GET", "/api/hone/v1/runs/0123456789abcdef0123456789abcdef", "", Role::kViewer), 404,
         "not_found", "unknown run");
  expect(send("GET", "/api/hone/v1/no-such-thing", "", Role::kViewer), 404, "not_found",
         "no-such-thing");
  auto taken = MintToken("viewer-bot", Role::kViewer);  // a live token has that name
  ASSERT_TRUE(taken);
  expect(
      send("POST", "/api/hone/v1/tokens", store::wire::ToJson(taken->stored).dump(), Role::kAdmin),
      409, "conflict", "viewer-bot");
  // A body over the server's limit is refused from its Content-Length, before it is read.
  auto large = http.SendRaw(
      "PUT /api/hone/v1/artifacts/" + std::string(64, 'a') +
      " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
      tokens_[static_cast<int>(Role::kTrainer)] +
      "\r\nContent-Type: application/octet-stream\r\nContent-Length: 4000000000\r\n\r\nxyz");
  ASSERT_TRUE(large);
  EXPECT_EQ(large->status, 413) << large->body;
  EXPECT_THAT(large->body, HasSubstr("larger than the limit"));
}

// POST /models/M/aliases/A/rollback: `hone rollback` on the server, for the dashboard.
TEST_F(RolesTest, ARollbackGoesWhereHoneRollbackGoesAndOnlyFromWhereTheCallerSawIt) {
  for (int i = 0; i < 3; ++i) Register(/*blessed=*/i != 1);  // v2 is not blessed
  auto admin = As(Role::kAdmin);
  store::AliasChange forced{"churn", "production", 2, std::nullopt, "promote", {"x"}};
  forced.forced = true;
  for (const store::AliasChange& change :
       {store::AliasChange{"churn", "production", 1, std::nullopt, "promote", {"x"}}, forced,
        store::AliasChange{"churn", "production", 3, std::nullopt, "promote", {"x"}},
        store::AliasChange{"churn", "production", 1, std::nullopt, "promote", {"x"}}}) {
    ASSERT_TRUE(admin->MoveAlias(change));
  }

  serve::testing::HttpClient http(server_->port());
  auto rollback = [&](Role role, std::string_view alias, std::string_view body) {
    auto r = http.Send(
        "POST", "/api/hone/v1/models/churn/aliases/" + std::string(alias) + "/rollback", body,
        "application/json", "Authorization: Bearer " + tokens_[static_cast<int>(role)] + "\r\n");
    EXPECT_TRUE(r);
    return r.value_or(serve::testing::ClientResponse{});
  };
  auto production = [&] { return admin->ResolveAlias("churn", "production").value(); };
  EXPECT_EQ(rollback(Role::kViewer, "production", "{}").status, 403);
  // Seen at 2, or told it goes to 2: neither is so, and nothing moves.
  auto stale = rollback(Role::kDeployer, "production", R"({"expect": 2})");
  EXPECT_EQ(stale.status, 409) << stale.body;
  EXPECT_THAT(stale.body, HasSubstr("points at version 1 now, not 2"));
  stale = rollback(Role::kDeployer, "production", R"({"expect": 1, "to": 2})");
  EXPECT_EQ(stale.status, 409) << stale.body;
  EXPECT_THAT(stale.body, HasSubstr("goes to version 3 now, not 2"));
  EXPECT_EQ(production(), 1);

  auto back = rollback(Role::kDeployer, "production", R"({"expect": 1, "to": 3})");
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_EQ(nlohmann::json::parse(back.body)["to"], 3);
  EXPECT_EQ(production(), 3);
  auto moves = admin->AliasHistory("churn", "production").value();
  ASSERT_EQ(moves.size(), 5u);
  EXPECT_EQ(moves[4].action, "rollback");
  EXPECT_EQ(moves[4].actor, "deployer-bot");
  // The next rollback walks back past the undone move, to v2, which is not blessed: the
  // protected alias refuses it to anyone, as it refuses `hone rollback` (no body: from
  // wherever the alias is).
  for (Role role : {Role::kDeployer, Role::kAdmin}) {
    auto refused = rollback(role, "production", "");
    EXPECT_EQ(refused.status, 403) << refused.body;
    EXPECT_THAT(refused.body, HasSubstr("churn/2 has no blessed gate verdict"));
  }
  EXPECT_EQ(production(), 3);
  // An alias with nothing before it, and one that does not exist.
  ASSERT_TRUE(admin->MoveAlias({"churn", "canary", 1, std::nullopt, "canary", {"x"}}));
  EXPECT_EQ(rollback(Role::kDeployer, "canary", "{}").status, 404);
  EXPECT_EQ(rollback(Role::kDeployer, "shadow", "{}").status, 404);
}

// GET /audit as the dashboard's decisions page asks it: newest first, searched on the server
// by terms in action, actor or subject, paged by before_seq.
TEST_F(RolesTest, TheAuditLogIsSearchedNewestFirstOnTheServer) {
  for (int i = 0; i < 3; ++i) Register(/*blessed=*/true);  // three "register" records by admin-bot
  auto deployer = As(Role::kDeployer);
  ASSERT_TRUE(deployer->MoveAlias({"churn", "production", 1, std::nullopt, "promote", {"x"}}));
  ASSERT_TRUE(deployer->MoveAlias({"churn", "production", 2, std::nullopt, "promote", {"x"}}));
  ASSERT_TRUE(deployer->MoveAlias({"churn", "production", 1, std::nullopt, "rollback", {"x"}}));
  const int64_t head = deployer->GetAuditHead().value()->seq;

  serve::testing::HttpClient http(server_->port());
  auto get = [&](const std::string& target) {
    auto r =
        http.Send("GET", target, "", "application/json",
                  "Authorization: Bearer " + tokens_[static_cast<int>(Role::kViewer)] + "\r\n");
    EXPECT_TRUE(r) << target;
    EXPECT_EQ(r->status, 200) << target << ": " << r->body;
    return nlohmann::json::parse(r->body, nullptr, false);
  };
  auto actions = [](const nlohmann::json& page) {
    std::vector<std::string> out;
    for (const auto& r : page["records"]) out.push_back(r["action"]);
    return out;
  };
  // Two terms, any case, in action and actor: the deployer's promotions, newest first.
  auto page = get("/api/hone/v1/audit?order=desc&q=PROMOTE%20deployer-bot");
  EXPECT_EQ(actions(page), (std::vector<std::string>{"promote", "promote"}));
  EXPECT_EQ(page["records"][0]["seq"], head - 1);
  EXPECT_TRUE(page["next_before_seq"].is_null());  // searched to the start of the log
  // A page of two, and the next from where it ended.
  page = get("/api/hone/v1/audit?order=desc&limit=2&q=churn");
  EXPECT_EQ(actions(page), (std::vector<std::string>{"rollback", "promote"}));
  ASSERT_EQ(page["next_before_seq"], head - 1);
  page =
      get("/api/hone/v1/audit?order=desc&limit=2&q=churn&before_seq=" + std::to_string(head - 1));
  EXPECT_EQ(actions(page), (std::vector<std::string>{"promote", "register"}));
  // Without order or q, the answer is what it was: oldest first.
  page = get("/api/hone/v1/audit?after_seq=0&limit=1");
  EXPECT_EQ(page["records"][0]["seq"], 1);
  EXPECT_EQ(page["next_after_seq"], 1);

  auto bad =
      http.Send("GET", "/api/hone/v1/audit?order=sideways", "", "application/json",
                "Authorization: Bearer " + tokens_[static_cast<int>(Role::kViewer)] + "\r\n");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_THAT(bad->body, HasSubstr("'order' must be asc or desc"));
}

// Found by hone_server_fuzz: a URL whose bytes are not UTF-8, raw or %-decoded, took the server
// down when an error message echoed it; an unknown run status was answered as corrupt data.
TEST_F(RolesTest, AUrlThatIsNotUtf8AndAnUnknownRunStatusAreTheClientsErrors) {
  serve::testing::HttpClient http(server_->port());
  const std::string auth =
      "Authorization: Bearer " + tokens_[static_cast<int>(Role::kTrainer)] + "\r\n";
  for (std::string_view target :
       {"/api/hone/v1/models/%ff", "/api/hone/v1/runs?model=%c3%28",
        "/api/2.0/mlflow/experiments/get-by-name?experiment_name=%e2%82", "/no/such/\xff"}) {
    auto r = http.Send("GET", target, "", "application/json", auth);
    ASSERT_TRUE(r) << target << ": no answer (the server stopped?)";
    EXPECT_EQ(r->status, 400) << target << ": " << r->body;
    EXPECT_TRUE(nlohmann::json::accept(r->body)) << r->body;
  }
  auto made =
      http.Send("POST", "/api/hone/v1/runs", R"({"command": "train"})", "application/json", auth);
  ASSERT_TRUE(made);
  ASSERT_EQ(made->status, 201) << made->body;
  const std::string id = nlohmann::json::parse(made->body).value("run_id", "");
  auto ended =
      http.Send("POST", "/api/hone/v1/runs/" + id + "/end",
                R"({"status": "fhnished", "end_ms": 1700000000000})", "application/json", auth);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->status, 400) << ended->body;
  EXPECT_THAT(ended->body, HasSubstr("invalid_argument"));
  EXPECT_THAT(ended->body, HasSubstr("fhnished"));
}

TEST_F(RolesTest, SixteenClientsLoggingAndRegisteringAtOnceLoseNothing) {
  constexpr int kClients = 16, kEach = 10;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  std::vector<std::string> runs(kClients);
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      auto s = As(Role::kTrainer);
      if (!s) return ++failures, void();
      auto run = s->CreateRun({.command = "client " + std::to_string(c)});
      if (!run) return ++failures, void();
      runs[c] = *run;
      for (int i = 0; i < kEach; ++i) {
        const store::Metric m{"loss", double(i), i, 1000 + i};
        if (!s->LogMetrics(*run, std::span(&m, 1))) ++failures;
        if (!s->LogParams(*run, {{"p" + std::to_string(i), std::to_string(c)}})) ++failures;
        if (!s->CreateVersion(
                {.model = "m" + std::to_string(c % 4), .bundle_digest = std::string(64, 'b')},
                {})) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);
  auto admin = As(Role::kAdmin);
  for (int c = 0; c < kClients; ++c) {
    auto run = admin->GetRun(runs[c]);
    ASSERT_TRUE(run);
    EXPECT_EQ(run->metrics.size(), size_t{kEach});
    EXPECT_EQ(run->params.size(), size_t{kEach});
  }
  for (int m = 0; m < 4; ++m) {
    auto versions = admin->ListVersions("m" + std::to_string(m), {});
    ASSERT_TRUE(versions);
    ASSERT_EQ(versions->size(), size_t{kClients / 4 * kEach});
    for (size_t i = 0; i < versions->size(); ++i) EXPECT_EQ((*versions)[i].version, int64_t(i) + 1);
  }
  auto audit = admin->ListAudit({});
  EXPECT_THAT(store::VerifyAuditChain(*audit, admin->GetAuditHead().value()), ::testing::IsEmpty());
}

}  // namespace
}  // namespace hone::server
