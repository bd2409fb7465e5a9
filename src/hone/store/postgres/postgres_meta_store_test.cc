#include "hone/store/postgres/postgres_meta_store.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hone/core/test_postgres.h"
#include "hone/store/postgres/connection.h"
#include "hone/store/postgres/schema.h"
#include "hone/store/testing/audit_query_conformance.h"
#include "hone/store/testing/concurrency_conformance.h"
#include "hone/store/testing/meta_store_conformance.h"
#include "hone/store/testing/mlflow_store_conformance.h"
#include "hone/store/testing/monitor_log_conformance.h"
#include "hone/store/testing/monitor_store_conformance.h"
#include "hone/store/testing/token_store_conformance.h"

// libpqxx 6.4 leaks the result of a BEGIN that fails on a lost connection (in
// transaction_base::direct_exec, 216 bytes per lost connection); the test that cuts a
// connection would otherwise fail under LeakSanitizer. The library has no frame pointers, so
// the leak's stack ends in it: the suppression names the library. Read by LeakSanitizer only.
extern "C" const char* __lsan_default_suppressions() { return "leak:libpqxx\n"; }

namespace hone::store::postgres {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

/// A fresh, empty store per test: a schema of its own (hone_t_<pid>_<n>) in the database of
/// HONE_TEST_PG_URL, which Open() puts first on the search_path. Holds no connection between
/// calls, so a fork()ed child shares nothing with its parent.
class PostgresBackend {
 public:
  static constexpr bool kNotifiesAliasMoves = true;  // LISTEN/NOTIFY

  void SetUp() {
    const std::optional<std::string> url = core::testing::TestPostgresUrl();
    if (!url) {
      skip_reason_ = core::testing::kPostgresMissing;
      return;
    }
    url_ = *url;
    static std::atomic<int> counter{0};
    schema_ = "hone_t_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    if (auto created =
            Admin("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE; CREATE SCHEMA " + schema_);
        !created) {
      // The URL says a server should be there: that it is not is a failure, not a skip.
      ADD_FAILURE() << created.error().message();
      skip_reason_ = "PostgreSQL at HONE_TEST_PG_URL is unusable: " + created.error().message();
    }
  }

  void TearDown() {
    if (skip_reason_ || schema_.empty()) return;
    if (auto dropped = Admin("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE"); !dropped) {
      ADD_FAILURE() << dropped.error().message();
    }
  }

  std::optional<std::string> SkipReason() const { return skip_reason_; }

  Result<std::unique_ptr<MetaStore>> Open() { return PostgresMetaStore::Open(StoreUrl()); }

  /// The test database's URL with `-c search_path=<schema>` in libpq's `options` parameter.
  std::string StoreUrl() const {
    return url_ + (url_.find('?') == std::string::npos ? "?" : "&") +
           "options=-c%20search_path%3D" + schema_;
  }

  /// Runs SQL outside any store, in the test schema, on a connection of its own.
  Result<void> Admin(const std::string& sql) const {
    try {
      pqxx::connection conn(url_);
      pqxx::nontransaction tx(conn);
      tx.exec("SET client_min_messages = warning; SET search_path = " + schema_ + ", public");
      tx.exec(sql);
      return {};
    } catch (const std::exception& e) {
      return Fail(ErrorCode::kIo, "test database: " + OneLine(e.what()));
    }
  }

  /// The first column of the first row of a query run through Admin's kind of connection.
  std::string Scalar(const std::string& sql) const {
    pqxx::connection conn(url_);
    pqxx::nontransaction tx(conn);
    tx.exec("SET search_path = " + schema_ + ", public");
    const pqxx::result r = tx.exec(sql);
    return r.empty() || r[0][0].is_null() ? "" : r[0][0].c_str();
  }

  const std::string& url() const { return url_; }
  const std::string& schema() const { return schema_; }

 private:
  std::string url_;
  std::string schema_;
  std::optional<std::string> skip_reason_;
};

/// A loopback port nothing listens on (the kernel just handed it out and it was closed).
int UnusedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// --- without a server ---

TEST(PostgresUrlTest, PasswordIsRedactedWhereverItIs) {
  EXPECT_EQ(RedactUrl("postgresql://ana:s3cret@db.example:5433/hone"),
            "postgresql://ana:***@db.example:5433/hone");
  EXPECT_EQ(RedactUrl("postgres://ana@db/hone?password=s3cret&sslmode=require"),
            "postgres://ana@db/hone?password=***&sslmode=require");
  EXPECT_EQ(RedactUrl("postgresql://db/hone"), "postgresql://db/hone");
  // libpq ends the credentials at the first '@' before any '/'.
  EXPECT_EQ(RedactUrl("postgresql://ana:p:w@db/x"), "postgresql://ana:***@db/x");
}

