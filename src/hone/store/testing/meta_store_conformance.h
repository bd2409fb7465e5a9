// The conformance suite every MetaStore backend passes. A backend's test file defines a Backend
// type and instantiates the suite with it:
//
//   struct MyBackend {
//     void SetUp();                                    // a fresh, empty store
//     void TearDown();
//     std::optional<std::string> SkipReason() const;   // why the backend is unavailable
//     Result<std::unique_ptr<MetaStore>> Open();       // a new connection; also after fork()
//     static constexpr bool kNotifiesAliasMoves = …;   // WaitForAliasChange wakes on a move
//     std::string RecordedActor(std::string declared);  // optional: who the store records when
//                                                       // a caller says it is `declared`
//   };
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, MetaStoreConformance, MyBackend);
#ifndef HONE_STORE_TESTING_META_STORE_CONFORMANCE_H_
#define HONE_STORE_TESTING_META_STORE_CONFORMANCE_H_

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hone/store/artifact_store.h"
#include "hone/store/audit.h"
#include "hone/store/meta_store.h"

namespace hone::store::testing {

/// Runs `body(child)` in `children` forked processes at once; returns how many returned true.
/// A child must open its own connections: nothing open crosses fork().
template <typename Body>
int RunInChildren(int children, Body body) {
  std::vector<pid_t> pids;
  for (int c = 0; c < children; ++c) {
    pid_t pid = fork();
    if (pid == 0) _exit(body(c) ? 0 : 1);
    pids.push_back(pid);
  }
  int ok = 0;
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    ok += WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  return ok;
}

/// Whether `Backend` says its WaitForAliasChange wakes on a move (false when it says nothing).
template <typename Backend>
constexpr bool NotifiesAliasMoves() {
  if constexpr (requires { Backend::kNotifiesAliasMoves; }) {
    return Backend::kNotifiesAliasMoves;
  } else {
    return false;
  }
}

template <typename Backend>
class MetaStoreConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_.SetUp();
    if (auto reason = backend_.SkipReason()) GTEST_SKIP() << *reason;
    store_ = Open();
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    store_.reset();
    backend_.TearDown();
  }

  std::unique_ptr<MetaStore> Open() {
    auto store = backend_.Open();
    EXPECT_TRUE(store) << store.error().message();
    return store ? std::move(*store) : nullptr;
  }

  RunStart Start(std::string command = "hone train") {
    RunStart s;
    s.command = std::move(command);
    s.host = "host-a";
    s.user = "ana";
    s.code_commit = std::string(40, 'c');
    s.code_dirty = true;
    s.config_digest = std::string(64, '1');
    s.data_digest = std::string(64, 'd');
    return s;
  }

  NewVersion Version(std::string model, std::string digest = std::string(64, 'b')) {
    NewVersion v;
    v.model = std::move(model);
    v.bundle_digest = std::move(digest);
    v.params = {{"n_estimators", "100"}};
    v.metrics = {{"rmse", 1.5}};
    return v;
  }

  /// Runs `body` in `children` forked processes, each with its own connection; returns how
  /// many exited 0.
  template <typename Body>
  int InChildren(int children, Body body) {
    return RunInChildren(children, [&](int child) {
      auto store = backend_.Open();
      return store && body(**store, child);
    });
  }

  /// Who the store records as the actor when a caller says it is `declared`: the caller's word
  /// for the embedded backends; a server records the name of the token the caller presented.
  std::string Recorded(std::string declared) {
    if constexpr (requires { backend_.RecordedActor(declared); }) {
      return backend_.RecordedActor(std::move(declared));
    } else {
      return declared;
    }
  }

  Backend backend_;
  std::unique_ptr<MetaStore> store_;
  Actor actor_{"tester"};
};

TYPED_TEST_SUITE_P(MetaStoreConformance);

