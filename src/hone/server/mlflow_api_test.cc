// MLflow's REST API through a real `hone server` on loopback: the request/response pairs of
// testdata/mlflow/*.json (written from MLflow's REST API documentation) on SQLite and
// PostgreSQL, a store that fails under the server, then run search over 10,000 runs page by
// page.
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <tuple>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "hone/core/test_postgres.h"
#include "hone/server/team_server.h"
#include "hone/server/testing/role_server.h"
#include "hone/server/tokens.h"
#include "hone/store/open_store.h"
#include "hone/store/remote/http_client.h"
#include "hone/store/sqlite/sqlite.h"

namespace hone::server {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

class MlflowApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MakeDir();
    db_ = (dir_ / "hone.db").string();
    Start(db_, "");
  }
  void MakeDir() {
    dir_ = fs::temp_directory_path() / ("hone_mlflow_api_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  /// A server on `store` (and `artifacts`, when not beside the store), with a token per role.
  void Start(const std::string& store, const std::string& artifacts) {
    TeamServerOptions options;
    options.store = store;
    options.artifacts = artifacts;
    options.http.threads = 2;
    auto started = testing::StartRoleServer(options, /*suffix=*/"");
    ASSERT_TRUE(started) << started.error().message();
    for (const auto& [role, text] : started->tokens) tokens_[store::RoleName(role)] = text;
    server_ = std::move(started->server);
  }
  void TearDown() override {
    if (server_) server_->Stop();
    fs::remove_all(dir_);
  }

  store::remote::HttpResult Send(const std::string& method, const std::string& path,
                                 const std::string& body, const std::string& token) {
    auto endpoint = store::remote::ParseEndpoint(server_->url());
    EXPECT_TRUE(endpoint);
    auto client = store::remote::HttpClient::Open(
        *endpoint, store::remote::ClientOptions{.token = token.empty() ? "" : tokens_.at(token)});
    EXPECT_TRUE(client);
    auto r = (*client)->Send(method, "/api/2.0/mlflow/" + path, body);
    EXPECT_TRUE(r) << r.error().message();
    return r ? *r : store::remote::HttpResult{};
  }

  std::string Substitute(std::string text) const {
    for (const auto& [k, v] : saved_) {
      const std::string var = "${" + k + "}";
      for (size_t at; (at = text.find(var)) != std::string::npos;) text.replace(at, var.size(), v);
    }
    return text;
  }

  // Every field `want` names is in `got` with that value; arrays match element by element.
  static void ExpectShape(const Json& want, const Json& got, const std::string& where) {
    if (want.is_object()) {
      ASSERT_TRUE(got.is_object()) << where << ": " << got.dump();
      for (const auto& [k, v] : want.items()) {
        ASSERT_TRUE(got.contains(k)) << where << ": no field '" << k << "' in " << got.dump();
        ExpectShape(v, got[k], where + "." + k);
      }
    } else if (want.is_array()) {
      ASSERT_TRUE(got.is_array()) << where << ": " << got.dump();
      ASSERT_EQ(want.size(), got.size()) << where << ": " << got.dump();
      for (size_t i = 0; i < want.size(); ++i) {
        ExpectShape(want[i], got[i], where + "[" + std::to_string(i) + "]");
      }
    } else {
      EXPECT_EQ(want, got) << where;
    }
  }

  void RunFixture(const std::string& name) {
    std::ifstream in(fs::path(HONE_SOURCE_DIR) / "src/hone/server/testdata/mlflow" / name);
    ASSERT_TRUE(in) << name;
    const Json fixture = Json::parse(in);
    int n = 0;
    for (const Json& step : fixture["steps"]) {
      const std::string where = name + " step " + std::to_string(n++) + " " +
                                step["method"].get<std::string>() + " " +
                                step["path"].get<std::string>();
      const std::string body = step.contains("body") ? Substitute(step["body"].dump()) : "";
      auto r = Send(step["method"], Substitute(step["path"]), body, step.value("token", ""));
      EXPECT_EQ(r.status, step["status"].get<int>()) << where << ": " << r.body;
      const Json got = Json::parse(r.body, nullptr, false);
      ASSERT_FALSE(got.is_discarded()) << where << ": " << r.body;
      if (step.contains("expect")) {
        ExpectShape(Json::parse(Substitute(step["expect"].dump())), got, where);
      }
      if (step.contains("save")) {
        for (const auto& [var, pointer] : step["save"].items()) {
          std::string ptr = "/" + pointer.get<std::string>();
          for (char& ch : ptr) ch = ch == '.' ? '/' : ch;
          saved_[var] = got.at(Json::json_pointer(ptr)).get<std::string>();
        }
      }
    }
  }

  fs::path dir_;
  std::string db_;
  std::map<std::string, std::string> tokens_, saved_;
  std::unique_ptr<TeamServer> server_;
};

/// The recorded pairs on each kind of store the server keeps: an SQLite file, and a PostgreSQL
/// schema of its own in the database of HONE_TEST_PG_URL.
class MlflowApiOnStoresTest : public MlflowApiTest,
                              public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      MlflowApiTest::SetUp();
      return;
    }
    const std::optional<std::string> url = core::testing::TestPostgresUrl();
    if (!url) GTEST_SKIP() << core::testing::kPostgresMissing;
    schema_ = std::make_unique<core::testing::PgTestSchema>(*url, "hone_mlflow_api");
    ASSERT_TRUE(schema_->ok()) << "cannot make a schema in the database of HONE_TEST_PG_URL";
    MakeDir();
    Start(schema_->StoreUrl(), (dir_ / "artifacts").string());
  }
  void TearDown() override {
    MlflowApiTest::TearDown();
    server_.reset();
    schema_.reset();
  }

  std::unique_ptr<core::testing::PgTestSchema> schema_;
};