TEST(PostgresUrlTest, ServerNamesHostPortAndDatabase) {
  EXPECT_EQ(ServerOf("postgresql://ana:s3cret@db.example:5433/hone"), "db.example:5433/hone");
  EXPECT_EQ(ServerOf("postgresql://ana@db.example"), "db.example:5432/ana");
  EXPECT_EQ(ServerOf("postgresql://[::1]:6000/x?options=-c%20search_path%3Dfoo"), "::1:6000/x");
}

TEST(PostgresOpenTest, RefusedConnectionIsAnIoErrorNamingTheServerButNotThePassword) {
  const int port = UnusedPort();
  auto store = PostgresMetaStore::Open("postgresql://ana:s3cret@127.0.0.1:" + std::to_string(port) +
                                       "/hone");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code(), ErrorCode::kIo);
  EXPECT_THAT(store.error().message(), HasSubstr("127.0.0.1:" + std::to_string(port) + "/hone"));
  EXPECT_THAT(store.error().message(), Not(HasSubstr("s3cret")));
  EXPECT_THAT(store.error().message(), Not(HasSubstr("\n")));
}

TEST(PostgresOpenTest, SomethingElseThanAUrlIsAnInvalidArgument) {
  auto store = PostgresMetaStore::Open("host=db password=s3cret");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(store.error().message(), HasSubstr("postgresql://"));
}

// --- with a server ---

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_.SetUp();
    if (auto reason = backend_.SkipReason()) GTEST_SKIP() << *reason;
  }
  void TearDown() override { backend_.TearDown(); }

  std::unique_ptr<MetaStore> MustOpen() {
    auto store = backend_.Open();
    EXPECT_TRUE(store) << store.error().message();
    return store ? std::move(*store) : nullptr;
  }

  PostgresBackend backend_;
};

TEST_F(PostgresStoreTest, DescribeShowsTheUrlWithoutThePassword) {
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  const std::string described = store->Describe();
  EXPECT_THAT(described, HasSubstr("***@"));
  EXPECT_THAT(described, HasSubstr(backend_.schema()));  // the options parameter is kept
  const std::string url = backend_.url();
  const size_t colon = url.find(':', url.find("://") + 3);
  const std::string password = url.substr(colon + 1, url.find('@') - colon - 1);
  ASSERT_FALSE(password.empty());
  EXPECT_THAT(described, Not(HasSubstr(":" + password + "@")));
}

TEST_F(PostgresStoreTest, WrongPasswordIsAnIoErrorWithoutEitherPassword) {
  std::string url = backend_.url();
  const size_t colon = url.find(':', url.find("://") + 3);
  url.replace(colon + 1, url.find('@') - colon - 1, "not-the-password");
  auto store = PostgresMetaStore::Open(url);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code(), ErrorCode::kIo);
  EXPECT_THAT(store.error().message(), HasSubstr("password authentication failed"));
  EXPECT_THAT(store.error().message(), Not(HasSubstr("not-the-password")));
}

TEST_F(PostgresStoreTest, APasswordFileStandsInForThePasswordInTheUrl) {
  const std::string url = backend_.StoreUrl();
  const size_t colon = url.find(':', url.find("://") + 3), at = url.find('@');
  const std::string password = url.substr(colon + 1, at - colon - 1);
  const std::string bare = url.substr(0, colon) + url.substr(at);  // user@host, no password
  char dir_template[] = "/tmp/hone-pgpass-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::filesystem::path dir = dir_template;
  const std::string file = (dir / "password").string();
  std::ofstream(file) << password << "\n";
  ::setenv(kStorePasswordFileVariable, file.c_str(), 1);
  {
    auto store = PostgresMetaStore::Open(bare);
    ASSERT_TRUE(store) << store.error().message();
    EXPECT_TRUE((*store)->CreateRun(RunStart{.command = "train"}));
    EXPECT_THAT((*store)->Describe(), Not(HasSubstr(password)));
  }
  // A wrong password in the file fails the login without showing either password.
  std::ofstream(file) << "not-the-password\n";
  auto wrong = PostgresMetaStore::Open(bare);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code(), ErrorCode::kIo);
  EXPECT_THAT(wrong.error().message(), HasSubstr("password authentication failed"));
  EXPECT_THAT(wrong.error().message(), Not(HasSubstr("not-the-password")));
  // A missing file is named, with the variable that named it.
  ::setenv(kStorePasswordFileVariable, (dir / "missing").c_str(), 1);
  auto missing = PostgresMetaStore::Open(bare);
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message(), HasSubstr("HONE_STORE_PASSWORD_FILE"));
  EXPECT_THAT(missing.error().message(), HasSubstr((dir / "missing").string()));
  // A URL that has its password keeps it; the file is not read.
  EXPECT_TRUE(PostgresMetaStore::Open(url));
  ::unsetenv(kStorePasswordFileVariable);
  std::filesystem::remove_all(dir);
}

