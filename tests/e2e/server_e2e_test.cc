// `hone server` as a team runs it: the real binary on an SQLite file and on PostgreSQL, the
// first admin token made with `hone token create`, and every other command pointed at the
// server with --store http://… and a token in HONE_TOKEN.
#include <chrono>
#include <cstdlib>
#include <optional>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hone/core/test_postgres.h"
#include "hone/serve/testing/http_client.h"
#include "hone_runner.h"

namespace hone::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ServerE2e : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      auto url = core::testing::TestPostgresUrl();
      if (!url) GTEST_SKIP() << core::testing::kPostgresMissing;
      schema_ = std::make_unique<PgSchema>(*url, "hone_server_e2e");
      ASSERT_TRUE(schema_->ok()) << schema_->created().out;
      store_ = schema_->StoreUrl();
    } else {
      store_ = ws_.Path("team.db").string();
    }
    // Blobs fetched from the server are cached here, not in the user's home.
    setenv("XDG_CACHE_HOME", ws_.Path("cache").c_str(), 1);
  }
  void TearDown() override {
    unsetenv("HONE_TOKEN");
    unsetenv("XDG_CACHE_HOME");
  }

  /// `hone ARGS…` with `token` in HONE_TOKEN.
  RunResult As(const std::string& token, std::vector<std::string> args) {
    setenv("HONE_TOKEN", token.c_str(), 1);
    RunResult r = ws_.Hone(args);
    unsetenv("HONE_TOKEN");
    return r;
  }

  Workspace ws_;
  std::unique_ptr<PgSchema> schema_;
  std::string store_;
};