TYPED_TEST_P(MetaStoreConformance, RunKeepsEverythingItLogged) {
  MetaStore& s = *this->store_;
  RunStart start = this->Start();
  start.start_ms = 1'700'000'000'000;
  auto id = s.CreateRun(start);
  ASSERT_TRUE(id) << id.error().message();
  EXPECT_EQ(id->size(), 32u);
  ASSERT_TRUE(s.LogParams(*id, {{"max_depth", "8"}, {"model", "random_forest"}}));
  ASSERT_TRUE(s.LogParams(*id, {{"max_depth", "9"}}));  // a later value replaces
  ASSERT_TRUE(s.SetTags(*id, {{"team", "risk"}}));
  std::vector<Metric> metrics = {
      {"loss", 0.9, 0, 10}, {"loss", 0.5, 1, 20}, {"loss", 0.7, 1, 30}, {"rmse", 2.0, 0, 40}};
  ASSERT_TRUE(s.LogMetrics(*id, metrics));
  ASSERT_TRUE(s.LogArtifact(*id, {"model.hone", std::string(64, 'a'), 1234}));
  ASSERT_TRUE(s.EndRun(*id, RunStatus::kFinished, 1'700'000'005'000));

  auto run = s.GetRun(*id);
  ASSERT_TRUE(run) << run.error().message();
  EXPECT_EQ(run->id, *id);
  EXPECT_EQ(run->start.command, "hone train");
  EXPECT_EQ(run->start.start_ms, 1'700'000'000'000);
  EXPECT_EQ(run->end_ms, 1'700'000'005'000);
  EXPECT_EQ(run->status, RunStatus::kFinished);
  EXPECT_EQ(run->start.host, "host-a");
  EXPECT_EQ(run->start.user, "ana");
  EXPECT_EQ(run->start.code_commit, std::string(40, 'c'));
  EXPECT_EQ(run->start.code_dirty, true);
  EXPECT_EQ(run->start.config_digest, std::string(64, '1'));
  EXPECT_EQ(run->start.data_digest, std::string(64, 'd'));
  EXPECT_EQ(run->params,
            (std::map<std::string, std::string>{{"max_depth", "9"}, {"model", "random_forest"}}));
  EXPECT_EQ(run->tags, (std::map<std::string, std::string>{{"team", "risk"}}));
  ASSERT_EQ(run->metrics.size(), 4u);
  EXPECT_EQ(run->metrics[0].key, "loss");
  EXPECT_EQ(run->metrics[0].step, 0);
  EXPECT_EQ(run->metrics[2].value, 0.7);
  EXPECT_EQ(run->metrics[2].timestamp_ms, 30);
  EXPECT_EQ(run->metrics[3].key, "rmse");
  ASSERT_EQ(run->artifacts.size(), 1u);
  EXPECT_EQ(run->artifacts[0].name, "model.hone");
  EXPECT_EQ(run->artifacts[0].bytes, 1234);

  auto by_prefix = s.GetRun(id->substr(0, 8));
  ASSERT_TRUE(by_prefix);
  EXPECT_EQ(by_prefix->id, *id);
}

