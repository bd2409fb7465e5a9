// The conformance suite's part for many connections and processes at once: registrations
// without gaps, racing compare-and-swaps, writers killed mid-transaction, and alias moves seen by
// other connections. A backend's test file instantiates it beside MetaStoreConformance with the
// same Backend type:
//
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, MetaStoreConcurrencyConformance, MyBackend);
#ifndef HONE_STORE_TESTING_CONCURRENCY_CONFORMANCE_H_
#define HONE_STORE_TESTING_CONCURRENCY_CONFORMANCE_H_

#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "hone/store/testing/meta_store_conformance.h"

namespace hone::store::testing {

template <typename Backend>
class MetaStoreConcurrencyConformance : public MetaStoreConformance<Backend> {};

TYPED_TEST_SUITE_P(MetaStoreConcurrencyConformance);

TYPED_TEST_P(MetaStoreConcurrencyConformance, ConcurrentProcessesRegisterWithoutGapsOrDuplicates) {
  constexpr int kProcesses = 8;
  constexpr int kEach = 50;
  int ok = this->InChildren(kProcesses, [&](MetaStore& store, int child) {
    for (int i = 0; i < kEach; ++i) {
      NewVersion v;
      v.model = "churn";
      v.bundle_digest = std::string(64, 'a');
      v.description = std::to_string(child) + ":" + std::to_string(i);
      if (!store.CreateVersion(v, Actor{"child"})) return false;
    }
    return true;
  });
  EXPECT_EQ(ok, kProcesses);
  auto versions = this->store_->ListVersions("churn", {});
  ASSERT_TRUE(versions);
  ASSERT_EQ(versions->size(), size_t{kProcesses * kEach});
  std::set<std::string> descriptions;
  for (size_t i = 0; i < versions->size(); ++i) {
    EXPECT_EQ((*versions)[i].version, static_cast<int64_t>(i + 1));
    descriptions.insert((*versions)[i].description);
  }
  EXPECT_EQ(descriptions.size(), size_t{kProcesses * kEach});
  auto audit = this->store_->ListAudit({});
  ASSERT_TRUE(audit);
  EXPECT_EQ(audit->size(), size_t{kProcesses * kEach});
  EXPECT_THAT(VerifyAuditChain(*audit, this->store_->GetAuditHead().value()), ::testing::IsEmpty());
}

TYPED_TEST_P(MetaStoreConcurrencyConformance, OnlyOneOfRacingCompareAndSwapsWins) {
  MetaStore& s = *this->store_;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(s.CreateVersion(this->Version("churn"), this->actor_));
  ASSERT_TRUE(s.MoveAlias({"churn", "production", 1, std::nullopt, "promote", this->actor_}));
  int won = this->InChildren(4, [](MetaStore& store, int child) {
    return bool(
        store.MoveAlias({"churn", "production", child + 2, int64_t{1}, "promote", Actor{"racer"}}));
  });
  EXPECT_EQ(won, 1);
  auto history = s.AliasHistory("churn", "production");
  ASSERT_TRUE(history);
  EXPECT_EQ(history->size(), 2u);
}

// Writers killed with SIGKILL at random moments, over and over, in the middle of putting a
// bundle, registering it, moving an alias or logging metrics: afterwards every version is
// numbered 1..N, every version's bundle is whole, no blob is half-written, and the audit chain
// is intact up to its recorded head.
TYPED_TEST_P(MetaStoreConcurrencyConformance, SurvivesWritersKilledAtRandomMoments) {
  namespace fs = std::filesystem;
  const fs::path blobs =
      fs::temp_directory_path() / ("hone_crash_" + std::to_string(::getpid()) + "_" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::remove_all(blobs);
  auto artifacts = ArtifactStore::Open(blobs);
  ASSERT_TRUE(artifacts) << artifacts.error().message();
  std::mt19937 rng(20261130);
  constexpr int kRounds = 25;
  for (int round = 0; round < kRounds; ++round) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto store = this->backend_.Open();
      if (!store) _exit(3);
      auto run = (*store)->CreateRun(this->Start());
      if (!run) _exit(4);
      std::mt19937 bytes_rng(static_cast<unsigned>(round));
      std::vector<Metric> metrics(2000, Metric{"loss", 0.5, 0, 0});
      for (int i = 0;; ++i) {
        std::string bundle(200'000 + (bytes_rng() % 50'000), '\0');
        for (char& c : bundle) c = static_cast<char>(bytes_rng());
        auto digest = artifacts->Put(bundle);  // before the version that names it
        if (!digest) _exit(5);
        NewVersion v;
        v.model = "crash";
        v.bundle_digest = *digest;
        v.run_id = *run;
        auto version = (*store)->CreateVersion(v, Actor{"writer"});
        if (!version) _exit(6);
        if (i % 2 == 0 && !(*store)->MoveAlias({"crash", "production", version->version,
                                                std::nullopt, "promote", Actor{"writer"}})) {
          _exit(7);
        }
        if (!(*store)->LogMetrics(*run, metrics)) _exit(8);
      }
    }
    // The moment of death is what is random here; nothing waits for the child to reach a point.
    std::this_thread::sleep_for(std::chrono::milliseconds(5 + rng() % 120));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status))
        << "writer " << round << " stopped by itself with status " << WEXITSTATUS(status);
  }
  auto store = this->Open();
  ASSERT_NE(store, nullptr);
  auto versions = store->ListVersions("crash", {});
  ASSERT_TRUE(versions) << versions.error().message();
  ASSERT_FALSE(versions->empty()) << "no writer got as far as one version";
  std::cout << kRounds << " writers killed; " << versions->size() << " versions stored\n";
  for (size_t i = 0; i < versions->size(); ++i) {
    const ModelVersion& v = (*versions)[i];
    EXPECT_EQ(v.version, static_cast<int64_t>(i + 1));
    auto bundle = artifacts->Get(v.bundle_digest);
    EXPECT_TRUE(bundle) << "crash/" << v.version << ": " << bundle.error().message();
  }
  auto damaged = artifacts->Verify();
  ASSERT_TRUE(damaged);
  EXPECT_THAT(*damaged, ::testing::IsEmpty()) << "a half-written blob is visible";
  auto audit = store->ListAudit({});
  ASSERT_TRUE(audit);
  auto head = store->GetAuditHead();
  ASSERT_TRUE(head);
  EXPECT_THAT(VerifyAuditChain(*audit, *head), ::testing::IsEmpty());
  auto model = store->GetModel("crash");
  ASSERT_TRUE(model);
  EXPECT_EQ(model->latest_version, static_cast<int64_t>(versions->size()));
  // The store goes on working: the next version is N+1.
  auto next =
      store->CreateVersion(this->Version("crash", (*versions)[0].bundle_digest), this->actor_);
  ASSERT_TRUE(next) << next.error().message();
  EXPECT_EQ(next->version, static_cast<int64_t>(versions->size() + 1));
  fs::remove_all(blobs);
}