TEST_P(MlflowApiOnStoresTest, TrackingCallsAnswerAsMlflowDocumentsThem) {
  RunFixture("tracking.json");
}

TEST_P(MlflowApiOnStoresTest, RegistryCallsAnswerAsMlflowDocumentsThem) {
  RunFixture("registry.json");
}

TEST_P(MlflowApiOnStoresTest, ExperimentLifecycleAndRunCallsAnswerAsMlflowDocumentsThem) {
  RunFixture("lifecycle.json");
}

INSTANTIATE_TEST_SUITE_P(Stores, MlflowApiOnStoresTest, ::testing::Values("sqlite", "postgres"));

// A store that fails under the server (a table gone, a record that does not parse) is the
// server's fault, not the client's: MLflow's INTERNAL_ERROR with 500, which its client retries,
// never hone's own error shape.
TEST_F(MlflowApiTest, AFailingStoreAnswersInternalErrorInMlflowsShape) {
  auto made = Send("POST", "experiments/create", R"({"name": "churn"})", "trainer");
  ASSERT_EQ(made.status, 200) << made.body;
  const std::string exp = Json::parse(made.body)["experiment_id"];
  auto created = Send("POST", "runs/create", Json{{"experiment_id", exp}}.dump(), "trainer");
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string run = Json::parse(created.body)["run"]["info"]["run_id"];
  {
    auto db = store::sqlite::Database::Open(db_, /*must_exist=*/true);
    ASSERT_TRUE(db) << db.error().message();
    ASSERT_TRUE(
        db->Exec("DROP TABLE mlflow_run_inputs; "
                 "UPDATE mlflow_experiments SET tags = '{not json'"));
  }
  for (const auto& [method, path, body] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"GET", "experiments/get?experiment_id=" + exp, ""},
           {"GET", "runs/get?run_id=" + run, ""},
           {"POST", "runs/log-inputs",
            Json{{"run_id", run}, {"datasets", {{{"dataset", {{"name", "d"}, {"digest", "1"}}}}}}}
                .dump()},
           {"POST", "runs/create", Json{{"experiment_id", exp}}.dump()},
       }) {
    auto r = Send(method, path, body, method == "GET" ? "viewer" : "trainer");
    EXPECT_EQ(r.status, 500) << path << ": " << r.body;
    const Json got = Json::parse(r.body, nullptr, false);
    ASSERT_TRUE(got.is_object()) << path << ": " << r.body;
    EXPECT_EQ(got.value("error_code", ""), "INTERNAL_ERROR") << path << ": " << r.body;
    EXPECT_FALSE(got.value("message", "").empty()) << path << ": " << r.body;
    EXPECT_FALSE(got.contains("error")) << path << ": hone's shape: " << r.body;
  }
  // What the failure did not touch still answers.
  auto search = Send("GET", "registered-models/search", "", "viewer");
  EXPECT_EQ(search.status, 200) << search.body;
}