TYPED_TEST_P(MetaStoreConformance, UnknownOrMalformedRunIsAClearError) {
  MetaStore& s = *this->store_;
  auto missing = s.GetRun(std::string(32, 'f'));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_THAT(missing.error().message(), ::testing::HasSubstr("ffffffff"));
  auto malformed = s.GetRun("x'; DROP TABLE runs; --");
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().code(), ErrorCode::kInvalidArgument);
  std::vector<Metric> one = {{"loss", 1, 0, 0}};
  auto logged = s.LogMetrics(std::string(32, 'e'), one);
  ASSERT_FALSE(logged);
  EXPECT_EQ(logged.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(s.EndRun(std::string(32, 'e'), RunStatus::kFailed, 1).error().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(s.LogParams(std::string(32, 'e'), {{"a", "b"}}).error().code(), ErrorCode::kNotFound);
}

TYPED_TEST_P(MetaStoreConformance, ListRunsNewestFirstWithLatestMetrics) {
  MetaStore& s = *this->store_;
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    RunStart start = this->Start("run " + std::to_string(i));
    start.start_ms = 1000 + i;
    auto id = s.CreateRun(start);
    ASSERT_TRUE(id);
    ids.push_back(*id);
    std::vector<Metric> m = {{"loss", 1.0 / (i + 1), 0, 1}, {"loss", 0.1 * i, 3, 2}};
    ASSERT_TRUE(s.LogMetrics(*id, m));
  }
  auto runs = s.ListRuns({.limit = 3, .offset = 1});
  ASSERT_TRUE(runs) << runs.error().message();
  ASSERT_EQ(runs->size(), 3u);
  EXPECT_EQ((*runs)[0].id, ids[3]);
  EXPECT_EQ((*runs)[2].id, ids[1]);
  ASSERT_EQ((*runs)[0].metrics.size(), 1u);
  EXPECT_EQ((*runs)[0].metrics[0].step, 3);
  EXPECT_DOUBLE_EQ((*runs)[0].metrics[0].value, 0.3);

  auto v = this->Version("churn");
  v.run_id = ids[2];
  ASSERT_TRUE(s.CreateVersion(v, this->actor_));
  auto of_model = s.ListRuns({.limit = 10, .offset = 0, .model = "churn"});
  ASSERT_TRUE(of_model);
  ASSERT_EQ(of_model->size(), 1u);
  EXPECT_EQ((*of_model)[0].id, ids[2]);

  ASSERT_TRUE(s.SetTags(ids[1], {{"hone.input_key", "abc"}, {"other", "x"}}));
  ASSERT_TRUE(s.SetTags(ids[4], {{"hone.input_key", "abc"}}));
  ASSERT_TRUE(s.SetTags(ids[0], {{"hone.input_key", "abd"}, {"x", "abc"}}));
  auto tagged = s.ListRuns({.limit = 10, .offset = 0, .tag = std::pair{"hone.input_key", "abc"}});
  ASSERT_TRUE(tagged) << tagged.error().message();
  ASSERT_EQ(tagged->size(), 2u);
  EXPECT_EQ((*tagged)[0].id, ids[4]);
  EXPECT_EQ((*tagged)[1].id, ids[1]);
  auto both = s.ListRuns(
      {.limit = 10, .offset = 0, .model = "churn", .tag = std::pair{"hone.input_key", "abc"}});
  ASSERT_TRUE(both);
  EXPECT_TRUE(both->empty());
}

TYPED_TEST_P(MetaStoreConformance, MetricBatchIsWholeAndKeepsOrder) {
  MetaStore& s = *this->store_;
  auto id = s.CreateRun(this->Start());
  ASSERT_TRUE(id);
  std::vector<Metric> batch;
  for (int i = 0; i < 20000; ++i) batch.push_back({"k" + std::to_string(i % 7), i * 0.5, i, 5});
  ASSERT_TRUE(s.LogMetrics(*id, batch));
  auto run = s.GetRun(*id);
  ASSERT_TRUE(run);
  ASSERT_EQ(run->metrics.size(), batch.size());
  for (size_t i = 1; i < run->metrics.size(); ++i) {
    const Metric& a = run->metrics[i - 1];
    const Metric& b = run->metrics[i];
    ASSERT_TRUE(a.key < b.key || (a.key == b.key && a.step < b.step)) << i;
    ASSERT_EQ(b.value, b.step * 0.5);
  }
}

