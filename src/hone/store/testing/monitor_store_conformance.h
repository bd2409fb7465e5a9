// The conformance suite's part for what the monitoring loop needs of a MetaStore: alias
// weights, audit records of its own, and leases. Windows and predictions are in
// monitor_log_conformance.h. A backend's test file instantiates it beside MetaStoreConformance
// with the same Backend type:
//
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, MonitorStoreConformance, MyBackend);
#ifndef HONE_STORE_TESTING_MONITOR_STORE_CONFORMANCE_H_
#define HONE_STORE_TESTING_MONITOR_STORE_CONFORMANCE_H_

#include <array>
#include <chrono>
#include <cmath>
#include <latch>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "hone/store/testing/meta_store_conformance.h"

namespace hone::store::testing {

template <typename Backend>
class MonitorStoreConformance : public MetaStoreConformance<Backend> {
 protected:
  AliasChange Move(std::string alias, std::optional<int64_t> to, std::optional<double> weight,
                   std::string action = "promote") {
    return AliasChange{.model = "churn",
                       .alias = std::move(alias),
                       .to = to,
                       .action = std::move(action),
                       .actor = this->actor_,
                       .weight = weight};
  }

  /// `threads` threads, each with a store of its own, try to take lease `name` at once (as
  /// holder "holder-<i>"); returns the holder each one saw.
  std::vector<std::string> RaceForLease(int threads, const std::string& name) {
    std::vector<std::string> seen(static_cast<size_t>(threads));
    std::latch opened(threads);
    std::vector<std::thread> racers;
    for (int i = 0; i < threads; ++i) {
      racers.emplace_back([&, i] {
        auto store = this->backend_.Open();
        opened.arrive_and_wait();  // every connection is open: they start together
        if (!store) {
          seen[static_cast<size_t>(i)] = "open failed: " + store.error().message();
          return;
        }
        auto lease =
            (*store)->AcquireLease(name, "holder-" + std::to_string(i), std::chrono::seconds(30));
        seen[static_cast<size_t>(i)] = lease ? lease->holder : "error: " + lease.error().message();
      });
    }
    for (std::thread& t : racers) t.join();
    return seen;
  }
};

TYPED_TEST_SUITE_P(MonitorStoreConformance);

TYPED_TEST_P(MonitorStoreConformance, AliasWeightsAreKeptClearedAndAudited) {
  MetaStore& s = *this->store_;
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(s.CreateVersion(this->Version("churn"), this->actor_));
  ASSERT_TRUE(s.MoveAlias(this->Move("production", 1, std::nullopt)));
  auto canary = s.MoveAlias(this->Move("canary", 2, 0.1, "canary"));
  ASSERT_TRUE(canary) << canary.error().message();
  EXPECT_EQ(canary->weight, 0.1);
  auto model = s.GetModel("churn");
  ASSERT_TRUE(model) << model.error().message();
  EXPECT_EQ(model->aliases, (std::map<std::string, int64_t>{{"canary", 2}, {"production", 1}}));
  EXPECT_EQ(model->alias_weights, (std::map<std::string, double>{{"canary", 0.1}}));
  auto models = s.ListModels();
  ASSERT_TRUE(models);
  ASSERT_EQ(models->size(), 1u);
  EXPECT_EQ((*models)[0].alias_weights, (std::map<std::string, double>{{"canary", 0.1}}));

  // The same version with another weight is a move of its own: servers notice it.
  const int64_t before_reweight = s.AliasChangeCounter().value();
  auto reweighted = s.MoveAlias(this->Move("canary", 2, 0.25, "canary-weight"));
  ASSERT_TRUE(reweighted) << reweighted.error().message();
  EXPECT_GT(s.AliasChangeCounter().value(), before_reweight);
  EXPECT_EQ(s.GetModel("churn").value().alias_weights.at("canary"), 0.25);

  // A move without a weight clears it.
  ASSERT_TRUE(s.MoveAlias(this->Move("canary", 1, std::nullopt)));
  EXPECT_THAT(s.GetModel("churn").value().alias_weights, ::testing::IsEmpty());
  // The bounds are weights too.
  ASSERT_TRUE(s.MoveAlias(this->Move("canary", 2, 1.0)));
  ASSERT_TRUE(s.MoveAlias(this->Move("shadow", 2, 0.0)));
  EXPECT_EQ(s.GetModel("churn").value().alias_weights,
            (std::map<std::string, double>{{"canary", 1.0}, {"shadow", 0.0}}));

  auto history = s.AliasHistory("churn", "canary");
  ASSERT_TRUE(history) << history.error().message();
  ASSERT_EQ(history->size(), 4u);
  EXPECT_EQ((*history)[0].weight, 0.1);
  EXPECT_EQ((*history)[1].weight, 0.25);
  EXPECT_EQ((*history)[1].from, 2);
  EXPECT_EQ((*history)[1].to, 2);
  EXPECT_EQ((*history)[2].weight, std::nullopt);
  EXPECT_EQ((*history)[3].weight, 1.0);
  EXPECT_EQ(s.AliasHistory("churn", "production").value()[0].weight, std::nullopt);

  auto audit = s.ListAudit({});
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->size(), 8u);                     // 2 registrations, 6 moves
  EXPECT_EQ((*audit)[2].after, "{\"version\":1}");  // production: no weight, as before
  EXPECT_EQ((*audit)[3].after, "{\"version\":2,\"weight\":0.1}");
  EXPECT_EQ((*audit)[4].before, "{\"version\":2,\"weight\":0.1}");
  EXPECT_EQ((*audit)[4].after, "{\"version\":2,\"weight\":0.25}");
  EXPECT_EQ((*audit)[5].after, "{\"version\":1}");
  EXPECT_THAT(VerifyAuditChain(*audit, s.GetAuditHead().value()), ::testing::IsEmpty());

