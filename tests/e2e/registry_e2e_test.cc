// The store and the registry through the real binary, on SQLite and on PostgreSQL: registering
// versions, promoting and rolling back, the runs behind them and their lineage, and models used
// by reference. The audit chain, store check and gc, and the errors a user meets are in
// registry_store_e2e_test.cc; the fixture is in registry_e2e_fixture.h.
#include "registry_e2e_fixture.h"

namespace hone::e2e {
namespace {

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
