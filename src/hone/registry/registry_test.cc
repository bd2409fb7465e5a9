#include "hone/registry/registry.h"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/core/digest.h"
#include "hone/core/test_temp_dir.h"
#include "hone/registry/lineage.h"
#include "hone/registry/store_check.h"
#include "hone/store/open_store.h"
#include "hone/store/sqlite/sqlite.h"

namespace hone::registry {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class RegistryTest : public core::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    auto opened = store::OpenStore({.store = (dir_ / ".hone").string(), .create = true});
    ASSERT_TRUE(opened) << opened.error().message();
    store_ = std::make_unique<store::Store>(std::move(*opened));
    registry_ = std::make_unique<Registry>(*store_->meta, store_->artifacts, store::Actor{"ana"});
  }

  store::ModelVersion Register(const std::string& model, const std::string& bundle,
                               std::map<std::string, double> metrics = {}) {
    store::NewVersion v;
    v.model = model;
    v.metrics = std::move(metrics);
    auto version = registry_->Register(v, bundle);
    EXPECT_TRUE(version) << version.error().message();
    return version.value_or(store::ModelVersion{});
  }

  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Registry> registry_;
};

TEST_F(RegistryTest, RegisterKeepsTheBundleAndEveryReferenceResolvesToIt) {
  Register("churn", "bundle one");
  Register("churn", "bundle two");
  ASSERT_TRUE(registry_->Promote("churn", 1, "production"));
  for (const auto& [text, bytes, source] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"churn/1", "bundle one", "churn/1"},
           {"models:/churn/2", "bundle two", "churn/2"},
           {"churn@production", "bundle one", "churn@production = churn/1"},
           {"models:/churn@production", "bundle one", "churn@production = churn/1"},
           {"churn/latest", "bundle two", "churn/latest = churn/2"}}) {
    auto resolved = registry_->Resolve(text);
    ASSERT_TRUE(resolved) << text << ": " << resolved.error().message();
    EXPECT_EQ(resolved->bundle.view(), bytes) << text;
    EXPECT_EQ(resolved->source, source) << text;
  }
  auto unknown = registry_->Resolve("churn@staging");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), ErrorCode::kNotFound);
  EXPECT_THAT(unknown.error().message(), HasSubstr("known: production"));
  EXPECT_EQ(registry_->Resolve("churn/3").error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(registry_->Resolve("fraud@production").error().code(), ErrorCode::kNotFound);
}

TEST_F(RegistryTest, ADamagedBundleIsNeverHandedOut) {
  store::ModelVersion v = Register("churn", "bundle one");
  fs::path blob = store_->artifacts.PathOf(v.bundle_digest);
  fs::permissions(blob, fs::perms::owner_write, fs::perm_options::add);
  std::ofstream(blob) << "bundle 0ne";
  auto resolved = registry_->Resolve("churn/1");
  ASSERT_FALSE(resolved);
  EXPECT_EQ(resolved.error().code(), ErrorCode::kCorrupt);
  EXPECT_THAT(resolved.error().message(), HasSubstr("bundle of churn/1"));
}

TEST_F(RegistryTest, RollbackWalksBackOneReleaseAtATime) {
  for (int i = 1; i <= 3; ++i) Register("churn", "bundle " + std::to_string(i));
  for (int64_t v : {1, 2, 3}) ASSERT_TRUE(registry_->Promote("churn", v, "production"));
  auto promoted_again = registry_->Promote("churn", 3, "production");
  ASSERT_TRUE(promoted_again);
  EXPECT_FALSE(promoted_again->changed);
  EXPECT_EQ(registry_->Rollback("churn", "production")->to, 2);
  EXPECT_EQ(registry_->Rollback("churn", "production")->to, 1);
  auto nothing = registry_->Rollback("churn", "production");
  ASSERT_FALSE(nothing);
  EXPECT_EQ(nothing.error().code(), ErrorCode::kNotFound);
  EXPECT_THAT(nothing.error().message(), HasSubstr("no earlier version"));
  EXPECT_EQ(store_->meta->ResolveAlias("churn", "production").value(), 1);
  // A promotion after rollbacks is a new release: rolling it back returns to 1.
  ASSERT_TRUE(registry_->Promote("churn", 3, "production"));
  EXPECT_EQ(registry_->Rollback("churn", "production")->to, 1);
}