  // Another connection reads the same.
  auto other = this->Open();
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->GetModel("churn").value().alias_weights.at("canary"), 1.0);
}

TYPED_TEST_P(MonitorStoreConformance, BadAliasWeightIsRefusedAndChangesNothing) {
  MetaStore& s = *this->store_;
  ASSERT_TRUE(s.CreateVersion(this->Version("churn"), this->actor_));
  ASSERT_TRUE(s.MoveAlias(this->Move("canary", 1, 0.5)));
  const int64_t counter = s.AliasChangeCounter().value();
  const size_t records = s.ListAudit({}).value().size();
  for (double bad : {-0.25, 1.5, std::nan(""), std::numeric_limits<double>::infinity()}) {
    auto moved = s.MoveAlias(this->Move("canary", 1, bad));
    ASSERT_FALSE(moved) << bad;
    EXPECT_EQ(moved.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(moved.error().message(), ::testing::HasSubstr("churn@canary"));
    if (bad == 1.5) {
      EXPECT_THAT(moved.error().message(), ::testing::HasSubstr("weight 1.5"));
    }
  }
  auto removal = s.MoveAlias(this->Move("canary", std::nullopt, 0.5, "alias-delete"));
  ASSERT_FALSE(removal);
  EXPECT_EQ(removal.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.AliasChangeCounter().value(), counter);
  EXPECT_EQ(s.ListAudit({}).value().size(), records);
  EXPECT_EQ(s.GetModel("churn").value().alias_weights.at("canary"), 0.5);
  // Removing the alias takes its weight with it.
  ASSERT_TRUE(s.MoveAlias(this->Move("canary", std::nullopt, std::nullopt, "alias-delete")));
  EXPECT_THAT(s.GetModel("churn").value().alias_weights, ::testing::IsEmpty());
  ASSERT_TRUE(s.MoveAlias(this->Move("canary", 1, std::nullopt)));
  EXPECT_THAT(s.GetModel("churn").value().alias_weights, ::testing::IsEmpty());
}

TYPED_TEST_P(MonitorStoreConformance, AppendedAuditRecordsJoinTheChain) {
  MetaStore& s = *this->store_;
  // The first record of a log may be one of the caller's own.
  auto first =
      s.AppendAudit("watch-start", "churn", "null", R"({"lease":"watch-churn"})", Actor{"watch"});
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(first->seq, 1);
  EXPECT_EQ(first->prev_hash, kAuditGenesis);
  ASSERT_TRUE(s.CreateVersion(this->Version("churn"), this->actor_));
  const std::string evidence =
      R"({"action": "rollback", "evidence": {"psi": 0.31, "error_rate": [0.01, 0.2]}})";
  auto decision =
      s.AppendAudit("watch-decision", "churn@canary", R"({"version":1})", evidence, {"watch"});
  ASSERT_TRUE(decision) << decision.error().message();
  EXPECT_EQ(decision->seq, 3);
  EXPECT_EQ(decision->action, "watch-decision");
  EXPECT_EQ(decision->subject, "churn@canary");
  EXPECT_EQ(decision->actor, this->Recorded("watch"));
  EXPECT_EQ(decision->after, evidence);  // verbatim
  EXPECT_EQ(decision->hash, AuditHash(*decision));
  EXPECT_GT(decision->ts_ms, 0);
  ASSERT_TRUE(s.MoveAlias(this->Move("production", 1, std::nullopt)));

  auto records = s.ListAudit({});
  ASSERT_TRUE(records);
  ASSERT_EQ(records->size(), 4u);
  EXPECT_EQ((*records)[2].hash, decision->hash);
  EXPECT_EQ((*records)[2].prev_hash, (*records)[1].hash);
  EXPECT_EQ((*records)[3].prev_hash, decision->hash);
  EXPECT_EQ((*records)[2].after, evidence);
  auto head = s.GetAuditHead();
  ASSERT_TRUE(head);
  EXPECT_THAT(VerifyAuditChain(*records, *head), ::testing::IsEmpty());

  // Bad input is refused and leaves no record.
  for (auto [action, subject, before, after] :
       std::vector<std::array<std::string, 4>>{{"watch-decision", "churn", "{oops", "null"},
                                               {"watch-decision", "churn", "null", ""},
                                               {"", "churn", "null", "null"},
                                               {"watch-decision", "", "null", "null"},
                                               {"line\nbreak", "churn", "null", "null"}}) {
    auto refused = s.AppendAudit(action, subject, before, after, {"watch"});
    ASSERT_FALSE(refused) << action << " " << subject << " " << before << " " << after;
    EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidArgument);
  }
  auto refused = s.AppendAudit("watch-decision", "churn", "{oops", "null", {"watch"});
  EXPECT_THAT(refused.error().message(), ::testing::HasSubstr("{oops"));
  EXPECT_EQ(s.ListAudit({}).value().size(), 4u);
  EXPECT_THAT(VerifyAuditChain(s.ListAudit({}).value(), s.GetAuditHead().value()),
              ::testing::IsEmpty());
}