TYPED_TEST_P(MetaStoreConformance, VersionsAreNumberedPerModelWithLineage) {
  MetaStore& s = *this->store_;
  auto run = s.CreateRun(this->Start());
  ASSERT_TRUE(run);
  NewVersion first = this->Version("churn");
  first.run_id = *run;
  first.data_digest = std::string(64, 'd');
  first.code_commit = std::string(40, 'c');
  first.code_dirty = false;
  first.config_digest = std::string(64, '9');
  first.metrics = {{"rmse", 1.25}, {"r2", std::nan("")}, {"mape", INFINITY}};
  first.description = "first";
  auto v1 = s.CreateVersion(first, this->actor_);
  ASSERT_TRUE(v1) << v1.error().message();
  EXPECT_EQ(v1->version, 1);
  EXPECT_FALSE(v1->parent);
  auto other = s.CreateVersion(this->Version("fraud"), this->actor_);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->version, 1);
  ASSERT_TRUE(s.MoveAlias({"churn", "production", 1, std::nullopt, "promote", this->actor_}));
  auto v2 = s.CreateVersion(this->Version("churn"), this->actor_);
  ASSERT_TRUE(v2);
  EXPECT_EQ(v2->version, 2);
  EXPECT_EQ(v2->parent, 1);  // production when it was registered
  NewVersion third = this->Version("churn");
  third.parent = 2;
  auto v3 = s.CreateVersion(third, this->actor_);
  ASSERT_TRUE(v3);
  EXPECT_EQ(v3->parent, 2);

  auto got = s.GetVersion("churn", 1);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(got->bundle_digest, std::string(64, 'b'));
  EXPECT_EQ(got->run_id, *run);
  EXPECT_EQ(got->data_digest, std::string(64, 'd'));
  EXPECT_EQ(got->code_commit, std::string(40, 'c'));
  EXPECT_EQ(got->code_dirty, false);
  EXPECT_EQ(got->config_digest, std::string(64, '9'));
  EXPECT_EQ(got->params.at("n_estimators"), "100");
  EXPECT_EQ(got->metrics.at("rmse"), 1.25);
  EXPECT_TRUE(std::isnan(got->metrics.at("r2")));
  EXPECT_EQ(got->metrics.at("mape"), INFINITY);
  EXPECT_EQ(got->description, "first");
  EXPECT_EQ(got->created_by, this->Recorded("tester"));
  EXPECT_GT(got->created_ms, 0);
  EXPECT_EQ(got->aliases, std::vector<std::string>{"production"});

  auto all = s.ListVersions("churn", {});
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[2].version, 3);
  auto page = s.ListVersions("churn", {.limit = 1, .offset = 1, .newest_first = true});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].version, 2);

  auto models = s.ListModels();
  ASSERT_TRUE(models);
  ASSERT_EQ(models->size(), 2u);
  EXPECT_EQ((*models)[0].name, "churn");
  EXPECT_EQ((*models)[0].latest_version, 3);
  EXPECT_EQ((*models)[0].aliases.at("production"), 1);
}

TYPED_TEST_P(MetaStoreConformance, BadRegistryInputIsAClearError) {
  MetaStore& s = *this->store_;
  ASSERT_TRUE(s.CreateVersion(this->Version("churn"), this->actor_));
  auto bad_name = s.CreateVersion(this->Version("no/slashes"), this->actor_);
  ASSERT_FALSE(bad_name);
  EXPECT_EQ(bad_name.error().code(), ErrorCode::kInvalidArgument);
  NewVersion with_bad_run = this->Version("churn");
  with_bad_run.run_id = std::string(32, 'e');
  EXPECT_EQ(s.CreateVersion(with_bad_run, this->actor_).error().code(), ErrorCode::kNotFound);
  NewVersion with_bad_parent = this->Version("churn");
  with_bad_parent.parent = 7;
  EXPECT_EQ(s.CreateVersion(with_bad_parent, this->actor_).error().code(), ErrorCode::kNotFound);

  auto model = s.GetModel("chrun");
  ASSERT_FALSE(model);
  EXPECT_EQ(model.error().code(), ErrorCode::kNotFound);
  EXPECT_THAT(model.error().message(), ::testing::HasSubstr("known: churn"));
  auto version = s.GetVersion("churn", 9);
  ASSERT_FALSE(version);
  EXPECT_EQ(version.error().code(), ErrorCode::kNotFound);
  EXPECT_THAT(version.error().message(), ::testing::HasSubstr("1..1"));
  ASSERT_TRUE(s.MoveAlias({"churn", "production", 1, std::nullopt, "promote", this->actor_}));
  auto alias = s.ResolveAlias("churn", "prod");
  ASSERT_FALSE(alias);
  EXPECT_EQ(alias.error().code(), ErrorCode::kNotFound);
  EXPECT_THAT(alias.error().message(), ::testing::HasSubstr("known: production"));
  auto to_missing = s.MoveAlias({"churn", "production", 5, std::nullopt, "promote", this->actor_});
  ASSERT_FALSE(to_missing);
  EXPECT_EQ(to_missing.error().code(), ErrorCode::kNotFound);
  // A failed change leaves no trace.
  EXPECT_EQ(s.ResolveAlias("churn", "production").value(), 1);
  EXPECT_EQ(s.ListVersions("churn", {}).value().size(), 1u);
  EXPECT_EQ(s.ListAudit({}).value().size(), 2u);
}

