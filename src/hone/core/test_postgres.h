// The PostgreSQL server that tests run against: the one HONE_TEST_PG_URL names.
// Test-only (GoogleTest); include it from *_test.cc files.
#ifndef HONE_CORE_TEST_POSTGRES_H_
#define HONE_CORE_TEST_POSTGRES_H_

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>
#include <unistd.h>

namespace hone::core::testing {

/// Why a PostgreSQL test did not run, and how to make it run.
inline constexpr const char* kPostgresMissing =
    "HONE_TEST_PG_URL is not set (scripts/test.sh starts PostgreSQL and sets it; or run "
    "scripts/pg.sh start and export HONE_TEST_PG_URL=$(scripts/pg.sh env))";

/// HONE_TEST_PG_URL, or nullopt when it is not set. Under CI=true, where the test script
/// starts PostgreSQL, a missing URL is also recorded as a fatal failure of the running test:
/// a caller that then skips still fails, and a test whose SetUp called this does not run its
/// body.
inline std::optional<std::string> TestPostgresUrl() {
  const char* url = std::getenv("HONE_TEST_PG_URL");
  if (url != nullptr && *url != '\0') return std::string(url);
  const char* ci = std::getenv("CI");
  if (ci != nullptr && std::string_view(ci) == "true") {
    [] { FAIL() << "CI=true but PostgreSQL is missing: " << kPostgresMissing; }();
  }
  return std::nullopt;
}

/// A schema of its own in the database at `url`, made with psql when constructed and dropped
/// with everything in it when destroyed; StoreUrl() puts it first on a store's search_path.
class PgTestSchema {
 public:
  PgTestSchema(std::string url, const std::string& prefix) : url_(std::move(url)) {
    static int counter = 0;
    name_ = prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    ok_ = Psql("DROP SCHEMA IF EXISTS " + name_ + " CASCADE; CREATE SCHEMA " + name_) == 0;
  }
  ~PgTestSchema() {
    if (ok_) Psql("DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
  }
  PgTestSchema(const PgTestSchema&) = delete;
  PgTestSchema& operator=(const PgTestSchema&) = delete;

  /// Whether the schema was made.
  bool ok() const { return ok_; }
  const std::string& name() const { return name_; }
  /// The database's URL with `-c search_path=<schema>` in libpq's `options` parameter.
  std::string StoreUrl() const {
    return url_ + (url_.find('?') == std::string::npos ? "?" : "&") +
           "options=-c%20search_path%3D" + name_;
  }
  /// Runs `sql` with psql on the database; psql's exit status.
  int Psql(const std::string& sql) const {
    return std::system(("psql -X -q -v ON_ERROR_STOP=1 -d " + Quote(url_) + " -c " +
                        Quote("SET client_min_messages = warning; " + sql))
                           .c_str());
  }

 private:
  static std::string Quote(const std::string& text) {
    std::string out = "'";
    for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
  }

  std::string url_;
  std::string name_;
  bool ok_ = false;
};

}  // namespace hone::core::testing

#endif  // HONE_CORE_TEST_POSTGRES_H_
