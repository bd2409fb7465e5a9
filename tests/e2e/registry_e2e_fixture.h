// What the registry's end-to-end tests share (registry_e2e_test.cc, registry_store_e2e_test.cc):
// the fixture that runs the real binary on an SQLite store or on a PostgreSQL schema of its own,
// and the helpers its tests check output with.
#ifndef HONE_TESTS_E2E_REGISTRY_E2E_FIXTURE_H_
#define HONE_TESTS_E2E_REGISTRY_E2E_FIXTURE_H_

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include "hone/core/test_postgres.h"
#include "hone_runner.h"

namespace hone::e2e {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::StartsWith;

constexpr const char* kHex64 = "[0-9a-f]{64}";
constexpr const char* kHex32 = "[0-9a-f]{32}";
constexpr const char* kTime = "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z";
constexpr const char* kActor = "e2e-tester";

enum class Backend { kSqlite, kPostgres };

inline void PrintTo(Backend b, std::ostream* os) {
  *os << (b == Backend::kSqlite ? "sqlite" : "postgres");
}

/// The SHA-256 of a file's bytes, as sha256sum (not hone) computes it.
inline std::string Sha256Of(const fs::path& file) {
  ShellResult r = Shell("sha256sum " + Quote(file.string()));
  return r.exit_code == 0 && r.out.size() >= 64 ? r.out.substr(0, 64) : "sha256sum: " + r.out;
}

inline std::string Join(const std::vector<std::string>& args) {
  std::string out;
  for (const std::string& a : args) out += (out.empty() ? "" : " ") + a;
  return out;
}

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

/// A failed command: exit code 2, one line on stderr naming the command, nothing on stdout.
inline void ExpectOneLineError(const RunResult& r, const std::string& command) {
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_THAT(r.err, StartsWith("hone " + command + ": error: "));
}

/// Where the artifact store keeps the blob `digest`: ab/cd/abcd….
inline fs::path BlobPath(const fs::path& artifacts, const std::string& digest) {
  return artifacts / digest.substr(0, 2) / digest.substr(2, 2) / digest;
}

/// Sets (or unsets) an environment variable for the test's lifetime; the binary inherits it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

class RegistryE2eTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (!postgres()) return;
    const std::optional<std::string> url = core::testing::TestPostgresUrl();
    if (!url) GTEST_SKIP() << core::testing::kPostgresMissing;
    pg_url_ = *url;
    static std::atomic<int> counter{0};
    schema_ = "hone_e2e_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    ShellResult created =
        Psql("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE; CREATE SCHEMA " + schema_);
    // The URL says a server should be there: that it is not is a failure, not a skip.
    ASSERT_EQ(created.exit_code, 0) << "cannot make schema " << schema_ << ": " << created.out;
  }

  void TearDown() override {
    if (schema_.empty()) return;
    ShellResult dropped = Psql("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    EXPECT_EQ(dropped.exit_code, 0) << dropped.out;
  }

  bool postgres() const { return GetParam() == Backend::kPostgres; }

  /// psql on the test database (not through hone).
  ShellResult Psql(const std::string& sql) const {
    return Shell("psql -X -q -v ON_ERROR_STOP=1 -d " + Quote(pg_url_) + " -c " +
                 Quote("SET client_min_messages = warning; " + sql));
  }

  /// The test's PostgreSQL store: its own schema, first on the search_path.
  std::string StoreUrl() const {
    return pg_url_ + (pg_url_.find('?') == std::string::npos ? "?" : "&") +
           "options=-c%20search_path%3D" + schema_;
  }

  /// The password in HONE_TEST_PG_URL ("" when it has none).
  std::string PgPassword() const {
    const size_t scheme = pg_url_.find("://");
    const size_t at = pg_url_.find('@');
    if (scheme == std::string::npos || at == std::string::npos) return "";
    const size_t colon = pg_url_.find(':', scheme + 3);
    return colon < at ? pg_url_.substr(colon + 1, at - colon - 1) : "";
  }

  /// The folder the store keeps its bundles in.
  fs::path Artifacts() const {
    if (postgres()) return ws_.Path("artifacts");
    return (sqlite_store_ ? *sqlite_store_ : ws_.Path(".hone")) / "artifacts";
  }

  /// The flags that name this test's store: none for the default SQLite store (.hone in the
  /// workspace, found from the working directory).
  std::vector<std::string> StoreFlags() const {
    if (postgres()) return {"--store", StoreUrl(), "--artifacts", Artifacts().string()};
    if (sqlite_store_) return {"--store", sqlite_store_->string()};
    return {};
  }

  /// `hone ARGS` on this test's store.
  RunResult Hone(std::vector<std::string> args) const {
    for (const std::string& flag : StoreFlags()) args.push_back(flag);
    return ws_.Hone(args);
  }

  /// `hone ARGS --json` on this test's store, which must succeed; its output parsed.
  json HoneJson(std::vector<std::string> args) const {
    args.push_back("--json");
    RunResult r = Hone(args);
    EXPECT_EQ(r.exit_code, 0) << "hone " << Join(args) << "\n" << r.out << r.err;
    auto j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "hone " << Join(args) << ": not JSON: " << r.out << r.err;
    return j.is_discarded() ? json::object() : j;
  }

  /// Trains on houses.csv with `trees` trees and registers the next version of `model`; the
  /// train command's JSON.
  json Register(const std::string& model, int trees, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"train",
                                     "--data",
                                     "houses.csv",
                                     "--target",
                                     "price",
                                     "--param",
                                     "n_estimators=" + std::to_string(trees),
                                     "--register",
                                     model,
                                     "--threads",
                                     "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    return HoneJson(args);
  }

  /// Runs SQL on the store's database behind hone's back (python3's sqlite3 module, or psql).
  void Sql(const std::string& sql) const {
    ShellResult r;
    if (postgres()) {
      r = Psql("SET search_path = " + schema_ + "; " + sql);
    } else {
      const fs::path db = (sqlite_store_ ? *sqlite_store_ : ws_.Path(".hone")) / "hone.db";
      r = Shell(
          "/usr/bin/python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
          "c.executescript(sys.argv[2]); c.commit()' " +
          Quote(db.string()) + " " + Quote(sql));
    }
    ASSERT_EQ(r.exit_code, 0) << sql << ": " << r.out;
  }

  json Aliases() const { return HoneJson({"models", "show", "houses"})["aliases"]; }

  Workspace ws_;
  ScopedEnv actor_{"HONE_ACTOR", kActor};
  // The binary finds its store from the flags and the working directory alone.
  ScopedEnv no_store_env_{"HONE_STORE", nullptr};
  ScopedEnv no_artifacts_env_{"HONE_ARTIFACTS", nullptr};
  std::optional<fs::path> sqlite_store_;  // --store PATH instead of the default .hone
  std::string pg_url_;
  std::string schema_;
};

}  // namespace hone::e2e

#endif  // HONE_TESTS_E2E_REGISTRY_E2E_FIXTURE_H_
