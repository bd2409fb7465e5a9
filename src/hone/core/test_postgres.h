// The PostgreSQL server that tests run against: the one HONE_TEST_PG_URL names.
// Test-only (GoogleTest); include it from *_test.cc files.
#ifndef HONE_CORE_TEST_POSTGRES_H_
#define HONE_CORE_TEST_POSTGRES_H_

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

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

}  // namespace hone::core::testing

#endif  // HONE_CORE_TEST_POSTGRES_H_