TYPED_TEST_P(MetaStoreConcurrencyConformance, AliasChangeCounterGrowsWithEveryMove) {
  MetaStore& s = *this->store_;
  EXPECT_EQ(s.AliasChangeCounter().value(), 0);
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(s.CreateVersion(this->Version("churn"), this->actor_));
  EXPECT_EQ(s.AliasChangeCounter().value(), 0);  // registering moves no alias
  auto first = s.MoveAlias({"churn", "production", 1, std::nullopt, "promote", this->actor_});
  ASSERT_TRUE(first) << first.error().message();
  auto counter = s.AliasChangeCounter();
  ASSERT_TRUE(counter) << counter.error().message();
  EXPECT_EQ(*counter, first->id);
  EXPECT_GT(*counter, 0);
  // A lost compare-and-swap moves nothing.
  ASSERT_FALSE(s.MoveAlias({"churn", "production", 2, 2, "promote", this->actor_}));
  EXPECT_EQ(s.AliasChangeCounter().value(), *counter);
  ASSERT_TRUE(s.MoveAlias({"churn", "production", 2, 1, "promote", this->actor_}));
  const int64_t after_promote = s.AliasChangeCounter().value();
  EXPECT_GT(after_promote, *counter);
  ASSERT_TRUE(s.MoveAlias(
      {"churn", "production", std::nullopt, std::nullopt, "alias-delete", this->actor_}));
  const int64_t after_delete = s.AliasChangeCounter().value();
  EXPECT_GT(after_delete, after_promote);
  // Every connection to the store reads the same counter.
  auto other = this->Open();
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->AliasChangeCounter().value(), after_delete);
}

TYPED_TEST_P(MetaStoreConcurrencyConformance, WaitForAliasChangeSeesAMoveByAnotherConnection) {
  using namespace std::chrono_literals;
  using Clock = std::chrono::steady_clock;
  MetaStore& s = *this->store_;
  ASSERT_TRUE(s.CreateVersion(this->Version("churn"), this->actor_));
  auto before = s.AliasChangeCounter();
  ASSERT_TRUE(before) << before.error().message();
  if constexpr (!NotifiesAliasMoves<TypeParam>()) {
    // Polling backends: the wait is a pause of the length asked for, and says nothing.
    const Clock::time_point start = Clock::now();
    auto woken = s.WaitForAliasChange(50ms);
    ASSERT_TRUE(woken) << woken.error().message();
    EXPECT_FALSE(*woken);
    EXPECT_GE(Clock::now() - start, 50ms);
    return;
  } else {
    // Nothing moved: the wait runs out.
    auto idle = s.WaitForAliasChange(50ms);
    ASSERT_TRUE(idle) << idle.error().message();
    EXPECT_FALSE(*idle);
    // Another connection moves the alias while this one waits (or just before: the LISTEN was
    // issued by AliasChangeCounter, so the notification waits in the queue either way).
    auto other = this->Open();
    ASSERT_NE(other, nullptr);
    std::thread mover([&] {
      auto moved = other->MoveAlias({"churn", "production", 1, std::nullopt, "promote", {"b"}});
      EXPECT_TRUE(moved) << moved.error().message();
    });
    constexpr auto kTimeout = 20s;
    const Clock::time_point start = Clock::now();
    auto woken = s.WaitForAliasChange(kTimeout);
    const Clock::duration waited = Clock::now() - start;
    mover.join();
    ASSERT_TRUE(woken) << woken.error().message();
    EXPECT_TRUE(*woken);
    EXPECT_LT(waited, kTimeout);
    EXPECT_GT(s.AliasChangeCounter().value(), *before);
    // A move that fails notifies nobody: its transaction rolls back.
    ASSERT_FALSE(other->MoveAlias({"churn", "production", 1, 7, "promote", {"b"}}));
    auto after_failure = s.WaitForAliasChange(50ms);
    ASSERT_TRUE(after_failure) << after_failure.error().message();
    EXPECT_FALSE(*after_failure);
  }
}

REGISTER_TYPED_TEST_SUITE_P(MetaStoreConcurrencyConformance,
                            ConcurrentProcessesRegisterWithoutGapsOrDuplicates,
                            OnlyOneOfRacingCompareAndSwapsWins,
                            SurvivesWritersKilledAtRandomMoments,
                            AliasChangeCounterGrowsWithEveryMove,
                            WaitForAliasChangeSeesAMoveByAnotherConnection);

}  // namespace hone::store::testing

#endif  // HONE_STORE_TESTING_CONCURRENCY_CONFORMANCE_H_
