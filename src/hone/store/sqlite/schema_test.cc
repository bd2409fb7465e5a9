#include "hone/store/sqlite/schema.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hone/core/test_temp_dir.h"
#include "hone/store/sqlite/sqlite_meta_store.h"

namespace hone::store::sqlite {
namespace {

namespace fs = std::filesystem;

class StoreSchemaTest : public core::testing::TempDirTest {
 protected:
  static int StoredVersion(Database& db) {
    auto s = db.Prepare("SELECT value FROM hone_meta WHERE key = 'schema_version'");
    EXPECT_TRUE(s);
    EXPECT_TRUE(*s->Step());
    return std::stoi(s->Text(0));
  }
};

TEST_F(StoreSchemaTest, FreshStoreGetsEveryMigrationAndReopensAsIs) {
  fs::path path = dir_ / "store.db";
  {
    auto db = OpenStoreDatabase(path);
    ASSERT_TRUE(db) << db.error().message();
    EXPECT_EQ(StoredVersion(*db), SchemaVersion());
    // The tables of the migrations are there and usable.
    ASSERT_TRUE(
        db->Exec("INSERT INTO runs (id, command, status, start_ms, host, user) "
                 "VALUES ('r1', 'train', 'running', 1, 'h', 'u')"));
    ASSERT_TRUE(db->Exec("INSERT INTO metrics VALUES ('r1', 'rmse', 0, 1, 0.5)"));
  }
  auto again = OpenStoreDatabase(path, /*must_exist=*/true);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(StoredVersion(*again), SchemaVersion());
  auto count = again->Prepare("SELECT count(*) FROM metrics");
  ASSERT_TRUE(*count->Step());
  EXPECT_EQ(count->Int(0), 1);
}

TEST_F(StoreSchemaTest, ForeignKeysAreEnforced) {
  auto db = OpenStoreDatabase(dir_ / "store.db");
  ASSERT_TRUE(db);
  EXPECT_FALSE(db->Exec("INSERT INTO metrics VALUES ('no such run', 'rmse', 0, 1, 0.5)"));
}

TEST_F(StoreSchemaTest, NewerSchemaIsRefusedAndLeftUntouched) {
  fs::path path = dir_ / "store.db";
  {
    auto db = OpenStoreDatabase(path);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->Exec("UPDATE hone_meta SET value = '999' WHERE key = 'schema_version'"));
  }
  auto r = OpenStoreDatabase(path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kUnsupported);
  EXPECT_NE(r.error().message().find("schema version 999"), std::string::npos)
      << r.error().message();
  auto raw = Database::Open(path);
  ASSERT_TRUE(raw);
  EXPECT_EQ(StoredVersion(*raw), 999);
}

TEST_F(StoreSchemaTest, GarbledSchemaVersionIsCorrupt) {
  fs::path path = dir_ / "store.db";
  for (const char* garbled : {"", "x", "3x", "-1", "99999999999999999999"}) {
    {
      auto db = OpenStoreDatabase(path);
      ASSERT_TRUE(db || db.error().code() == ErrorCode::kCorrupt);
      auto raw = Database::Open(path);
      ASSERT_TRUE(raw);
      auto set = raw->Prepare("UPDATE hone_meta SET value = ? WHERE key = 'schema_version'");
      ASSERT_TRUE(set);
      ASSERT_TRUE(set->Bind(1, std::string_view(garbled)).Run());
    }
    auto r = OpenStoreDatabase(path);
    ASSERT_FALSE(r) << garbled;
    EXPECT_EQ(r.error().code(), ErrorCode::kCorrupt) << garbled;
    EXPECT_NE(r.error().message().find("schema version"), std::string::npos);
  }
}

TEST_F(StoreSchemaTest, WhatIsNotAStoreIsRefused) {
  std::ofstream(dir_ / "notes.txt") << "these are not the tables you are looking for\n";
  auto text = OpenStoreDatabase(dir_ / "notes.txt");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code(), ErrorCode::kInvalidData);
  EXPECT_NE(text.error().message().find("not a hone store"), std::string::npos);