TEST(PostgresUrlTest, APasswordFromAFileIsAddedPercentEncoded) {
  char dir_template[] = "/tmp/hone-pgpass-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::filesystem::path dir = dir_template;
  std::ofstream(dir / "pw") << "p@ss w&rd=1\r\nsecond line";
  auto added = WithPasswordFromFile("postgresql://ana@db/hone?sslmode=require", dir / "pw");
  ASSERT_TRUE(added) << added.error().message();
  EXPECT_EQ(*added, "postgresql://ana@db/hone?sslmode=require&password=p%40ss%20w%26rd%3D1");
  EXPECT_EQ(RedactUrl(*added), "postgresql://ana@db/hone?sslmode=require&password=***");
  EXPECT_EQ(*WithPasswordFromFile("postgresql://ana@db/hone", dir / "pw"),
            "postgresql://ana@db/hone?password=p%40ss%20w%26rd%3D1");
  EXPECT_EQ(*WithPasswordFromFile("postgresql://ana:mine@db/hone", dir / "pw"),
            "postgresql://ana:mine@db/hone");
  EXPECT_EQ(*WithPasswordFromFile("postgresql://ana@db/hone", ""), "postgresql://ana@db/hone");
  std::ofstream(dir / "empty") << "\n";
  auto empty = WithPasswordFromFile("postgresql://ana@db/hone", dir / "empty");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(empty.error().message(), HasSubstr("empty first line"));
  std::filesystem::remove_all(dir);
}

TEST_F(PostgresStoreTest, TablesGoToTheSearchPathSchemaAndReopeningChangesNothing) {
  std::string run_id;
  {
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    auto id = store->CreateRun(RunStart{.command = "train"});
    ASSERT_TRUE(id) << id.error().message();
    run_id = *id;
  }
  const std::string tables =
      "SELECT count(*) FROM pg_tables WHERE schemaname = '" + backend_.schema() + "'";
  EXPECT_EQ(backend_.Scalar(tables),
            "20");  // ten of migration 1, three of 2, one of 3, four of 4, one of 5, hone_meta
  EXPECT_EQ(backend_.Scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND "
                            "tablename = 'runs'"),
            "0");
  auto again = MustOpen();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(backend_.Scalar(tables), "20");
  EXPECT_EQ(backend_.Scalar("SELECT value FROM hone_meta WHERE key = 'schema_version'"),
            std::to_string(SchemaVersion()));
  auto run = again->GetRun(run_id);
  ASSERT_TRUE(run) << run.error().message();
  EXPECT_EQ(run->start.command, "train");
}

TEST_F(PostgresStoreTest, NewerSchemaVersionIsRefused) {
  ASSERT_NE(MustOpen(), nullptr);
  ASSERT_TRUE(backend_.Admin("UPDATE hone_meta SET value = '999' WHERE key = 'schema_version'"));
  auto store = backend_.Open();
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code(), ErrorCode::kUnsupported);
  EXPECT_THAT(store.error().message(),
              HasSubstr("has schema version 999; this hone knows versions up to " +
                        std::to_string(SchemaVersion()) + ": use a newer hone"));
  EXPECT_EQ(backend_.Scalar("SELECT value FROM hone_meta WHERE key = 'schema_version'"), "999");
}

