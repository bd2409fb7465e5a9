// The store and the registry through the real binary, on SQLite and on PostgreSQL: registering
// versions, promoting and rolling back, the runs behind them and their lineage, the audit chain,
// store check and gc, models used by reference, and the errors a user meets on the way.
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
namespace {

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

void PrintTo(Backend b, std::ostream* os) {
  *os << (b == Backend::kSqlite ? "sqlite" : "postgres");
}

/// The SHA-256 of a file's bytes, as sha256sum (not hone) computes it.
std::string Sha256Of(const fs::path& file) {
  ShellResult r = Shell("sha256sum " + Quote(file.string()));
  return r.exit_code == 0 && r.out.size() >= 64 ? r.out.substr(0, 64) : "sha256sum: " + r.out;
}

std::string Join(const std::vector<std::string>& args) {
  std::string out;
  for (const std::string& a : args) out += (out.empty() ? "" : " ") + a;
  return out;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

/// A failed command: exit code 2, one line on stderr naming the command, nothing on stdout.
void ExpectOneLineError(const RunResult& r, const std::string& command) {
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_THAT(r.err, StartsWith("hone " + command + ": error: "));
}

/// Where the artifact store keeps the blob `digest`: ab/cd/abcd….
fs::path BlobPath(const fs::path& artifacts, const std::string& digest) {
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

TEST_P(RegistryE2eTest, RegistersNumberedVersions) {
  ws_.Write("houses.csv", HousesCsv(300, 1));
  const std::string data_sha = Sha256Of(ws_.Path("houses.csv"));
  json t1 = Register("houses", 10, {"--description", "first try"});
  json t2 = Register("houses", 20);
  ASSERT_FALSE(HasFailure());
  std::vector<json> registered = {t1["registered"], t2["registered"]};
  for (size_t i = 0; i < 2; ++i) {
    SCOPED_TRACE("version " + std::to_string(i + 1));
    const json& r = registered[i];
    EXPECT_EQ(r["model"], "houses");
    EXPECT_EQ(r["version"], i + 1);
    EXPECT_THAT(r["run"].get<std::string>(), MatchesRegex(kHex32));
    EXPECT_TRUE(r["parent"].is_null()) << "no production version when it was registered";
    // The bundle is in the artifact folder under its digest, and hashes to it.
    const std::string digest = r["digest"].get<std::string>();
    EXPECT_EQ(digest, (i == 0 ? t1 : t2)["bundle_sha256"]);
    EXPECT_EQ(Sha256Of(BlobPath(Artifacts(), digest)), digest);
  }
  EXPECT_NE(registered[0]["digest"], registered[1]["digest"]);
  EXPECT_NE(registered[0]["run"], registered[1]["run"]);
  EXPECT_TRUE(t1["out"].is_null());
  // SQLite keeps the store in .hone here; PostgreSQL needs no folder beyond --artifacts.
  EXPECT_EQ(ws_.Exists(".hone/hone.db"), !postgres());
  EXPECT_EQ(ws_.Exists(".hone"), !postgres());

  json versions = HoneJson({"models", "versions", "houses"});
  EXPECT_EQ(versions["model"], "houses");
  ASSERT_TRUE(versions["versions"].is_array()) << versions;
  ASSERT_EQ(versions["versions"].size(), 2u) << versions;
  for (size_t i = 0; i < 2; ++i) {
    SCOPED_TRACE("version " + std::to_string(i + 1));
    const json& v = versions["versions"][i];
    EXPECT_EQ(v["model"], "houses");
    EXPECT_EQ(v["version"], i + 1);
    EXPECT_EQ(v["digest"], registered[i]["digest"]);
    EXPECT_THAT(v["digest"].get<std::string>(), MatchesRegex(kHex64));
    EXPECT_EQ(v["run"], registered[i]["run"]);
    EXPECT_THAT(v["created"].get<std::string>(), MatchesRegex(kTime));
    EXPECT_TRUE(v["created_ms"].is_number_integer());
    EXPECT_EQ(v["created_by"], kActor);
    EXPECT_EQ(v["aliases"], json::array());
    EXPECT_EQ(v["data_digest"], data_sha);
    EXPECT_THAT(v["config_digest"].get<std::string>(), MatchesRegex(kHex64));
    EXPECT_TRUE(v["code_commit"].is_null()) << "the workspace is not a git repository";
    EXPECT_EQ(v["params"]["n_estimators"], i == 0 ? "10" : "20");
    EXPECT_EQ(v["params"]["model"], "random_forest");
    EXPECT_EQ(v["params"]["target"], "price");
    EXPECT_GT(v["metrics"]["r2"].get<double>(), 0.5);
    EXPECT_EQ(v["description"], i == 0 ? "first try" : "");
  }
  EXPECT_LE(versions["versions"][0]["created_ms"], versions["versions"][1]["created_ms"]);
  json newest = HoneJson({"models", "versions", "houses", "--newest-first", "--limit", "1"});
  ASSERT_EQ(newest["versions"].size(), 1u) << newest;
  EXPECT_EQ(newest["versions"][0]["version"], 2);

  json show = HoneJson({"models", "show", "houses"});
  EXPECT_EQ(show["name"], "houses");
  EXPECT_EQ(show["latest_version"], 2);
  EXPECT_EQ(show["aliases"], json::object());
  EXPECT_EQ(show["latest"]["version"], 2);
  EXPECT_EQ(show["latest"]["digest"], registered[1]["digest"]);
  EXPECT_THAT(show["created"].get<std::string>(), MatchesRegex(kTime));

  ASSERT_EQ(Hone({"promote", "houses", "1"}).exit_code, 0);
  EXPECT_EQ(Aliases(), json({{"production", 1}}));
  versions = HoneJson({"models", "versions", "houses"});
  EXPECT_EQ(versions["versions"][0]["aliases"], json::array({"production"}));
  EXPECT_EQ(versions["versions"][1]["aliases"], json::array());

  json list = HoneJson({"models", "list"});
  ASSERT_EQ(list["models"].size(), 1u) << list;
  EXPECT_EQ(list["models"][0]["name"], "houses");
  EXPECT_EQ(list["models"][0]["latest_version"], 2);
  EXPECT_EQ(list["models"][0]["aliases"], json({{"production", 1}}));

  // A second model is numbered from 1 on its own.
  json other = Register("houses-small", 5);
  EXPECT_EQ(other["registered"]["version"], 1);
  list = HoneJson({"models", "list"});
  ASSERT_EQ(list["models"].size(), 2u) << list;

  // The text forms say the same.
  RunResult text = Hone({"models", "versions", "houses"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("production"));
  EXPECT_EQ(Lines(text.out).size(), 3u) << text.out;
  RunResult shown = Hone({"models", "show", "houses"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("versions 1..2"));
  EXPECT_THAT(shown.out, HasSubstr("production=1"));
}

TEST_P(RegistryE2eTest, PromoteAndRollBack) {
  ws_.Write("houses.csv", HousesCsv(300, 2));
  Register("houses", 10);
  Register("houses", 20);
  ASSERT_FALSE(HasFailure());

  json first = HoneJson({"promote", "houses", "1"});
  EXPECT_EQ(first, json({{"command", "promote"},
                         {"model", "houses"},
                         {"alias", "production"},
                         {"from", nullptr},
                         {"to", 1},
                         {"changed", true}}));
  EXPECT_EQ(Aliases(), json({{"production", 1}}));

  RunResult cas = Hone({"promote", "houses", "2", "--expect", "1"});
  ASSERT_EQ(cas.exit_code, 0) << cas.err;
  EXPECT_THAT(cas.out, HasSubstr("version 1 → version 2"));
  EXPECT_EQ(Aliases(), json({{"production", 2}}));

  // Someone else moved production first: the stale promote changes nothing.
  RunResult stale = Hone({"promote", "houses", "1", "--expect", "1"});
  ExpectOneLineError(stale, "promote");
  EXPECT_THAT(stale.err, HasSubstr("points at version 2"));
  EXPECT_THAT(stale.err, HasSubstr("someone moved it first"));
  EXPECT_EQ(Aliases(), json({{"production", 2}}));

  json same = HoneJson({"promote", "houses", "2"});
  EXPECT_EQ(same["changed"], false);
  EXPECT_EQ(same["from"], 2);
  EXPECT_EQ(same["to"], 2);

  json back = HoneJson({"rollback", "houses"});
  EXPECT_EQ(back["command"], "rollback");
  EXPECT_EQ(back["from"], 2);
  EXPECT_EQ(back["to"], 1);
  EXPECT_EQ(Aliases(), json({{"production", 1}}));
  // The rollback undid the promote to 2; the one before it came from nothing.
  RunResult nothing_left = Hone({"rollback", "houses"});
  ExpectOneLineError(nothing_left, "rollback");
  EXPECT_THAT(nothing_left.err, HasSubstr("no earlier version"));
  EXPECT_EQ(Aliases(), json({{"production", 1}}));

  // Failed moves are not audited: 2 registrations, 3 moves.
  EXPECT_EQ(HoneJson({"audit", "verify"})["records"], 5);
}

TEST_P(RegistryE2eTest, OtherAliasesMoveOnTheirOwn) {
  ws_.Write("houses.csv", HousesCsv(300, 12));
  Register("houses", 5);
  Register("houses", 8);
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(Hone({"promote", "houses", "1"}).exit_code, 0);
  json staging = HoneJson({"promote", "houses", "2", "--alias", "staging", "--expect", "none"});
  EXPECT_EQ(staging["alias"], "staging");
  EXPECT_EQ(staging["to"], 2);
  RunResult exists = Hone({"promote", "houses", "1", "--alias", "staging", "--expect", "none"});
  ExpectOneLineError(exists, "promote");
  EXPECT_THAT(exists.err, HasSubstr("staging"));
  EXPECT_EQ(Aliases(), json({{"production", 1}, {"staging", 2}}));

  EXPECT_EQ(HoneJson({"promote", "houses", "latest", "--alias", "canary"})["to"], 2);
  json set = HoneJson({"alias", "set", "houses", "canary", "1"});
  EXPECT_EQ(set["command"], "alias set");
  EXPECT_EQ(set["from"], 2);
  EXPECT_EQ(set["to"], 1);
  EXPECT_EQ(HoneJson({"rollback", "houses", "--alias", "canary"})["to"], 2);
  json deleted = HoneJson({"alias", "delete", "houses", "canary"});
  EXPECT_EQ(deleted["command"], "alias delete");
  EXPECT_EQ(deleted["from"], 2);
  EXPECT_TRUE(deleted["to"].is_null());
  RunResult gone = Hone({"alias", "delete", "houses", "canary"});
  ExpectOneLineError(gone, "alias delete");
  EXPECT_THAT(gone.err, HasSubstr("unknown alias 'canary'"));
  EXPECT_EQ(Aliases(), json({{"production", 1}, {"staging", 2}}));

  // Every move that happened is audited, and only those: 2 registrations, 1 move of
  // production, 1 of staging, 4 of canary.
  json audit = HoneJson({"audit", "verify"});
  EXPECT_EQ(audit["ok"], true) << audit;
  EXPECT_EQ(audit["records"], 8) << audit;
}

TEST_P(RegistryE2eTest, RunsRecordParamsMetricsAndData) {
  ws_.Write("houses.csv", HousesCsv(300, 3));
  const std::string data_sha = Sha256Of(ws_.Path("houses.csv"));
  json t1 = Register("houses", 10);
  json t2 = Register("houses", 20);
  ASSERT_FALSE(HasFailure());
  const std::string id1 = t1["registered"]["run"], id2 = t2["registered"]["run"];

  json list = HoneJson({"runs", "list"});
  ASSERT_EQ(list["runs"].size(), 2u) << list;
  const json& newest = list["runs"][0];
  const json& oldest = list["runs"][1];
  EXPECT_EQ(newest["id"], id2) << "newest first";
  EXPECT_EQ(oldest["id"], id1);
  EXPECT_GE(newest["start_ms"], oldest["start_ms"]);
  for (const json* run : {&newest, &oldest}) {
    const json& r = *run;
    const bool second = &r == &newest;
    SCOPED_TRACE(r["id"].get<std::string>());
    EXPECT_EQ(r["status"], "finished");
    EXPECT_THAT(r["start"].get<std::string>(), MatchesRegex(kTime));
    EXPECT_THAT(r["end"].get<std::string>(), MatchesRegex(kTime));
    EXPECT_GE(r["end_ms"], r["start_ms"]);
    EXPECT_EQ(r["user"], kActor);
    EXPECT_EQ(r["params"]["n_estimators"], second ? "20" : "10");
    EXPECT_EQ(r["params"]["model"], "random_forest");
    EXPECT_EQ(r["params"]["seed"], "42");
    EXPECT_EQ(r["tags"]["registered_model"], "houses");
    EXPECT_EQ(r["tags"]["task"], "regression");
    ASSERT_TRUE(r["metrics"]["r2"].is_array()) << r;
    EXPECT_GT(r["metrics"]["r2"][0]["value"].get<double>(), 0.5);
    EXPECT_TRUE(r["metrics"]["rmse"][0]["value"].is_number());
    // The run's data digest is the SHA-256 of the CSV file's bytes.
    EXPECT_EQ(r["data_digest"], data_sha);
    EXPECT_THAT(r["config_digest"].get<std::string>(), MatchesRegex(kHex64));
    EXPECT_TRUE(r["code_commit"].is_null());
    EXPECT_TRUE(r["code_dirty"].is_null());
    ASSERT_EQ(r["artifacts"].size(), 1u) << r;
    EXPECT_EQ(r["artifacts"][0]["name"], "model.hone");
    EXPECT_EQ(r["artifacts"][0]["digest"], (second ? t2 : t1)["registered"]["digest"]);
    EXPECT_EQ(r["artifacts"][0]["bytes"], (second ? t2 : t1)["bundle_bytes"]);
    const std::string command = r["command"];
    EXPECT_THAT(command, StartsWith("hone train "));
    EXPECT_THAT(command, HasSubstr("--register houses"));
    if (postgres()) {
      // The command line is kept with the run, without the database password.
      EXPECT_THAT(command, HasSubstr(schema_));
      if (!PgPassword().empty()) {
        EXPECT_THAT(command, Not(HasSubstr(":" + PgPassword() + "@")));
      }
    }
  }
  EXPECT_NE(newest["config_digest"], oldest["config_digest"]);

  json limited = HoneJson({"runs", "list", "--limit", "1"});
  ASSERT_EQ(limited["runs"].size(), 1u);
  EXPECT_EQ(limited["runs"][0]["id"], id2);
  EXPECT_EQ(HoneJson({"runs", "list", "--offset", "1"})["runs"][0]["id"], id1);
  EXPECT_EQ(HoneJson({"runs", "list", "--model", "houses"})["runs"].size(), 2u);
  RunResult unknown = Hone({"runs", "list", "--model", "nosuch"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("unknown model 'nosuch'; known: houses"));

  // A unique prefix finds the run.
  json shown = HoneJson({"runs", "show", id1.substr(0, 6)});
  EXPECT_EQ(shown["id"], id1);
  EXPECT_EQ(shown["params"]["n_estimators"], "10");
  EXPECT_EQ(shown["data_digest"], data_sha);
  RunResult text = Hone({"runs", "show", id2});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("run      " + id2));
  EXPECT_THAT(text.out, HasSubstr("data     " + data_sha));

  json compared = HoneJson({"runs", "compare", id1, id2.substr(0, 8)});
  EXPECT_EQ(compared["runs"], json({id1, id2}));
  EXPECT_EQ(compared["params"]["n_estimators"], json({"10", "20"}));
  EXPECT_EQ(compared["params"]["model"], json({"random_forest", "random_forest"}));
  ASSERT_EQ(compared["metrics"]["r2"].size(), 2u) << compared;
  EXPECT_EQ(compared["metrics"]["r2"][0], oldest["metrics"]["r2"][0]["value"]);
  EXPECT_EQ(compared["metrics"]["r2"][1], newest["metrics"]["r2"][0]["value"]);
  EXPECT_EQ(compared["data_digest"], json({data_sha, data_sha}));
  EXPECT_EQ(compared["code_commit"], json({nullptr, nullptr}));
  RunResult one = Hone({"runs", "compare", id1});
  EXPECT_EQ(one.exit_code, 2) << one.out;
}

TEST_P(RegistryE2eTest, RunsRecordTheCodeCommit) {
  ws_.Write("houses.csv", HousesCsv(300, 4));
  ws_.Write("features.py", "SIZE = 'size'\n");
  const std::string git = "git -C " + Quote(ws_.dir().string()) +
                          " -c user.name=hone-e2e -c user.email=e2e@example.invalid ";
  ShellResult init = Shell(git + "init -q && " + git + "add features.py && " + git +
                           "commit -q -m 'first commit'");
  ASSERT_EQ(init.exit_code, 0) << init.out;
  ShellResult head = Shell(git + "rev-parse HEAD");
  ASSERT_EQ(head.exit_code, 0) << head.out;
  const std::string commit = head.out.substr(0, 40);
  ASSERT_THAT(commit, MatchesRegex("[0-9a-f]{40}"));

  // Untracked files (the data, the store) do not make the tree dirty.
  json clean = Register("houses", 10);
  ws_.Write("features.py", "SIZE = 'size'\nROOMS = 'rooms'\n");
  json dirty = Register("houses", 10);
  ASSERT_FALSE(HasFailure());

  json r1 = HoneJson({"runs", "show", clean["registered"]["run"].get<std::string>()});
  EXPECT_EQ(r1["code_commit"], commit);
  EXPECT_EQ(r1["code_dirty"], false);
  json r2 = HoneJson({"runs", "show", dirty["registered"]["run"].get<std::string>()});
  EXPECT_EQ(r2["code_commit"], commit);
  EXPECT_EQ(r2["code_dirty"], true);

  json versions = HoneJson({"models", "versions", "houses"});
  ASSERT_EQ(versions["versions"].size(), 2u) << versions;
  EXPECT_EQ(versions["versions"][0]["code_commit"], commit);
  EXPECT_EQ(versions["versions"][0]["code_dirty"], false);
  EXPECT_EQ(versions["versions"][1]["code_commit"], commit);
  EXPECT_EQ(versions["versions"][1]["code_dirty"], true);
  RunResult lineage = Hone({"models", "lineage", "houses/2"});
  ASSERT_EQ(lineage.exit_code, 0) << lineage.err;
  EXPECT_THAT(lineage.out, HasSubstr(commit + " (dirty)"));
  // Same data, same configuration, same seed: the same model, but not the same code (the tree
  // was dirty).
  json diff = HoneJson({"models", "diff", "houses/1", "houses/2"});
  EXPECT_EQ(diff["same"],
            json({{"bundle", true}, {"data", true}, {"code", false}, {"config", true}}));
  EXPECT_EQ(diff["params"], json::array());
  EXPECT_EQ(diff["a"]["code_commit"], commit);
  EXPECT_EQ(diff["b"]["code_commit"], commit);
}

TEST_P(RegistryE2eTest, DiffAndLineage) {
  ws_.Write("houses.csv", HousesCsv(300, 5));
  const std::string data_sha = Sha256Of(ws_.Path("houses.csv"));
  json t1 = Register("houses", 10);
  ASSERT_EQ(Hone({"promote", "houses", "1"}).exit_code, 0);
  json t2 = Register("houses", 20);
  ASSERT_FALSE(HasFailure());
  // Version 2 was trained while production pointed at 1: that is its parent.
  EXPECT_EQ(t2["registered"]["parent"], 1);

  json diff = HoneJson({"models", "diff", "houses/1", "houses/2"});
  EXPECT_EQ(diff["a"]["model"], "houses");
  EXPECT_EQ(diff["a"]["version"], 1);
  EXPECT_EQ(diff["b"]["version"], 2);
  EXPECT_EQ(diff["a"]["digest"], t1["registered"]["digest"]);
  EXPECT_EQ(diff["b"]["digest"], t2["registered"]["digest"]);
  EXPECT_EQ(diff["a"]["data_digest"], data_sha);
  // Only the number of trees differs.
  EXPECT_EQ(diff["params"], json::array({{{"key", "n_estimators"}, {"a", "10"}, {"b", "20"}}}));
  EXPECT_EQ(diff["same"],
            json({{"bundle", false}, {"data", true}, {"code", true}, {"config", false}}));
  std::vector<std::string> metric_keys;
  for (const json& m : diff["metrics"]) {
    metric_keys.push_back(m["key"]);
    ASSERT_TRUE(m["a"].is_number() && m["b"].is_number()) << m;
    EXPECT_NEAR(m["delta"].get<double>(), m["b"].get<double>() - m["a"].get<double>(),
                1e-9 * (1 + std::abs(m["a"].get<double>())));
  }
  EXPECT_THAT(metric_keys, ElementsAre("mae", "mape", "r2", "rmse"));
  for (const char* metric : {"r2", "rmse"}) {
    auto it = std::find_if(diff["metrics"].begin(), diff["metrics"].end(),
                           [&](const json& m) { return m["key"] == metric; });
    ASSERT_NE(it, diff["metrics"].end());
    EXPECT_EQ((*it)["a"], t1["metrics"][metric]);
    EXPECT_EQ((*it)["b"], t2["metrics"][metric]);
  }
  // Any reference form names a version.
  json by_alias = HoneJson({"models", "diff", "houses@production", "models:/houses/latest"});
  EXPECT_EQ(by_alias["a"]["version"], 1);
  EXPECT_EQ(by_alias["b"]["version"], 2);
  RunResult text = Hone({"models", "diff", "houses/1", "houses/2"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("n_estimators: 10 → 20"));

  json lineage = HoneJson({"models", "lineage", "houses/2"});
  EXPECT_EQ(lineage["version"], 2);
  EXPECT_EQ(lineage["parent"], 1);
  EXPECT_EQ(lineage["data_digest"], data_sha);
  ASSERT_TRUE(lineage["run"].is_object()) << lineage;
  EXPECT_EQ(lineage["run"]["id"], t2["registered"]["run"]);
  EXPECT_EQ(lineage["run"]["params"]["n_estimators"], "20");
  ASSERT_EQ(lineage["parents"].size(), 1u) << lineage;
  EXPECT_EQ(lineage["parents"][0]["version"], 1);
  EXPECT_EQ(lineage["parents"][0]["run"], t1["registered"]["run"]);
  EXPECT_EQ(lineage["releases"], json::array()) << "version 2 was never released";

  json first = HoneJson({"models", "lineage", "models:/houses/1"});
  EXPECT_EQ(first["version"], 1);
  EXPECT_EQ(first["parents"], json::array());
  EXPECT_EQ(first["run"]["id"], t1["registered"]["run"]);
  ASSERT_EQ(first["releases"].size(), 1u) << first;
  EXPECT_EQ(first["releases"][0]["action"], "promote");
  EXPECT_EQ(first["releases"][0]["alias"], "production");
  EXPECT_TRUE(first["releases"][0]["from"].is_null());
  EXPECT_EQ(first["releases"][0]["to"], 1);
  EXPECT_EQ(first["releases"][0]["actor"], kActor);
  EXPECT_THAT(first["releases"][0]["time"].get<std::string>(), MatchesRegex(kTime));
  EXPECT_EQ(HoneJson({"models", "lineage", "houses@production"})["version"], 1);
  EXPECT_EQ(HoneJson({"models", "lineage", "houses/latest"})["version"], 2);

  // Releasing version 2 shows in the lineage of both versions.
  ASSERT_EQ(Hone({"promote", "houses", "2"}).exit_code, 0);
  lineage = HoneJson({"models", "lineage", "houses@production"});
  EXPECT_EQ(lineage["version"], 2);
  ASSERT_EQ(lineage["releases"].size(), 1u) << lineage;
  EXPECT_EQ(lineage["releases"][0]["from"], 1);
  EXPECT_EQ(lineage["releases"][0]["to"], 2);
  EXPECT_EQ(HoneJson({"models", "lineage", "houses/1"})["releases"].size(), 2u);
  RunResult lineage_text = Hone({"models", "lineage", "houses/2"});
  ASSERT_EQ(lineage_text.exit_code, 0) << lineage_text.err;
  EXPECT_THAT(lineage_text.out, HasSubstr("← houses/1"));
  EXPECT_THAT(lineage_text.out, HasSubstr(t2["registered"]["run"].get<std::string>()));
}

TEST_P(RegistryE2eTest, AuditChainCatchesEdits) {
  ws_.Write("houses.csv", HousesCsv(300, 6));
  json t1 = Register("houses", 10);
  Register("houses", 20);
  ASSERT_FALSE(HasFailure());
  for (std::vector<std::string> move : {std::vector<std::string>{"promote", "houses", "1"},
                                        {"promote", "houses", "2"},
                                        {"rollback", "houses"}}) {
    ASSERT_EQ(Hone(move).exit_code, 0) << Join(move);
  }

  // 2 registrations and 3 alias moves.
  json verify = HoneJson({"audit", "verify"});
  EXPECT_EQ(verify["command"], "audit verify");
  EXPECT_EQ(verify["ok"], true);
  EXPECT_EQ(verify["records"], 5);
  EXPECT_EQ(verify["problems"], json::array());
  EXPECT_THAT(verify["head"].get<std::string>(), MatchesRegex(kHex64));
  RunResult text = Hone({"audit", "verify"});
  EXPECT_EQ(text.exit_code, 0) << text.out << text.err;
  EXPECT_THAT(text.out, HasSubstr("audit log intact: 5 records"));

  json list = HoneJson({"audit", "list"});
  ASSERT_EQ(list["records"].size(), 5u) << list;
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"register", "houses/1"},
      {"register", "houses/2"},
      {"promote", "houses@production"},
      {"promote", "houses@production"},
      {"rollback", "houses@production"}};
  for (size_t i = 0; i < expected.size(); ++i) {
    const json& r = list["records"][i];
    SCOPED_TRACE(r.dump());
    EXPECT_EQ(r["seq"], i + 1);
    EXPECT_EQ(r["action"], expected[i].first);
    EXPECT_EQ(r["subject"], expected[i].second);
    EXPECT_EQ(r["actor"], kActor);
    EXPECT_THAT(r["time"].get<std::string>(), MatchesRegex(kTime));
    EXPECT_THAT(r["hash"].get<std::string>(), MatchesRegex(kHex64));
  }
  EXPECT_TRUE(list["records"][0]["before"].is_null());
  EXPECT_EQ(list["records"][0]["after"]["digest"], t1["registered"]["digest"]);
  EXPECT_EQ(list["records"][0]["after"]["run"], t1["registered"]["run"]);
  EXPECT_TRUE(list["records"][2]["before"].is_null());
  EXPECT_EQ(list["records"][2]["after"], json({{"version", 1}}));
  EXPECT_EQ(list["records"][4]["before"], json({{"version", 2}}));
  EXPECT_EQ(list["records"][4]["after"], json({{"version", 1}}));
  EXPECT_EQ(list["records"][4]["hash"], verify["head"]);
  json page = HoneJson({"audit", "list", "--after", "3", "--limit", "1"});
  ASSERT_EQ(page["records"].size(), 1u) << page;
  EXPECT_EQ(page["records"][0]["seq"], 4);
  // Newest first, searched (every word, any case), and bounded above.
  auto seqs = [](const json& j) {
    std::vector<int> out;
    for (const json& r : j["records"]) out.push_back(r["seq"]);
    return out;
  };
  EXPECT_EQ(seqs(HoneJson({"audit", "list", "--newest-first", "--limit", "2"})),
            (std::vector<int>{5, 4}));
  EXPECT_EQ(seqs(HoneJson({"audit", "list", "--newest-first", "--search", "PROMOTE houses"})),
            (std::vector<int>{4, 3}));
  EXPECT_EQ(seqs(HoneJson({"audit", "list", "--before", "4", "--search", "houses@production"})),
            (std::vector<int>{3}));
  if (postgres()) {  // the audit commands read no artifact, so they need no --artifacts
    for (const char* sub : {"list", "verify"}) {
      RunResult bare = ws_.Hone({"audit", sub, "--store", StoreUrl(), "--json"});
      EXPECT_EQ(bare.exit_code, 0) << sub << ": " << bare.out << bare.err;
    }
  }

  // An edit behind hone's back breaks the chain at that record.
  Sql("UPDATE audit SET actor = 'mallory' WHERE seq = 2");
  ASSERT_FALSE(HasFatalFailure()) << "could not edit the audit table";
  RunResult broken = Hone({"audit", "verify"});
  EXPECT_EQ(broken.exit_code, 1) << broken.out << broken.err;
  EXPECT_THAT(broken.out, HasSubstr("audit record 2"));
  EXPECT_THAT(broken.out, HasSubstr("audit log BROKEN"));
  RunResult broken_json = Hone({"audit", "verify", "--json"});
  EXPECT_EQ(broken_json.exit_code, 1);
  json b = json::parse(broken_json.out, nullptr, false);
  ASSERT_FALSE(b.is_discarded()) << broken_json.out;
  EXPECT_EQ(b["ok"], false);
  ASSERT_EQ(b["problems"].size(), 1u) << b;
  EXPECT_THAT(b["problems"][0].get<std::string>(), HasSubstr("audit record 2 (register houses/2)"));
  RunResult check = Hone({"store", "check"});
  EXPECT_EQ(check.exit_code, 1) << check.out << check.err;
  EXPECT_THAT(check.out, HasSubstr("audit record 2"));
  EXPECT_THAT(check.out, HasSubstr("NOT consistent"));
}

TEST_P(RegistryE2eTest, CheckAndCollectGarbage) {
  ws_.Write("houses.csv", HousesCsv(300, 7));
  json t1 = Register("houses", 10);
  json t2 = Register("houses", 20);
  ASSERT_FALSE(HasFailure());

  json check = HoneJson({"store", "check"});
  EXPECT_EQ(check["command"], "store check");
  EXPECT_EQ(check["ok"], true) << check;
  EXPECT_EQ(check["models"], 1);
  EXPECT_EQ(check["versions"], 2);
  EXPECT_EQ(check["blobs"], 2);
  EXPECT_EQ(check["audit_records"], 2);
  EXPECT_EQ(check["problems"], json::array());
  const std::string described = check["store"];
  if (postgres()) {
    EXPECT_THAT(described, HasSubstr(schema_));
    if (!PgPassword().empty()) {
      EXPECT_THAT(described, Not(HasSubstr(PgPassword())));
    }
  } else {
    EXPECT_THAT(described, HasSubstr(".hone/hone.db"));
  }
  RunResult text = Hone({"store", "check"});
  EXPECT_EQ(text.exit_code, 0) << text.out << text.err;
  EXPECT_THAT(text.out, HasSubstr("consistent"));

  // A blob no version or run refers to, and a temp file of an interrupted write, both old.
  const std::string orphan_bytes = "bytes no version refers to\n";
  ws_.Write("orphan", orphan_bytes);
  const std::string orphan = Sha256Of(ws_.Path("orphan"));
  const fs::path orphan_path = BlobPath(Artifacts(), orphan);
  fs::create_directories(orphan_path.parent_path());
  fs::rename(ws_.Path("orphan"), orphan_path);
  const fs::path temp_path = orphan_path.parent_path() / ("." + orphan + ".tmp.Ab12Cd");
  { std::ofstream(temp_path) << "half a bundle"; }
  const auto two_minutes_ago = fs::file_time_type::clock::now() - std::chrono::minutes(2);
  fs::last_write_time(orphan_path, two_minutes_ago);
  fs::last_write_time(temp_path, two_minutes_ago);

  // The default grace (an hour) spares them: a registration may be writing them.
  json spared = HoneJson({"gc"});
  EXPECT_EQ(spared["removed_blobs"], 0);
  EXPECT_EQ(spared["removed_temp_files"], 0);
  EXPECT_TRUE(fs::exists(orphan_path));
  json collected = HoneJson({"gc", "--grace", "0"});
  EXPECT_EQ(collected["command"], "gc");
  EXPECT_EQ(collected["removed_blobs"], 1);
  EXPECT_EQ(collected["removed_temp_files"], 1);
  EXPECT_EQ(collected["freed_bytes"], orphan_bytes.size() + std::string("half a bundle").size());
  EXPECT_FALSE(fs::exists(orphan_path));
  EXPECT_FALSE(fs::exists(temp_path));
  const std::string digest1 = t1["registered"]["digest"], digest2 = t2["registered"]["digest"];
  EXPECT_TRUE(fs::exists(BlobPath(Artifacts(), digest1))) << "referenced: kept";
  EXPECT_TRUE(fs::exists(BlobPath(Artifacts(), digest2))) << "referenced: kept";
  EXPECT_EQ(HoneJson({"gc", "--grace", "0"})["removed_blobs"], 0);
  EXPECT_EQ(HoneJson({"store", "check"})["ok"], true);
  RunResult negative = Hone({"gc", "--grace", "-1"});
  ExpectOneLineError(negative, "gc");
  EXPECT_THAT(negative.err, HasSubstr("--grace"));

  // A bundle gone from the artifact folder: the check names the version.
  fs::remove(BlobPath(Artifacts(), digest1));
  RunResult missing = Hone({"store", "check"});
  EXPECT_EQ(missing.exit_code, 1) << missing.out << missing.err;
  EXPECT_THAT(missing.out, HasSubstr("bundle of houses/1"));
  EXPECT_THAT(missing.out, HasSubstr("NOT consistent"));
  RunResult missing_json = Hone({"store", "check", "--json"});
  EXPECT_EQ(missing_json.exit_code, 1);
  json m = json::parse(missing_json.out, nullptr, false);
  ASSERT_FALSE(m.is_discarded()) << missing_json.out;
  EXPECT_EQ(m["ok"], false);
  EXPECT_EQ(m["blobs"], 1);
  ASSERT_FALSE(m["problems"].empty());
  EXPECT_THAT(m["problems"][0].get<std::string>(), HasSubstr("bundle of houses/1"));
  for (const json& p : m["problems"]) {
    EXPECT_THAT(p.get<std::string>(), Not(HasSubstr("houses/2"))) << "version 2 is whole";
  }

  // A bundle altered in place: the check names that version too.
  const fs::path blob2 = BlobPath(Artifacts(), digest2);
  std::string bytes;
  {
    std::ifstream in(blob2, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_FALSE(bytes.empty());
  bytes[bytes.size() / 2] ^= 0x01;
  fs::remove(blob2);
  { std::ofstream(blob2, std::ios::binary) << bytes; }
  RunResult altered = Hone({"store", "check"});
  EXPECT_EQ(altered.exit_code, 1) << altered.out << altered.err;
  EXPECT_THAT(altered.out, HasSubstr("bundle of houses/2"));
  EXPECT_THAT(altered.out, HasSubstr("no longer hashes to its name"));
}

/// A command that should fail, and what its one line of error must say.
struct BadCase {
  std::vector<std::string> args;
  std::string command;
  std::vector<std::string> expected;
};

/// Runs each case: exit code 2 and one line on stderr; for every other case, also with --json,
/// where the same error arrives as an object on stdout as well.
template <typename RunHone>
void ExpectEachFails(const std::vector<BadCase>& cases, RunHone run_hone) {
  for (size_t i = 0; i < cases.size(); ++i) {
    const BadCase& c = cases[i];
    SCOPED_TRACE("hone " + Join(c.args));
    RunResult r = run_hone(c.args);
    ExpectOneLineError(r, c.command);
    for (const std::string& text : c.expected) EXPECT_THAT(r.err, HasSubstr(text));
    if (i % 2 != 0) continue;
    std::vector<std::string> with_json = c.args;
    with_json.push_back("--json");
    RunResult j = run_hone(with_json);
    EXPECT_EQ(j.exit_code, 2);
    EXPECT_EQ(j.err, r.err);
    auto parsed = json::parse(j.out, nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << j.out;
    EXPECT_EQ(parsed["command"], c.command);
    EXPECT_TRUE(parsed["error"]["code"].is_string());
    EXPECT_EQ(
        "hone " + c.command + ": error: " + parsed["error"]["message"].get<std::string>() + "\n",
        r.err);
  }
}

TEST_P(RegistryE2eTest, BadReleasesFailAndChangeNothing) {
  ws_.Write("houses.csv", HousesCsv(300, 8));
  Register("houses", 5);
  Register("houses", 5);
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(Hone({"promote", "houses", "1"}).exit_code, 0);
  ExpectEachFails(
      {
          {{"promote", "houses", "99"}, "promote", {"no version 99", "versions are 1..2"}},
          {{"promote", "houses", "0"}, "promote", {"'0' is not a version number"}},
          {{"promote", "nosuch", "1"}, "promote", {"unknown model 'nosuch'", "known: houses"}},
          {{"promote", "houses", "1", "--alias", "bad alias"}, "promote", {"'bad alias'"}},
          {{"promote", "houses", "2", "--expect", "soon"}, "promote", {"--expect 'soon'"}},
          {{"rollback", "houses", "--alias", "nosuch"},
           "rollback",
           {"unknown alias 'nosuch'", "known: production"}},
          {{"alias", "delete", "houses", "nosuch"}, "alias delete", {"unknown alias 'nosuch'"}},
          {{"alias", "set", "houses", "canary", "3"}, "alias set", {"no version 3"}},
      },
      [&](const std::vector<std::string>& args) { return Hone(args); });
  // Nothing changed: the same aliases, and no audit record beyond the 2 registrations and the
  // promote.
  EXPECT_EQ(Aliases(), json({{"production", 1}}));
  EXPECT_EQ(HoneJson({"audit", "verify"})["records"], 3);
}

TEST_P(RegistryE2eTest, BadReferencesFailWithOneLine) {
  ws_.Write("houses.csv", HousesCsv(300, 8));
  json t = Register("houses", 5);
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(Hone({"promote", "houses", "1"}).exit_code, 0);
  const std::string run = t["registered"]["run"];
  // A run id prefix that names no run (ids are random hex).
  const std::string no_run = run.starts_with("0000") ? "ffff" : "0000";
  ExpectEachFails(
      {
          {{"models", "show", "nosuch"},
           "models show",
           {"unknown model 'nosuch'", "known: houses"}},
          {{"models", "versions", "nosuch"}, "models versions", {"unknown model 'nosuch'"}},
          {{"models", "lineage", "houses/0"},
           "models lineage",
           {"'houses/0'", "no valid version number"}},
          {{"models", "lineage", "houses@"}, "models lineage", {"'houses@'", "no valid alias"}},
          {{"models", "lineage", "houses/9"}, "models lineage", {"no version 9", "1..1"}},
          {{"models", "lineage", "houses@staging"}, "models lineage", {"unknown alias 'staging'"}},
          {{"models", "diff", "houses/1", "nosuch/1"}, "models diff", {"unknown model 'nosuch'"}},
          {{"runs", "show", "zzzz"}, "runs show", {"'zzzz' is not a run id"}},
          {{"runs", "show", no_run}, "runs show", {"unknown run '" + no_run + "'"}},
          {{"runs", "compare", run, no_run}, "runs compare", {"unknown run '" + no_run + "'"}},
      },
      [&](const std::vector<std::string>& args) { return Hone(args); });
}

TEST_P(RegistryE2eTest, StoreFlagsNameTheStore) {
  ws_.Write("houses.csv", HousesCsv(300, 9));
  if (!postgres()) sqlite_store_ = ws_.Path("shared") / "store";
  json t = Register("houses", 5);
  ASSERT_FALSE(HasFailure());
  EXPECT_FALSE(ws_.Exists(".hone")) << "the store is where --store says";
  if (!postgres()) {
    EXPECT_TRUE(ws_.Exists("shared/store/hone.db"));
    EXPECT_TRUE(fs::exists(BlobPath(Artifacts(), t["registered"]["digest"].get<std::string>())));
    // The database file itself names the store as well as its folder.
    RunResult by_file =
        ws_.Hone({"models", "list", "--json", "--store", (*sqlite_store_ / "hone.db").string()});
    ASSERT_EQ(by_file.exit_code, 0) << by_file.err;
    EXPECT_THAT(by_file.out, HasSubstr("\"houses\""));
    // Without --store the workspace has none.
    RunResult none = ws_.Hone({"models", "list"});
    ExpectOneLineError(none, "models list");
    EXPECT_THAT(none.err, HasSubstr("no hone store in"));
  } else {
    // A PostgreSQL store needs to be told where its bundles are.
    RunResult no_artifacts = ws_.Hone({"models", "list", "--store", StoreUrl()});
    ExpectOneLineError(no_artifacts, "models list");
    EXPECT_THAT(no_artifacts.err, HasSubstr("--artifacts"));
    if (!PgPassword().empty()) {
      EXPECT_THAT(no_artifacts.err, Not(HasSubstr(PgPassword())));
    }
  }
  // HONE_STORE and HONE_ARTIFACTS stand for the flags.
  ScopedEnv store("HONE_STORE", postgres() ? StoreUrl().c_str() : sqlite_store_->c_str());
  ScopedEnv artifacts("HONE_ARTIFACTS", postgres() ? Artifacts().c_str() : nullptr);
  RunResult from_env = ws_.Hone({"models", "show", "houses", "--json"});
  ASSERT_EQ(from_env.exit_code, 0) << from_env.err;
  EXPECT_EQ(json::parse(from_env.out)["latest"]["digest"], t["registered"]["digest"]);
  RunResult promoted = ws_.Hone({"promote", "houses", "1"});
  EXPECT_EQ(promoted.exit_code, 0) << promoted.err;
  EXPECT_EQ(Aliases(), json({{"production", 1}}));
}

// Stores that cannot be used, by commands that read and by one that writes; no server needed.
TEST(RegistryE2eStoreTest, UnusableStoresFailWithOneLine) {
  Workspace ws;
  ScopedEnv no_store("HONE_STORE", nullptr);
  ScopedEnv no_artifacts("HONE_ARTIFACTS", nullptr);
  ws.Write("houses.csv", HousesCsv(100, 13));
  ws.Write("notes.txt", "not a database\n");
  fs::create_directories(ws.Path("empty"));
  struct Case {
    std::string store;
    std::vector<std::string> read;  // a command that reads
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"notes.txt", {"models", "list"}, {"'notes.txt' is not a hone store"}},
      {"empty", {"runs", "list"}, {"'empty' is not a hone store", "hone.db"}},
      {"mysql://x", {"store", "check"}, {"unknown scheme 'mysql'", "postgresql://"}},
      {"postgresql://nobody:secret@127.0.0.1:1/db",
       {"audit", "verify"},
       {"cannot connect", "127.0.0.1"}},
  };
  for (const Case& c : cases) {
    std::vector<BadCase> commands = {
        {c.read, Join(c.read), c.expected},
        {{"promote", "houses", "1"}, "promote", c.expected},
    };
    // A bad store fails a registration before it trains, and leaves nothing behind. (An empty
    // folder is where a registration makes a new store.)
    if (c.store != "empty") {
      commands.push_back({{"train", "--data", "houses.csv", "--target", "price", "--param",
                           "n_estimators=5", "--register", "other", "--out", "other.hone"},
                          "train",
                          c.expected});
    }
    for (BadCase& command : commands) {
      command.args.insert(command.args.end(), {"--store", c.store});
    }
    ExpectEachFails(commands, [&](const std::vector<std::string>& args) {
      RunResult r = ws.Hone(args);
      EXPECT_THAT(r.err + r.out, Not(HasSubstr("secret"))) << "the password is not shown";
      return r;
    });
    EXPECT_FALSE(ws.Exists("other.hone"));
    EXPECT_FALSE(ws.Exists(".hone"));
  }
  // No store at all, here or above.
  ExpectEachFails({{{"models", "list"}, "models list", {"no hone store in"}}},
                  [&](const std::vector<std::string>& args) { return ws.Hone(args); });
  EXPECT_EQ(ws.Read("notes.txt"), "not a database\n");
}

TEST_P(RegistryE2eTest, PredictAndEvalByReference) {
  ws_.Write("houses.csv", HousesCsv(300, 10));
  ws_.Write("new.csv", HousesCsv(40, 11));
  json t1 = Register("houses", 10, {"--out", "v1.hone"});
  json t2 = Register("houses", 20);
  ASSERT_FALSE(HasFailure());
  // The bundle written with --out is the registered one, byte for byte.
  EXPECT_EQ(Sha256Of(ws_.Path("v1.hone")), t1["registered"]["digest"]);
  EXPECT_EQ(t1["out"], "v1.hone");
  ASSERT_EQ(Hone({"promote", "houses", "1"}).exit_code, 0);

  RunResult by_alias = Hone({"predict", "--model", "houses@production", "--data", "new.csv"});
  ASSERT_EQ(by_alias.exit_code, 0) << by_alias.err;
  auto lines = Lines(by_alias.out);
  ASSERT_EQ(lines.size(), 41u) << by_alias.out;
  EXPECT_EQ(lines[0], "prediction");
  EXPECT_GT(std::stod(lines[1]), 0);
  RunResult by_file = ws_.Hone({"predict", "--model", "v1.hone", "--data", "new.csv"});
  ASSERT_EQ(by_file.exit_code, 0) << by_file.err;
  EXPECT_EQ(by_alias.out, by_file.out) << "production is version 1";
  RunResult latest = Hone(
      {"predict", "--model", "models:/houses/latest", "--data", "new.csv", "--out", "latest.csv"});
  ASSERT_EQ(latest.exit_code, 0) << latest.err;
  EXPECT_EQ(Lines(ws_.Read("latest.csv")).size(), 41u);
  EXPECT_NE(ws_.Read("latest.csv"), by_file.out) << "version 2 has more trees";

  json e1 = HoneJson({"eval", "--model", "models:/houses/1", "--data", "houses.csv"});
  EXPECT_EQ(e1["bundle_sha256"], t1["registered"]["digest"]);
  EXPECT_THAT(e1["model"].get<std::string>(), HasSubstr("houses/1"));
  EXPECT_EQ(e1["rows"], 300);
  EXPECT_GT(e1["metrics"]["r2"].get<double>(), 0.5);
  json e2 = HoneJson({"eval", "--model", "houses/2", "--data", "houses.csv"});
  EXPECT_EQ(e2["bundle_sha256"], t2["registered"]["digest"]);

  RunResult unknown = Hone({"predict", "--model", "houses@staging", "--data", "new.csv"});
  ExpectOneLineError(unknown, "predict");
  EXPECT_THAT(unknown.err, HasSubstr("unknown alias 'staging'"));
  RunResult no_version = Hone({"eval", "--model", "houses/7", "--data", "houses.csv"});
  ExpectOneLineError(no_version, "eval");
  EXPECT_THAT(no_version.err, HasSubstr("no version 7"));

  // A bundle that no longer matches its digest is refused, not used.
  const fs::path blob = BlobPath(Artifacts(), t1["registered"]["digest"].get<std::string>());
  std::string bytes = ws_.Read("v1.hone");
  bytes[bytes.size() / 2] ^= 0x01;
  fs::remove(blob);
  { std::ofstream(blob, std::ios::binary) << bytes; }
  RunResult altered = Hone({"predict", "--model", "houses@production", "--data", "new.csv"});
  ExpectOneLineError(altered, "predict");
  EXPECT_THAT(altered.err, HasSubstr("houses/1"));
}

INSTANTIATE_TEST_SUITE_P(Backends, RegistryE2eTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& p) {
                           return p.param == Backend::kSqlite ? "sqlite" : "postgres";
                         });

}  // namespace
}  // namespace hone::e2e