  {
    auto other = Database::Open(dir_ / "other.db");
    ASSERT_TRUE(other);
    ASSERT_TRUE(other->Exec("CREATE TABLE accounts (id INTEGER)"));
  }
  auto foreign = OpenStoreDatabase(dir_ / "other.db");
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code(), ErrorCode::kInvalidData);
  EXPECT_NE(foreign.error().message().find("not a hone store"), std::string::npos);

  auto missing = OpenStoreDatabase(dir_ / "missing.db", /*must_exist=*/true);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_FALSE(fs::exists(dir_ / "missing.db"));
}

TEST_F(StoreSchemaTest, UncommittedTransactionRollsBack) {
  auto db = OpenStoreDatabase(dir_ / "store.db");
  ASSERT_TRUE(db);
  {
    auto tx = Transaction::Begin(*db);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(
        db->Exec("INSERT INTO runs (id, command, status, start_ms, host, user) "
                 "VALUES ('r1', 'train', 'running', 1, 'h', 'u')"));
  }
  auto count = db->Prepare("SELECT count(*) FROM runs");
  ASSERT_TRUE(*count->Step());
  EXPECT_EQ(count->Int(0), 0);
}

// Processes opening one new store at the same moment: each migration is applied once, and
// every opener gets a usable store.
TEST_F(StoreSchemaTest, ConcurrentOpenersMigrateOnce) {
  fs::path path = dir_ / "store.db";
  std::vector<pid_t> children;
  for (int i = 0; i < 6; ++i) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto db = OpenStoreDatabase(path);
      if (!db) {
        std::fprintf(stderr, "opener %d: %s\n", i, db.error().message().c_str());
        ::_exit(1);
      }
      std::string insert =
          "INSERT INTO runs (id, command, status, start_ms, host, user) "
          "VALUES ('r" +
          std::to_string(i) + "', 'train', 'done', 1, 'h', 'u')";
      auto inserted = db->Exec(insert);
      if (!inserted) std::fprintf(stderr, "opener %d: %s\n", i, inserted.error().message().c_str());
      ::_exit(inserted ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto db = OpenStoreDatabase(path);
  ASSERT_TRUE(db);
  auto count = db->Prepare("SELECT count(*) FROM runs");
  ASSERT_TRUE(*count->Step());
  EXPECT_EQ(count->Int(0), 6);
}

// A store written by a hone that knew only migration 1 is brought up to date on opening, and
// what it held reads as before: aliases without weights.
TEST_F(StoreSchemaTest, VersionOneStoreIsMigratedKeepingWhatItHeld) {
  fs::path path = dir_ / "store.db";
  {
    auto db = Database::Open(path);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->Exec("CREATE TABLE hone_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"));
    ASSERT_TRUE(db->Exec(Migrations()[0]));
    ASSERT_TRUE(db->Exec(
        "INSERT INTO hone_meta VALUES ('schema_version', '1'); "
        "INSERT INTO models VALUES ('churn', 1, 1); "
        "INSERT INTO versions (model, version, bundle_digest, params, metrics, description, "
        "created_ms, created_by) VALUES ('churn', 1, 'd', '{}', '{}', '', 1, 't'); "
        "INSERT INTO aliases VALUES ('churn', 'production', 1)"));
  }
  auto store = SqliteMetaStore::Open(path, /*must_exist=*/true);
  ASSERT_TRUE(store) << store.error().message();
  auto model = (*store)->GetModel("churn");
  ASSERT_TRUE(model) << model.error().message();
  EXPECT_EQ(model->aliases.at("production"), 1);
  EXPECT_TRUE(model->alias_weights.empty());
  auto canary = (*store)->MoveAlias({.model = "churn", .alias = "canary", .to = 1, .weight = 0.2});
  ASSERT_TRUE(canary) << canary.error().message();
  EXPECT_EQ((*store)->GetModel("churn").value().alias_weights.at("canary"), 0.2);
  auto lease = (*store)->AcquireLease("watch-churn", "me", std::chrono::seconds(1));
  ASSERT_TRUE(lease) << lease.error().message();
  EXPECT_EQ(lease->holder, "me");
  auto raw = Database::Open(path);
  ASSERT_TRUE(raw);
  EXPECT_EQ(StoredVersion(*raw), SchemaVersion());
}

}  // namespace
}  // namespace hone::store::sqlite