// A URL the server cannot take apart is still answered as MLflow answers, not in hone's shape.
TEST_F(MlflowApiTest, ABadUrlIsAnsweredInMlflowsShape) {
  for (const std::string path : {"runs/get?run_id=%zz", "runs/get?run_id=%ff%fe"}) {
    auto r = Send("GET", path, "", "viewer");
    EXPECT_EQ(r.status, 400) << path << ": " << r.body;
    const Json got = Json::parse(r.body, nullptr, false);
    ASSERT_TRUE(got.is_object()) << r.body;
    EXPECT_EQ(got.value("error_code", ""), "INVALID_PARAMETER_VALUE") << r.body;
    EXPECT_FALSE(got.contains("error")) << r.body;
  }
}

TEST_F(MlflowApiTest, HoneRunsCarryTheirCommitAndDataDigestAsTagsThatSearchReads) {
  std::string pipeline, mlflow, own;
  {
    auto meta = store::OpenMetaStore(db_, false);
    ASSERT_TRUE(meta);
    auto id = (*meta)->CreateRun({.command = "hone run",
                                  .start_ms = 1000,
                                  .code_commit = "c0ffee",
                                  .code_dirty = true,
                                  .data_digest = "sha256:aa"});
    ASSERT_TRUE(id);
    pipeline = *id;
    id = (*meta)->CreateRun({.command = "mlflow", .start_ms = 2000});
    ASSERT_TRUE(id);
    mlflow = *id;
    // A run's own tag of the same name is what it says.
    id = (*meta)->CreateRun({.command = "hone run",
                             .start_ms = 3000,
                             .code_commit = "beef",
                             .code_dirty = false,
                             .data_digest = "sha256:bb"});
    ASSERT_TRUE(id);
    own = *id;
    ASSERT_TRUE((*meta)->SetTags(own, {{"mlflow.source.git.commit", "given"}}));
  }
  auto tags_of = [](const Json& run) {
    std::map<std::string, std::string> tags;
    for (const Json& t : run["data"]["tags"]) tags[t["key"]] = t["value"];
    return tags;
  };
  auto got = Send("GET", "runs/get?run_id=" + pipeline, "", "viewer");
  ASSERT_EQ(got.status, 200) << got.body;
  auto tags = tags_of(Json::parse(got.body)["run"]);
  EXPECT_EQ(tags["mlflow.source.git.commit"], "c0ffee");
  EXPECT_EQ(tags["hone.data_digest"], "sha256:aa");
  EXPECT_EQ(tags["hone.code_dirty"], "true");
  got = Send("GET", "runs/get?run_id=" + mlflow, "", "viewer");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_FALSE(tags_of(Json::parse(got.body)["run"]).contains("hone.data_digest"));

  auto search = [&](const Json& body) {
    auto r = Send("POST", "runs/search", body.dump(), "viewer");
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> ids;
    for (const Json& run : Json::parse(r.body).value("runs", Json::array())) {
      ids.push_back(run["info"]["run_id"]);
    }
    return ids;
  };
  EXPECT_EQ(search({{"experiment_ids", {"0"}}, {"filter", "tags.hone.data_digest = 'sha256:bb'"}}),
            std::vector<std::string>{own});
  EXPECT_EQ(search({{"experiment_ids", {"0"}}, {"filter", "tags.hone.code_dirty = 'true'"}}),
            std::vector<std::string>{pipeline});
  EXPECT_EQ(
      search({{"experiment_ids", {"0"}}, {"filter", "tags.`mlflow.source.git.commit` = 'given'"}}),
      std::vector<std::string>{own});
  // Ascending by commit: "c0ffee" before "given"; the run without one last.
  EXPECT_EQ(search({{"experiment_ids", {"0"}}, {"order_by", {"tags.mlflow.source.git.commit"}}}),
            (std::vector<std::string>{pipeline, own, mlflow}));
}