TEST_F(RegistryTest, PromoteWithExpectIsACompareAndSwap) {
  for (int i = 1; i <= 3; ++i) Register("churn", "bundle " + std::to_string(i));
  ASSERT_TRUE(registry_->Promote("churn", 1, "production", std::optional<int64_t>()));
  auto lost = registry_->Promote("churn", 3, "production", std::optional<int64_t>(2));
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code(), ErrorCode::kConflict);
  auto won = registry_->Promote("churn", 3, "production", std::optional<int64_t>(1));
  ASSERT_TRUE(won) << won.error().message();
  EXPECT_EQ(won->from, 1);
  EXPECT_EQ(won->to, 3);
  EXPECT_EQ(registry_->Promote("churn", 9, "production").error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(registry_->Promote("churn", 1, "bad alias").error().code(),
            ErrorCode::kInvalidArgument);
}

TEST(RollbackTargetTest, FollowsTheStackOfReleases) {
  using store::AliasMove;
  auto move = [](int64_t id, std::optional<int64_t> from, std::optional<int64_t> to,
                 std::string action) {
    return AliasMove{id, "m", "a", from, to, std::move(action), 0, "x"};
  };
  std::vector<AliasMove> history = {move(1, {}, 1, "promote"), move(2, 1, 2, "promote"),
                                    move(3, 2, 2, "promote"), move(4, 2, 5, "promote"),
                                    move(5, 5, 2, "rollback")};
  EXPECT_EQ(RollbackTarget("m", "a", history).value(), 1);
  history.push_back(move(6, 2, 1, "rollback"));
  EXPECT_FALSE(RollbackTarget("m", "a", history));
}

TEST_F(RegistryTest, LineageAndDiffAnswerWhereAVersionCameFrom) {
  store::RunStart start;
  start.command = "hone train";
  start.data_digest = std::string(64, 'd');
  auto run = store_->meta->CreateRun(start);
  ASSERT_TRUE(run);
  store::NewVersion first;
  first.model = "churn";
  first.run_id = *run;
  first.params = {{"max_depth", "8"}, {"n_estimators", "100"}};
  first.metrics = {{"rmse", 2.0}};
  first.data_digest = std::string(64, 'd');
  ASSERT_TRUE(registry_->Register(first, "one"));
  ASSERT_TRUE(registry_->Promote("churn", 1, "production"));
  store::NewVersion second = first;
  second.params = {{"max_depth", "12"}, {"n_estimators", "100"}, {"min_samples_leaf", "2"}};
  second.metrics = {{"rmse", 1.5}, {"r2", 0.9}};
  second.data_digest = std::string(64, 'e');
  ASSERT_TRUE(registry_->Register(second, "two"));
  ASSERT_TRUE(registry_->Promote("churn", 2, "production"));

  auto lineage = TraceLineage(*store_->meta, "churn", 2);
  ASSERT_TRUE(lineage) << lineage.error().message();
  ASSERT_TRUE(lineage->run);
  EXPECT_EQ(lineage->run->id, *run);
  ASSERT_EQ(lineage->ancestors.size(), 1u);
  EXPECT_EQ(lineage->ancestors[0].version, 1);
  ASSERT_EQ(lineage->releases.size(), 1u);
  EXPECT_EQ(lineage->releases[0].to, 2);
  EXPECT_EQ(TraceLineage(*store_->meta, "churn", 1)->releases.size(), 2u);

  VersionDiff d =
      DiffVersions(*store_->meta->GetVersion("churn", 1), *store_->meta->GetVersion("churn", 2));
  ASSERT_EQ(d.params.size(), 2u);
  EXPECT_EQ(d.params[0].key, "max_depth");
  EXPECT_EQ(d.params[0].a, "8");
  EXPECT_EQ(d.params[0].b, "12");
  EXPECT_EQ(d.params[1].key, "min_samples_leaf");
  EXPECT_FALSE(d.params[1].a);
  ASSERT_EQ(d.metrics.size(), 2u);
  EXPECT_EQ(d.metrics[0].key, "r2");
  EXPECT_FALSE(d.metrics[0].a);
  EXPECT_EQ(d.metrics[1].b, 1.5);
  EXPECT_FALSE(d.same_data);
  EXPECT_TRUE(d.same_code);
  EXPECT_FALSE(d.same_bundle);
}

