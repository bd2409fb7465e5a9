// `hone server` as a team runs it: the real binary on an SQLite file and on PostgreSQL, the
// first admin token made with `hone token create`, and every other command pointed at the
// server with --store http://… and a token in HONE_TOKEN.
#include <cstdlib>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hone/core/test_postgres.h"
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

INSTANTIATE_TEST_SUITE_P(Stores, ServerE2e, ::testing::Values("sqlite", "postgres"));

}  // namespace
}  // namespace hone::e2e