TYPED_TEST_P(MonitorStoreConformance, LeaseIsHeldRenewedAndReleased) {
  using namespace std::chrono_literals;
  MetaStore& s = *this->store_;
  auto other = this->Open();
  ASSERT_NE(other, nullptr);
  const TimeMs before = NowMs();
  auto a = s.AcquireLease("watch-churn", "host-a:1", 60s);
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->name, "watch-churn");
  EXPECT_EQ(a->holder, "host-a:1");
  EXPECT_GE(a->expires_ms, before + 60'000);
  EXPECT_LE(a->expires_ms, NowMs() + 60'000);

  // Held by another: the answer names the holder and changes nothing.
  auto b = other->AcquireLease("watch-churn", "host-b:2", 60s);
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_EQ(b->holder, "host-a:1");
  EXPECT_EQ(b->expires_ms, a->expires_ms);
  // Other names are other leases.
  auto fraud = other->AcquireLease("watch-fraud", "host-b:2", 60s);
  ASSERT_TRUE(fraud);
  EXPECT_EQ(fraud->holder, "host-b:2");

  // Renewal by the holder moves the expiry.
  auto renewed = s.AcquireLease("watch-churn", "host-a:1", 120s);
  ASSERT_TRUE(renewed);
  EXPECT_EQ(renewed->holder, "host-a:1");
  EXPECT_GT(renewed->expires_ms, a->expires_ms);

  // Releasing a lease one does not hold is no error and changes nothing.
  ASSERT_TRUE(other->ReleaseLease("watch-churn", "host-b:2"));
  ASSERT_TRUE(other->ReleaseLease("never-taken", "host-b:2"));
  EXPECT_EQ(other->AcquireLease("watch-churn", "host-b:2", 60s).value().holder, "host-a:1");
  // Released by its holder, it is free at once.
  ASSERT_TRUE(s.ReleaseLease("watch-churn", "host-a:1"));
  auto taken = other->AcquireLease("watch-churn", "host-b:2", 60s);
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->holder, "host-b:2");
  EXPECT_EQ(s.AcquireLease("watch-churn", "host-a:1", 60s).value().holder, "host-b:2");

  for (auto [name, holder, ttl] : std::vector<std::tuple<std::string, std::string, int>>{
           {"", "h", 1000}, {"n", "", 1000}, {"n", "h", 0}, {"n", "h", -5}, {"a\tb", "h", 1}}) {
    auto bad = s.AcquireLease(name, holder, std::chrono::milliseconds(ttl));
    ASSERT_FALSE(bad) << name << "/" << holder << "/" << ttl;
    EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  }
}

