// RunReadOnlyQuery on PostgreSQL (the SQLite backend is tested through pipeline::TakeSnapshot
// in pipeline/source_test.cc). Needs a server: HONE_TEST_PG_URL; without it the tests skip,
// visibly, and with CI=true they fail.
#include <atomic>
#include <cstdlib>
#include <optional>
#include <string>

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <sys/socket.h>
#include <unistd.h>

#include "hone/core/test_postgres.h"
#include "hone/store/sql_query.h"

namespace hone::store {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

/// A loopback port nothing listens on (the kernel just handed it out and it was closed).
int UnusedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

TEST(PostgresQueryTest, RefusedConnectionIsAnIoErrorWithoutThePassword) {
  const std::string port = std::to_string(UnusedPort());
  auto result =
      RunReadOnlyQuery("postgres://ana:s3cret@127.0.0.1:" + port + "/shop", "SELECT 1", "");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), ErrorCode::kIo);
  EXPECT_THAT(result.error().message(),
              AllOf(HasSubstr("127.0.0.1:" + port + "/shop"), Not(HasSubstr("s3cret"))));
}

/// Each test gets a schema of its own (hone_q_<pid>_<n>) in the database of HONE_TEST_PG_URL,
/// holding a table `sales`.
class PostgresQueryServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::optional<std::string> url = core::testing::TestPostgresUrl();
    if (!url) GTEST_SKIP() << core::testing::kPostgresMissing;
    url_ = *url;
    static std::atomic<int> counter{0};
    schema_ = "hone_q_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    // The URL says a server should be there: that it is not is a failure, not a skip.
    ASSERT_TRUE(Admin("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE; CREATE SCHEMA " + schema_ +
                      "; CREATE TABLE " + schema_ +
                      ".sales (id bigint, price double precision, amount numeric, name text, "
                      "sold boolean);"
                      "INSERT INTO " +
                      schema_ +
                      ".sales VALUES (1, 0.1, 12.50, 'apple', true), (2, NULL, NULL, NULL, NULL),"
                      " (3, 1e20, -3, 'pear, \"green\"', false)"));
  }

  void TearDown() override {
    if (!schema_.empty()) {
      EXPECT_TRUE(Admin("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE"));
    }
  }

  bool Admin(const std::string& sql) const {
    try {
      pqxx::connection conn(url_);
      pqxx::nontransaction tx(conn);
      tx.exec("SET client_min_messages = warning");
      tx.exec(sql);
      return true;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "test database: " << e.what();
      return false;
    }
  }

  std::string Count() const {
    pqxx::connection conn(url_);
    pqxx::nontransaction tx(conn);
    return tx.exec("SELECT count(*) FROM " + schema_ + ".sales")[0][0].c_str();
  }

  /// The test URL with `password` in place of its password.
  std::string WithPassword(const std::string& password) const {
    const size_t scheme = url_.find("://") + 3;
    const size_t at = url_.find('@', scheme);
    const size_t colon = url_.find(':', scheme);
    if (at == std::string::npos || colon > at) return url_;
    return url_.substr(0, colon + 1) + password + url_.substr(at);
  }

  std::string url_;
  std::string schema_;
};

TEST_F(PostgresQueryServerTest, ReturnsColumnsAndTextCellsWithNullAsNullopt) {
  auto result = RunReadOnlyQuery(
      url_, "SELECT id, price, amount, name, sold FROM " + schema_ + ".sales ORDER BY id",
      "/ignored");
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_THAT(result->columns, ElementsAre("id", "price", "amount", "name", "sold"));
  ASSERT_EQ(result->rows.size(), 3u);
  EXPECT_THAT(result->rows[0], ElementsAre("1", "0.1", "12.50", "apple", "t"));
  EXPECT_THAT(result->rows[1],
              ElementsAre("2", std::nullopt, std::nullopt, std::nullopt, std::nullopt));
  EXPECT_THAT(result->rows[2], ElementsAre("3", "1e+20", "-3", "pear, \"green\"", "f"));
}

TEST_F(PostgresQueryServerTest, PostgresSchemeAndEmptyResultWork) {
  std::string url = url_;
  url.replace(0, url.find("://"), "postgres");
  auto result = RunReadOnlyQuery(url, "SELECT id AS n FROM " + schema_ + ".sales WHERE id < 0", "");
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_THAT(result->columns, ElementsAre("n"));
  EXPECT_TRUE(result->rows.empty());
}

TEST_F(PostgresQueryServerTest, WritesAreRefusedByTheReadOnlyTransaction) {
  const std::string table = schema_ + ".sales";
  for (const std::string& query : {
           "INSERT INTO " + table + " VALUES (4, 1, 1, 'x', true) RETURNING id",
           "DELETE FROM " + table,
           "WITH gone AS (DELETE FROM " + table + " RETURNING id) SELECT * FROM gone",
           // One statement only: a COMMIT cannot end the READ ONLY transaction early.
           "COMMIT; DELETE FROM " + table,
           "SELECT 1; DELETE FROM " + table,
       }) {
    auto result = RunReadOnlyQuery(url_, query, "");
    ASSERT_FALSE(result.has_value()) << query;
    EXPECT_EQ(result.error().code(), ErrorCode::kInvalidArgument) << query;
    EXPECT_THAT(result.error().message(), Not(HasSubstr("\n"))) << query;
  }
  auto insert = RunReadOnlyQuery(url_, "INSERT INTO " + table + " VALUES (4) RETURNING id", "");
  ASSERT_FALSE(insert.has_value());
  EXPECT_THAT(insert.error().message(), HasSubstr("read-only transaction"));
  auto two = RunReadOnlyQuery(url_, "SELECT 1; SELECT 2", "");
  ASSERT_FALSE(two.has_value());
  EXPECT_THAT(two.error().message(), HasSubstr("give one statement"));
  EXPECT_EQ(Count(), "3");
}

TEST_F(PostgresQueryServerTest, StatementWithoutRowsIsRefused) {
  auto result = RunReadOnlyQuery(url_, "SET search_path = public", "");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(result.error().message(), HasSubstr("no columns"));
}

TEST_F(PostgresQueryServerTest, ServerErrorsCarryItsMessageAndTheRedactedUrl) {
  const size_t colon = url_.find(':', url_.find("://") + 3);
  const std::string password = url_.substr(colon + 1, url_.find('@') - colon - 1);
  auto result = RunReadOnlyQuery(url_, "SELECT nope FROM " + schema_ + ".sales", "");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(result.error().message(), AllOf(HasSubstr("column \"nope\" does not exist"),
                                              HasSubstr(":***@"), Not(HasSubstr(password))));
}

TEST_F(PostgresQueryServerTest, WrongPasswordIsAnIoErrorThatDoesNotShowIt) {
  auto result = RunReadOnlyQuery(WithPassword("wr0ng-s3cret"), "SELECT 1", "");
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), ErrorCode::kIo);
  EXPECT_THAT(result.error().message(),
              AllOf(HasSubstr("password authentication failed"), Not(HasSubstr("wr0ng-s3cret"))));
}

}  // namespace
}  // namespace hone::store