TYPED_TEST_P(MetaStoreConformance, AliasMovesAreHistoryAndCompareAndSwap) {
  MetaStore& s = *this->store_;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(s.CreateVersion(this->Version("churn"), this->actor_));
  ASSERT_TRUE(
      s.MoveAlias({"churn", "production", 1, std::optional<int64_t>(), "promote", this->actor_}));
  ASSERT_TRUE(s.MoveAlias({"churn", "production", 2, 1, "promote", this->actor_}));
  auto lost = s.MoveAlias({"churn", "production", 3, 1, "promote", this->actor_});
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code(), ErrorCode::kConflict);
  EXPECT_THAT(lost.error().message(), ::testing::HasSubstr("version 2"));
  EXPECT_EQ(s.ResolveAlias("churn", "production").value(), 2);
  auto create_only =
      s.MoveAlias({"churn", "production", 3, std::optional<int64_t>(), "promote", this->actor_});
  EXPECT_EQ(create_only.error().code(), ErrorCode::kConflict);
  ASSERT_TRUE(s.MoveAlias({"churn", "canary", 3, std::nullopt, "promote", this->actor_}));
  ASSERT_TRUE(s.MoveAlias({"churn", "production", 1, std::nullopt, "rollback", this->actor_}));
  auto removed = s.MoveAlias({"churn", "canary", std::nullopt, 3, "alias-delete", this->actor_});
  ASSERT_TRUE(removed) << removed.error().message();
  EXPECT_EQ(s.ResolveAlias("churn", "canary").error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(
      s.MoveAlias({"churn", "canary", std::nullopt, std::nullopt, "alias-delete", this->actor_})
          .error()
          .code(),
      ErrorCode::kNotFound);

  auto history = s.AliasHistory("churn", "production");
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ((*history)[0].from, std::nullopt);
  EXPECT_EQ((*history)[0].to, 1);
  EXPECT_EQ((*history)[1].from, 1);
  EXPECT_EQ((*history)[1].to, 2);
  EXPECT_EQ((*history)[2].action, "rollback");
  EXPECT_EQ((*history)[2].actor, this->Recorded("tester"));
  EXPECT_LT((*history)[1].id, (*history)[2].id);
  auto model = s.GetModel("churn");
  ASSERT_TRUE(model);
  EXPECT_EQ(model->aliases, (std::map<std::string, int64_t>{{"production", 1}}));
}