TYPED_TEST_P(MonitorStoreConformance, ExpiredLeaseGoesToTheNextTaker) {
  using namespace std::chrono_literals;
  MetaStore& s = *this->store_;
  auto other = this->Open();
  ASSERT_NE(other, nullptr);
  auto a = s.AcquireLease("watch-churn", "host-a:1", 50ms);
  ASSERT_TRUE(a) << a.error().message();
  ASSERT_EQ(a->holder, "host-a:1");
  // Poll: the other holder gets it once (and only once) it has expired.
  constexpr auto kTtl = 60s;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  std::optional<Lease> got;
  while (std::chrono::steady_clock::now() < deadline) {
    auto b = other->AcquireLease("watch-churn", "host-b:2", kTtl);
    ASSERT_TRUE(b) << b.error().message();
    if (b->holder == "host-b:2") {
      got = *b;
      break;
    }
    EXPECT_EQ(b->holder, "host-a:1");
    EXPECT_EQ(b->expires_ms, a->expires_ms);
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_TRUE(got) << "the lease did not expire";
  // Taken at got->expires_ms - kTtl, which is no earlier than the first lease expired.
  EXPECT_GE(got->expires_ms - std::chrono::milliseconds(kTtl).count(), a->expires_ms);
  // The first holder has lost it.
  EXPECT_EQ(s.AcquireLease("watch-churn", "host-a:1", 50ms).value().holder, "host-b:2");
}

TYPED_TEST_P(MonitorStoreConformance, RacingTakersGetExactlyOneHolder) {
  using namespace std::chrono_literals;
  constexpr int kThreads = 8;
  for (int round = 0; round < 3; ++round) {
    const std::string name = "race-" + std::to_string(round);
    if (round == 2) {
      // A lease that has expired: the race is over taking it from its old holder.
      auto old = this->store_->AcquireLease(name, "old-holder", 1ms);
      ASSERT_TRUE(old) << old.error().message();
      while (NowMs() <= old->expires_ms) std::this_thread::sleep_for(1ms);
    }
    std::vector<std::string> seen = this->RaceForLease(kThreads, name);
    int winners = 0;
    for (int i = 0; i < kThreads; ++i) {
      winners += seen[static_cast<size_t>(i)] == "holder-" + std::to_string(i);
      // Everyone agrees on who holds it.
      EXPECT_EQ(seen[static_cast<size_t>(i)], seen[0]) << "round " << round << " thread " << i;
    }
    EXPECT_EQ(winners, 1) << "round " << round;
  }
}

REGISTER_TYPED_TEST_SUITE_P(MonitorStoreConformance, AliasWeightsAreKeptClearedAndAudited,
                            BadAliasWeightIsRefusedAndChangesNothing,
                            AppendedAuditRecordsJoinTheChain, LeaseIsHeldRenewedAndReleased,
                            ExpiredLeaseGoesToTheNextTaker, RacingTakersGetExactlyOneHolder);

}  // namespace hone::store::testing

#endif  // HONE_STORE_TESTING_MONITOR_STORE_CONFORMANCE_H_
