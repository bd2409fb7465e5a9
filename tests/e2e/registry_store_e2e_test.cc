// The registry's store through the real binary, on SQLite and on PostgreSQL: the audit chain
// (listed, searched, verified, and broken by an edit), store check and gc, and the errors a user
// meets with bad releases, references and store flags. The fixture is in registry_e2e_fixture.h
// and its suite is instantiated in registry_e2e_test.cc.
#include "registry_e2e_fixture.h"

namespace hone::e2e {
namespace {

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

}  // namespace
}  // namespace hone::e2e