TEST_P(ServerE2e, ATeamWorksThroughTheServerWithTokensAndRoles) {
  RunResult admin_made = ws_.Hone({"token", "create", "--store", store_, "--name", "root", "--role",
                                   "admin", "--out", "admin.tok"});
  ASSERT_EQ(admin_made.exit_code, 0) << admin_made.err;
  const std::string admin = ws_.Read("admin.tok").substr(0, 54);
  std::vector<std::string> args = {"--store", store_, "--threads", "4"};
  if (GetParam() == "postgres") {
    args.insert(args.end(), {"--artifacts", ws_.Path("server-artifacts").string()});
  }
  HoneProcess server(ws_, "server", args);
  const uint16_t port = server.WaitForPort();
  ASSERT_NE(port, 0) << server.Log();
  const std::string url = "http://127.0.0.1:" + std::to_string(port);

  RunResult made =
      As(admin, {"token", "create", "--store", url, "--name", "ci", "--role", "trainer", "--json"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string ci = nlohmann::json::parse(made.out).at("token").get<std::string>();
  ASSERT_EQ(As(admin, {"token", "create", "--store", url, "--name", "ops", "--role", "deployer",
                       "--out", "ops.tok"})
                .exit_code,
            0);
  const std::string ops = ws_.Read("ops.tok").substr(0, 54);

  // A training job registers through the server: its bundle goes to the server's folder.
  ws_.Write("houses.csv", HousesCsv(300, 1));
  RunResult trained =
      As(ci, {"train", "--data", "houses.csv", "--target", "price", "--register", "houses",
              "--param", "n_estimators=10", "--threads", "1", "--store", url});
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  RunResult listed = As(ci, {"models", "list", "--store", url});
  EXPECT_THAT(listed.out, HasSubstr("houses"));

  // The trainer may not promote; the deployer may not promote an unblessed version to the
  // protected production alias; the admin may, with --force.
  RunResult trainer_promotes = As(ci, {"promote", "houses", "1", "--store", url});
  EXPECT_EQ(trainer_promotes.exit_code, 2);
  EXPECT_THAT(trainer_promotes.err, HasSubstr("needs the deployer role"));
  RunResult unblessed = As(ops, {"promote", "houses", "1", "--store", url});
  EXPECT_EQ(unblessed.exit_code, 2);
  EXPECT_THAT(unblessed.err, HasSubstr("no blessed gate verdict"));
  EXPECT_EQ(As(ops, {"promote", "houses", "1", "--alias", "canary", "--store", url}).exit_code, 0);
  EXPECT_EQ(As(admin, {"promote", "houses", "1", "--force", "--store", url}).exit_code, 0);

  // Another machine (an empty cache) predicts with the production bundle from the server.
  std::filesystem::remove_all(ws_.Path("cache"));
  RunResult predicted =
      As(ci, {"predict", "--model", "houses@production", "--data", "houses.csv", "--store", url});
  ASSERT_EQ(predicted.exit_code, 0) << predicted.err;
  EXPECT_THAT(predicted.out, HasSubstr("prediction"));

  // The audit log names the tokens, says what was forced, and still verifies.
  RunResult audit = As(ops, {"audit", "list", "--store", url, "--json"});
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  EXPECT_THAT(audit.out, HasSubstr("\"actor\":\"ci\""));
  EXPECT_THAT(audit.out, HasSubstr("\"actor\":\"ops\""));
  EXPECT_THAT(audit.out, HasSubstr("forced"));
  RunResult verified = As(ops, {"audit", "verify", "--store", url});
  EXPECT_EQ(verified.exit_code, 0) << verified.err;

  // Revoked and missing tokens are refused with a clear word.
  ASSERT_EQ(As(admin, {"token", "revoke", "ops", "--store", url}).exit_code, 0);
  RunResult no_token = ws_.Hone({"models", "list", "--store", url});
  EXPECT_EQ(no_token.exit_code, 2);
  EXPECT_THAT(no_token.err, HasSubstr("needs a token"));
  // The secrets were never printed to the server's log.
  EXPECT_THAT(server.Log(), Not(HasSubstr(ci.substr(22))));
  EXPECT_THAT(server.Log(), Not(HasSubstr(admin.substr(22))));
  EXPECT_EQ(server.Terminate(), 0) << server.Log();
}

// `hone serve` whose store is the server: it reads and logs with its own (trainer) token, and
// its feedback endpoint takes the server's tokens and roles. On PostgreSQL the server is given
// a URL without the password, which it reads from --store-password-file, and never prints.
TEST_P(ServerE2e, AModelServerOnTheServerTakesItsTokensForFeedback) {
  ASSERT_EQ(ws_.Hone({"token", "create", "--store", store_, "--name", "root", "--role", "admin",
                      "--out", "admin.tok"})
                .exit_code,
            0);
  const std::string admin = ws_.Read("admin.tok").substr(0, 54);
  std::vector<std::string> args = {"--store", store_};
  std::string password;
  if (GetParam() == "postgres") {
    const size_t colon = store_.find(':', store_.find("://") + 3), at = store_.find('@');
    ASSERT_LT(colon, at) << "HONE_TEST_PG_URL has no password";
    password = store_.substr(colon + 1, at - colon - 1);
    ws_.Write("pg.password", password + "\n");
    args = {"--store",
            store_.substr(0, colon) + store_.substr(at),
            "--store-password-file",
            ws_.Path("pg.password").string(),
            "--artifacts",
            ws_.Path("server-artifacts").string()};
  }
  HoneProcess server(ws_, "server", args);
  const uint16_t server_port = server.WaitForPort();
  ASSERT_NE(server_port, 0) << server.Log();
  const std::string url = "http://127.0.0.1:" + std::to_string(server_port);
  auto make = [&](const std::string& name, const std::string& role) {
    RunResult r =
        As(admin, {"token", "create", "--store", url, "--name", name, "--role", role, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? nlohmann::json::parse(r.out).at("token").get<std::string>()
                            : std::string();
  };
  const std::string ci = make("ci", "trainer"), viewer = make("dashboards", "viewer");
  ws_.Write("houses.csv", HousesCsv(300, 1));
  ASSERT_EQ(As(ci, {"train", "--data", "houses.csv", "--target", "price", "--register", "houses",
                    "--param", "n_estimators=10", "--threads", "1", "--store", url})
                .exit_code,
            0);
  ASSERT_EQ(As(admin, {"promote", "houses", "1", "--force", "--store", url}).exit_code, 0);

  setenv("HONE_TOKEN", ci.c_str(), 1);
  HoneProcess serve(ws_, "serve",
                    {"--store", url, "--poll-interval-ms", "100", "--monitor-interval-ms", "200"});
  unsetenv("HONE_TOKEN");
  const uint16_t port = serve.WaitForPort();
  ASSERT_NE(port, 0) << serve.Log();
  serve::testing::HttpClient client(port);
  const nlohmann::json row = {
      {"id", "req-1"},
      {"inputs",
       {{{"name", "size"}, {"shape", {1}}, {"datatype", "FP64"}, {"data", {120.0}}},
        {{"name", "rooms"}, {"shape", {1}}, {"datatype", "INT32"}, {"data", {3}}},
        {{"name", "district"}, {"shape", {1}}, {"datatype", "BYTES"}, {"data", {"north"}}},
        {{"name", "built"}, {"shape", {1}}, {"datatype", "INT32"}, {"data", {1990}}}}}};
  std::optional<serve::testing::ClientResponse> predicted;
  for (int i = 0; i < 100; ++i) {  // until the production version is loaded
    predicted = client.Send("POST", "/v2/models/houses/infer", row.dump());
    if (predicted && predicted->status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(predicted && predicted->status == 200)
      << (predicted ? predicted->body : "no answer") << serve.Log();

  // Predictions need no token; feedback needs a trainer's.
  const std::string feedback = R"({"feedback": [{"id": "req-1", "label": 310000}]})";
  auto none = client.Send("POST", "/v2/models/houses/feedback", feedback);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401) << none->body;
  EXPECT_THAT(none->body, HasSubstr("Authorization: Bearer"));
  EXPECT_EQ(none->header("www-authenticate"), R"(Bearer realm="hone")");
  auto wrong = client.Send("POST", "/v2/models/houses/feedback", feedback, "application/json",
                           "Authorization: Bearer " + ci.substr(0, 40) + "0000000000000000\r\n");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401) << wrong->body;
  auto read_only = client.Send("POST", "/v2/models/houses/feedback", feedback, "application/json",
                               "Authorization: Bearer " + viewer + "\r\n");
  ASSERT_TRUE(read_only);
  EXPECT_EQ(read_only->status, 403) << read_only->body;
  EXPECT_THAT(read_only->body, HasSubstr("trainer"));
  // The prediction reaches the log in the monitor's next round: retry until it is matched.
  int matched = 0;
  for (int i = 0; i < 100 && matched == 0; ++i) {
    auto accepted = client.Send("POST", "/v2/models/houses/feedback", feedback, "application/json",
                                "Authorization: Bearer " + ci + "\r\n");
    ASSERT_TRUE(accepted);
    ASSERT_EQ(accepted->status, 200) << accepted->body;
    matched = nlohmann::json::parse(accepted->body).value("matched", 0);
    if (matched == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(matched, 1);
  // A revoked token is refused once the cache (2 s) has let it go.
  ASSERT_EQ(As(admin, {"token", "revoke", "ci", "--store", url}).exit_code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  auto revoked = client.Send("POST", "/v2/models/houses/feedback", feedback, "application/json",
                             "Authorization: Bearer " + ci + "\r\n");
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked->status, 401) << revoked->body;
  EXPECT_THAT(serve.Log(), HasSubstr("refused a request from 127.0.0.1"));
  EXPECT_EQ(serve.Terminate(), 0) << serve.Log();

  // `hone monitor --json` through the server prints what the server's own report answers
  // (GET /monitor/report), which adds only where the span ends.
  RunResult monitored = As(viewer, {"monitor", "houses", "--json", "--store", url});
  ASSERT_EQ(monitored.exit_code, 0) << monitored.err;
  nlohmann::json cli = nlohmann::json::parse(monitored.out);
  std::vector<std::string> keys;
  for (const auto& [key, value] : cli.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"model", "since", "versions"}));
  ASSERT_EQ(cli["versions"].size(), 1u) << cli.dump(2);
  keys.clear();
  for (const auto& [key, value] : cli["versions"][0].items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"alias", "drift", "error_rate", "errors", "latency_ms",
                                            "live", "offline", "requests", "rows", "version",
                                            "weight", "windows"}));
  EXPECT_EQ(cli["versions"][0]["alias"], "production");
  EXPECT_GE(cli["versions"][0]["requests"].get<int>(), 1);
  EXPECT_GE(cli["versions"][0]["live"]["labels"].get<int>(), 1);
  auto answered = serve::testing::HttpClient(server_port)
                      .Send("GET", "/api/hone/v1/monitor/report?model=houses", {},
                            "application/json", "Authorization: Bearer " + viewer + "\r\n");
  ASSERT_TRUE(answered);
  ASSERT_EQ(answered->status, 200) << answered->body;
  nlohmann::json api = nlohmann::json::parse(answered->body);
  EXPECT_TRUE(api["until"].is_string());
  for (nlohmann::json* j : {&cli, &api}) {
    j->erase("since");
    j->erase("until");
  }
  EXPECT_EQ(cli, api);
  // --until ends the span earlier: an hour that ended an hour ago saw nothing.
  RunResult earlier =
      As(viewer, {"monitor", "houses", "--json", "--since", "2h", "--until", "1h", "--store", url});
  ASSERT_EQ(earlier.exit_code, 0) << earlier.err;
  const nlohmann::json past = nlohmann::json::parse(earlier.out);
  EXPECT_TRUE(past["until"].is_string());
  EXPECT_EQ(past["versions"][0]["windows"], 0);
  EXPECT_TRUE(past["versions"][0]["drift"].is_null());
  RunResult backwards =
      As(viewer, {"monitor", "houses", "--since", "1h", "--until", "2h", "--store", url});
  EXPECT_EQ(backwards.exit_code, 2);
  EXPECT_THAT(backwards.err, HasSubstr("--until"));

  EXPECT_EQ(server.Terminate(), 0) << server.Log();
  for (const std::string& secret : {ci.substr(22), viewer.substr(22), admin.substr(22)}) {
    EXPECT_THAT(server.Log() + serve.Log(), Not(HasSubstr(secret)));
  }
  if (!password.empty()) {
    EXPECT_THAT(server.Log(), Not(HasSubstr(password)));
  }
}

// `hone ui` on the store of this folder: the dashboard's files under /ui/, and a token for the
// session in the address it prints, which the API takes (and no other).
TEST(UiE2e, TheDashboardOnThisMachinesStoreWithASessionToken) {
  Workspace ws;
  ws.Write("houses.csv", HousesCsv(200, 2));
  ASSERT_EQ(ws.Hone({"train", "--data", "houses.csv", "--target", "price", "--register", "houses",
                     "--param", "n_estimators=5", "--threads", "1"})
                .exit_code,
            0);
  std::filesystem::create_directories(ws.Path("dist/assets"));
  ws.Write("dist/index.html", "<!doctype html><title>hone dashboard</title>");
  ws.Write("dist/assets/app-1a2b.js", "console.log('hone')");
  HoneProcess ui(ws, "ui", {"--ui-dir", ws.Path("dist").string()});
  const uint16_t port = ui.WaitForPort();
  ASSERT_NE(port, 0) << ui.Log();
  std::string token;
  for (int i = 0; i < 100 && token.empty(); ++i) {  // the address is printed after the port
    const std::string log = ui.Log();
    if (const size_t at = log.find("/ui/?token="); at != std::string::npos) {
      token = log.substr(at + 11, 54);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ASSERT_EQ(token.size(), 54u) << ui.Log();
  EXPECT_THAT(ui.Log(), HasSubstr("open http://127.0.0.1:" + std::to_string(port) + "/ui/?token="));
  serve::testing::HttpClient client(port);
  auto root = client.Send("GET", "/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->status, 302);
  EXPECT_EQ(root->header("location"), "/ui/");
  auto page = client.Send("GET", "/ui/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->body, HasSubstr("hone dashboard"));
  auto script = client.Send("GET", "/ui/assets/app-1a2b.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->header("content-type"), "text/javascript; charset=utf-8");
  // The API wants the session's token.
  EXPECT_EQ(client.Send("GET", "/api/hone/v1/models")->status, 401);
  auto models = client.Send("GET", "/api/hone/v1/models", "", "application/json",
                            "Authorization: Bearer " + token + "\r\n");
  ASSERT_TRUE(models);
  EXPECT_EQ(models->status, 200) << models->body;
  EXPECT_THAT(models->body, HasSubstr("houses"));
  EXPECT_EQ(ui.Terminate(), 0) << ui.Log();
  // Without dashboard files it says how to build them.
  RunResult none = ws.Hone({"ui", "--ui-dir", ws.Path("nowhere").string()});
  EXPECT_EQ(none.exit_code, 2) << none.err;
  EXPECT_THAT(none.err, HasSubstr("npm run build"));
}

INSTANTIATE_TEST_SUITE_P(Stores, ServerE2e, ::testing::Values("sqlite", "postgres"));

}  // namespace
}  // namespace hone::e2e