TYPED_TEST_P(MetaStoreConformance, AuditLogChainsEveryChange) {
  MetaStore& s = *this->store_;
  ASSERT_TRUE(s.CreateVersion(this->Version("churn"), this->actor_));
  ASSERT_TRUE(s.CreateVersion(this->Version("churn"), this->actor_));
  ASSERT_TRUE(s.MoveAlias({"churn", "production", 2, std::nullopt, "promote", {"ops"}}));
  auto records = s.ListAudit({});
  ASSERT_TRUE(records);
  ASSERT_EQ(records->size(), 3u);
  EXPECT_EQ((*records)[0].action, "register");
  EXPECT_EQ((*records)[0].subject, "churn/1");
  EXPECT_EQ((*records)[0].before, "null");
  EXPECT_THAT((*records)[0].after, ::testing::HasSubstr("\"version\":1"));
  EXPECT_EQ((*records)[2].action, "promote");
  EXPECT_EQ((*records)[2].actor, this->Recorded("ops"));
  EXPECT_EQ((*records)[2].subject, "churn@production");
  EXPECT_EQ((*records)[2].after, "{\"version\":2}");
  auto head = s.GetAuditHead();
  ASSERT_TRUE(head);
  ASSERT_TRUE(*head);
  EXPECT_EQ((*head)->seq, 3);
  EXPECT_EQ((*head)->hash, (*records)[2].hash);
  EXPECT_THAT(VerifyAuditChain(*records, *head), ::testing::IsEmpty());
  auto tail = s.ListAudit({.after_seq = 1, .limit = 1});
  ASSERT_TRUE(tail);
  ASSERT_EQ(tail->size(), 1u);
  EXPECT_EQ((*tail)[0].seq, 2);

  // Edits are caught by the verifier.
  std::vector<AuditRecord> edited = *records;
  edited[1].actor = "mallory";
  EXPECT_THAT(VerifyAuditChain(edited, *head),
              ::testing::ElementsAre(::testing::HasSubstr("audit record 2")));
}

TYPED_TEST_P(MetaStoreConformance, ReferencedDigestsCoverVersionsAndRunArtifacts) {
  MetaStore& s = *this->store_;
  auto run = s.CreateRun(this->Start());
  ASSERT_TRUE(run);
  ASSERT_TRUE(s.LogArtifact(*run, {"report.json", std::string(64, '7'), 10}));
  ASSERT_TRUE(s.CreateVersion(this->Version("churn", std::string(64, '8')), this->actor_));
  auto digests = s.ReferencedDigests();
  ASSERT_TRUE(digests);
  EXPECT_EQ(*digests,
            (std::set<std::string, std::less<>>{std::string(64, '7'), std::string(64, '8')}));
}

TYPED_TEST_P(MetaStoreConformance, StoreIdIsMadeOnceAndKept) {
  auto id = this->store_->StoreId();
  ASSERT_TRUE(id) << id.error().message();
  EXPECT_EQ(id->size(), 32u);
  auto again = this->Open()->StoreId();
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *id);
  // Processes asking a fresh store for the first time at once agree on one id: each records
  // the id it got as the command of a run.
  this->backend_.TearDown();
  this->backend_.SetUp();
  int asked = this->InChildren(4, [](MetaStore& store, int) {
    auto mine = store.StoreId();
    return mine && store.CreateRun(RunStart{.command = *mine, .host = "h", .user = "u"});
  });
  EXPECT_EQ(asked, 4);
  auto fresh = this->Open();
  ASSERT_NE(fresh, nullptr);
  auto first = fresh->StoreId();
  ASSERT_TRUE(first);
  EXPECT_NE(*first, *id);  // another store, another id
  auto runs = fresh->ListRuns({});
  ASSERT_TRUE(runs);
  ASSERT_EQ(runs->size(), 4u);
  for (const Run& run : *runs) EXPECT_EQ(run.start.command, *first);
}

REGISTER_TYPED_TEST_SUITE_P(MetaStoreConformance, RunKeepsEverythingItLogged,
                            UnknownOrMalformedRunIsAClearError,
                            ListRunsNewestFirstWithLatestMetrics, MetricBatchIsWholeAndKeepsOrder,
                            VersionsAreNumberedPerModelWithLineage, BadRegistryInputIsAClearError,
                            AliasMovesAreHistoryAndCompareAndSwap, AuditLogChainsEveryChange,
                            ReferencedDigestsCoverVersionsAndRunArtifacts,
                            StoreIdIsMadeOnceAndKept);

}  // namespace hone::store::testing

#endif  // HONE_STORE_TESTING_META_STORE_CONFORMANCE_H_