// A store written by a hone that knew only migration 1 is brought up to date on opening, and
// what it held reads as before: aliases without weights.
TEST_F(PostgresStoreTest, VersionOneStoreIsMigratedKeepingWhatItHeld) {
  ASSERT_TRUE(backend_.Admin(
      "CREATE TABLE hone_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);" +
      std::string(Migrations()[0]) +
      "INSERT INTO hone_meta VALUES ('schema_version', '1'); "
      "INSERT INTO models VALUES ('churn', 1, 1); "
      "INSERT INTO versions (model, version, bundle_digest, params, metrics, description, "
      "created_ms, created_by) VALUES ('churn', 1, 'd', '{}', '{}', '', 1, 't'); "
      "INSERT INTO aliases VALUES ('churn', 'production', 1)"));
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(backend_.Scalar("SELECT value FROM hone_meta WHERE key = 'schema_version'"),
            std::to_string(SchemaVersion()));
  auto model = store->GetModel("churn");
  ASSERT_TRUE(model) << model.error().message();
  EXPECT_EQ(model->aliases.at("production"), 1);
  EXPECT_TRUE(model->alias_weights.empty());
  auto canary = store->MoveAlias({.model = "churn", .alias = "canary", .to = 1, .weight = 0.2});
  ASSERT_TRUE(canary) << canary.error().message();
  EXPECT_EQ(store->GetModel("churn").value().alias_weights.at("canary"), 0.2);
  auto lease = store->AcquireLease("watch-churn", "me", std::chrono::seconds(1));
  ASSERT_TRUE(lease) << lease.error().message();
  EXPECT_EQ(lease->holder, "me");
}

TEST_F(PostgresStoreTest, SharedDatabaseIsFineButNotATableOfTheSameName) {
  ASSERT_TRUE(backend_.Admin("CREATE TABLE customers (id INT)"));
  ASSERT_NE(MustOpen(), nullptr);

  ASSERT_TRUE(backend_.Admin("DROP SCHEMA " + backend_.schema() + " CASCADE; CREATE SCHEMA " +
                             backend_.schema() + "; CREATE TABLE " + backend_.schema() +
                             ".runs (id INT)"));
  auto store = backend_.Open();
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code(), ErrorCode::kInvalidData);
  EXPECT_THAT(store.error().message(), HasSubstr("\"runs\""));
  EXPECT_THAT(store.error().message(), HasSubstr("schema of its own"));
  // The failed migration left nothing behind.
  EXPECT_EQ(backend_.Scalar("SELECT count(*) FROM pg_tables WHERE schemaname = '" +
                            backend_.schema() + "'"),
            "1");
}

TEST_F(PostgresStoreTest, ProcessesMigratingAtOnceMigrateOnce) {
  constexpr int kProcesses = 6;
  int ok = testing::RunInChildren(kProcesses, [&](int) {
    auto store = backend_.Open();
    return store && (*store)->CreateRun(RunStart{.command = "child"});
  });
  EXPECT_EQ(ok, kProcesses);
  EXPECT_EQ(backend_.Scalar("SELECT count(*) FROM runs"), std::to_string(kProcesses));
  EXPECT_EQ(backend_.Scalar("SELECT value FROM hone_meta WHERE key = 'schema_version'"),
            std::to_string(SchemaVersion()));
}