TEST_F(MlflowApiTest, SearchPagesThroughTenThousandRunsInOrder) {
  constexpr int kRuns = 10000;
  {
    auto meta = store::OpenMetaStore(db_, false);
    ASSERT_TRUE(meta);
    for (int i = 0; i < kRuns; ++i) {
      auto id = (*meta)->CreateRun({.command = "mlflow", .start_ms = 1000 + i});
      ASSERT_TRUE(id);
      const store::Metric m{"acc", (i * 7919 % kRuns) / double(kRuns), 0, 1};
      ASSERT_TRUE((*meta)->LogMetrics(*id, std::span(&m, 1)));
      ASSERT_TRUE((*meta)->LogParams(*id, {{"parity", i % 2 ? "odd" : "even"}}));
    }
  }
  std::set<std::string> seen;
  double last = 2;
  std::string token;
  int pages = 0;
  do {
    Json body{{"experiment_ids", {"0"}},
              {"filter", "params.parity = 'even' AND metrics.acc >= 0.0"},
              {"order_by", {"metrics.acc DESC"}},
              {"max_results", 1000}};
    if (!token.empty()) body["page_token"] = token;
    auto r = Send("POST", "runs/search", body.dump(), "viewer");
    ASSERT_EQ(r.status, 200) << r.body;
    const Json page = Json::parse(r.body);
    for (const Json& run : page["runs"]) {
      const double acc = run["data"]["metrics"][0]["value"];
      EXPECT_LE(acc, last);
      last = acc;
      EXPECT_TRUE(seen.insert(run["info"]["run_id"].get<std::string>()).second);
    }
    token = page.value("next_page_token", "");
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(seen.size(), size_t{kRuns / 2});
  EXPECT_EQ(pages, 5);

  // MLflow's default order (newest first), which the server reads from the store a chunk at a
  // time: the same runs, newest first, one page after another.
  seen.clear();
  int64_t newest = std::numeric_limits<int64_t>::max();
  pages = 0;
  do {
    Json body{{"experiment_ids", {"0"}}, {"filter", "params.parity = 'odd'"}, {"max_results", 700}};
    if (pages % 2 == 1) body["order_by"] = {"attributes.start_time DESC"};
    if (!token.empty()) body["page_token"] = token;
    auto r = Send("POST", "runs/search", body.dump(), "viewer");
    ASSERT_EQ(r.status, 200) << r.body;
    const Json page = Json::parse(r.body);
    for (const Json& run : page["runs"]) {
      const int64_t start = run["info"]["start_time"];
      EXPECT_LT(start, newest);
      newest = start;
      EXPECT_EQ(start % 2, 1);  // run i started at 1000 + i
      EXPECT_TRUE(seen.insert(run["info"]["run_id"].get<std::string>()).second);
    }
    token = page.value("next_page_token", "");
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(seen.size(), size_t{kRuns / 2});
  EXPECT_EQ(pages, 8);  // 5000 runs, 700 a page
}

}  // namespace
}  // namespace hone::server