TEST_F(RegistryTest, CheckFindsMissingAndDamagedBundlesAndEditedAudit) {
  store::ModelVersion one = Register("churn", "bundle one");
  Register("churn", "bundle two");
  ASSERT_TRUE(registry_->Promote("churn", 2, "production"));
  auto clean = CheckStore(*store_->meta, store_->artifacts);
  ASSERT_TRUE(clean) << clean.error().message();
  EXPECT_THAT(clean->problems, IsEmpty());
  EXPECT_EQ(clean->versions, 2u);
  EXPECT_EQ(clean->audit_records, 3u);

  fs::remove(store_->artifacts.PathOf(one.bundle_digest));
  {
    auto db = store::sqlite::Database::Open(dir_ / ".hone" / "hone.db", true);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->Exec("UPDATE audit SET actor = 'mallory' WHERE seq = 2"));
  }
  auto broken = CheckStore(*store_->meta, store_->artifacts);
  ASSERT_TRUE(broken);
  EXPECT_THAT(broken->problems,
              ElementsAre(HasSubstr("bundle of churn/1"), HasSubstr("audit record 2")));
  {
    auto db = store::sqlite::Database::Open(dir_ / ".hone" / "hone.db", true);
    ASSERT_TRUE(db->Exec("DELETE FROM audit WHERE seq = 3"));
  }
  auto audit = VerifyAudit(*store_->meta);
  ASSERT_TRUE(audit);
  EXPECT_THAT(*audit, ElementsAre(HasSubstr("audit record 2"), HasSubstr("3..3")));
}

TEST_F(RegistryTest, GarbageCollectionKeepsWhatVersionsAndRunsReferTo) {
  store::ModelVersion v = Register("churn", "bundle one");
  auto orphan = store_->artifacts.Put("nobody refers to me");
  ASSERT_TRUE(orphan);
  auto removed = CollectGarbage(*store_->meta, store_->artifacts, std::chrono::seconds(0));
  ASSERT_TRUE(removed) << removed.error().message();
  EXPECT_EQ(removed->blobs, 1u);
  EXPECT_TRUE(store_->artifacts.Contains(v.bundle_digest));
  EXPECT_FALSE(store_->artifacts.Contains(*orphan));
}

TEST_F(RegistryTest, GarbageCollectionRefusesAFolderSharedWithAnotherStore) {
  store::ModelVersion mine = Register("churn", "bundle one");
  auto other = store::OpenStore({.store = (dir_ / "other").string(),
                                 .artifacts = store_->artifacts.root().string(),
                                 .create = true});
  ASSERT_TRUE(other) << other.error().message();
  Registry other_registry(*other->meta, other->artifacts, store::Actor{"bo"});
  store::NewVersion v;
  v.model = "fraud";
  auto theirs = other_registry.Register(v, "their bundle");
  ASSERT_TRUE(theirs) << theirs.error().message();
  EXPECT_EQ(store_->artifacts.Claimants()->size(), 2u);

  for (store::Store* s : {store_.get(), &*other}) {
    auto removed = CollectGarbage(*s->meta, s->artifacts, std::chrono::seconds(0));
    ASSERT_FALSE(removed);
    EXPECT_EQ(removed.error().code(), ErrorCode::kConflict);
    EXPECT_THAT(removed.error().message(), HasSubstr("other stores"));
  }
  EXPECT_TRUE(store_->artifacts.Contains(mine.bundle_digest));
  EXPECT_TRUE(store_->artifacts.Contains(theirs->bundle_digest));
}

}  // namespace
}  // namespace hone::registry