TEST_F(PostgresStoreTest, AmbiguousPrefixNamesTheMatches) {
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(
      backend_.Admin("INSERT INTO runs (id, command, status, start_ms, host, \"user\") VALUES "
                     "('abcd0000000000000000000000000000', 'a', 'running', 1, 'h', 'u'), "
                     "('abcd1111111111111111111111111111', 'b', 'running', 2, 'h', 'u')"));
  auto run = store->GetRun("abcd");
  ASSERT_FALSE(run);
  EXPECT_EQ(run.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(run.error().message(), HasSubstr("abcd0000000000000000000000000000"));
  EXPECT_THAT(run.error().message(), HasSubstr("abcd1111111111111111111111111111"));
  auto one = store->GetRun("abcd1");
  ASSERT_TRUE(one) << one.error().message();
  EXPECT_EQ(one->start.command, "b");
}

TEST_F(PostgresStoreTest, MetricValuesRoundTripExactly) {
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  auto id = store->CreateRun(RunStart{.command = "train"});
  ASSERT_TRUE(id);
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<Metric> metrics = {{"a", 0.1, 0, 1},
                                 {"b", 1e-310, 0, 1},
                                 {"c", -inf, 0, 1},
                                 {"d", std::nan(""), 0, 1},
                                 {"e\tkey\\\n", 1.0 / 3, 0, 0}};
  ASSERT_TRUE(store->LogMetrics(*id, metrics));
  auto run = store->GetRun(*id);
  ASSERT_TRUE(run) << run.error().message();
  ASSERT_EQ(run->metrics.size(), metrics.size());
  EXPECT_EQ(run->metrics[0].value, 0.1);
  EXPECT_EQ(run->metrics[1].value, 1e-310);
  EXPECT_EQ(run->metrics[2].value, -inf);
  EXPECT_TRUE(std::isnan(run->metrics[3].value));
  EXPECT_EQ(run->metrics[4].key, "e\tkey\\\n");
  EXPECT_EQ(run->metrics[4].value, 1.0 / 3);
  EXPECT_GT(run->metrics[4].timestamp_ms, 1'600'000'000'000);  // 0: the time it was logged
}

TEST_F(PostgresStoreTest, TextSortsByteByByteLikeSqlite) {
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  auto id = store->CreateRun(RunStart{.command = "train"});
  ASSERT_TRUE(id);
  std::vector<Metric> metrics = {{"a", 1, 0, 1}, {"B", 2, 0, 1}, {"_", 3, 0, 1}};
  ASSERT_TRUE(store->LogMetrics(*id, metrics));
  auto run = store->GetRun(*id);
  ASSERT_TRUE(run);
  ASSERT_EQ(run->metrics.size(), 3u);
  EXPECT_EQ(run->metrics[0].key, "B");
  EXPECT_EQ(run->metrics[1].key, "_");
  EXPECT_EQ(run->metrics[2].key, "a");
  for (const char* model : {"alpha", "Zeta"}) {
    ASSERT_TRUE(store->CreateVersion(NewVersion{.model = model, .bundle_digest = "d"}, {"t"}));
  }
  auto models = store->ListModels();
  ASSERT_TRUE(models);
  ASSERT_EQ(models->size(), 2u);
  EXPECT_EQ((*models)[0].name, "Zeta");
}

// A batch far larger than one COPY chunk (about 1 MB of text) arrives whole and in order. Its
// speed is measured by bench/store_bench, not asserted here.
TEST_F(PostgresStoreTest, BigMetricBatchesArriveWhole) {
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  auto id = store->CreateRun(RunStart{.command = "train"});
  ASSERT_TRUE(id);
  std::vector<Metric> batch;
  for (int i = 0; i < 100'000; ++i) {
    batch.push_back({"loss/" + std::to_string(i % 10), i * 1e-3, i, 1});
  }
  ASSERT_TRUE(store->LogMetrics(*id, batch));
  auto run = store->GetRun(*id);
  ASSERT_TRUE(run) << run.error().message();
  ASSERT_EQ(run->metrics.size(), batch.size());
  for (size_t i = 0; i < run->metrics.size(); ++i) {
    const Metric& m = run->metrics[i];
    ASSERT_EQ(m.key, "loss/" + std::to_string(m.step % 10)) << i;
    ASSERT_EQ(m.value, static_cast<double>(m.step) * 1e-3) << i;
  }
}

TEST_F(PostgresStoreTest, ALostConnectionIsAnErrorOrReconnectsNeverAnException) {
  // application_name tells this test's connection from those of tests running beside it.
  const std::string app = "hone_lost_" + backend_.schema();
  auto store = PostgresMetaStore::Open(backend_.StoreUrl() + "&application_name=" + app);
  ASSERT_TRUE(store) << store.error().message();
  ASSERT_TRUE((*store)->CreateRun(RunStart{.command = "before"}));
  ASSERT_TRUE(backend_.Admin(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '" + app +
      "'"));
  auto after = (*store)->CreateRun(RunStart{.command = "after"});
  if (!after) {
    EXPECT_EQ(after.error().code(), ErrorCode::kIo) << after.error().message();
    EXPECT_THAT(after.error().message(), Not(HasSubstr("\n")));
  }
  // Either way the store is usable again: libpqxx reconnects for the next transaction.
  auto again = (*store)->ListRuns({});
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_GE(again->size(), 1u);
}

TEST_F(PostgresStoreTest, MissingSchemaIsAClearError) {
  ASSERT_TRUE(backend_.Admin("DROP SCHEMA " + backend_.schema() + " CASCADE"));
  std::string url = backend_.url();
  url += (url.find('?') == std::string::npos ? "?" : "&");
  url += "options=-c%20search_path%3D" + backend_.schema();
  auto store = PostgresMetaStore::Open(url);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(store.error().message(), HasSubstr("CREATE SCHEMA"));
  ASSERT_TRUE(backend_.Admin("CREATE SCHEMA " + backend_.schema()));  // for TearDown
}

}  // namespace
}  // namespace hone::store::postgres

namespace hone::store::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, MetaStoreConformance, postgres::PostgresBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, MetaStoreConcurrencyConformance,
                               postgres::PostgresBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, AuditQueryConformance, postgres::PostgresBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, MonitorStoreConformance, postgres::PostgresBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, MonitorLogConformance, postgres::PostgresBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, TokenStoreConformance, postgres::PostgresBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Postgres, MlflowStoreConformance, postgres::PostgresBackend);
}  // namespace hone::store::testing
