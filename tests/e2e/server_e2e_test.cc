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
  EXPECT_EQ(server.Terminate(), 0) << server.Log();
  for (const std::string& secret : {ci.substr(22), viewer.substr(22), admin.substr(22)}) {
    EXPECT_THAT(server.Log() + serve.Log(), Not(HasSubstr(secret)));
  }
  if (!password.empty()) {
    EXPECT_THAT(server.Log(), Not(HasSubstr(password)));
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, ServerE2e, ::testing::Values("sqlite", "postgres"));

}  // namespace
}  // namespace hone::e2e
