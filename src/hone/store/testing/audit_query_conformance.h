// The conformance suite's part for reading the audit log a page at a time: bounds on both sides,
// newest first, and SearchAudit's terms, chunks and cursor over any backend. A backend's test
// file instantiates it beside MetaStoreConformance with the same Backend type:
//
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, AuditQueryConformance, MyBackend);
#ifndef HONE_STORE_TESTING_AUDIT_QUERY_CONFORMANCE_H_
#define HONE_STORE_TESTING_AUDIT_QUERY_CONFORMANCE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "hone/store/audit.h"
#include "hone/store/testing/meta_store_conformance.h"

namespace hone::store::testing {

template <typename Backend>
class AuditQueryConformance : public MetaStoreConformance<Backend> {
 protected:
  /// Nine records: churn/1..3 and houses/1..3 registered, then churn's production alias moved
  /// to 1, 2 and back to 1 by "ops" (seq 7 promote, 8 promote, 9 rollback).
  void Fill() {
    MetaStore& s = *this->store_;
    for (const char* model : {"churn", "houses"}) {
      for (int i = 0; i < 3; ++i) ASSERT_TRUE(s.CreateVersion(this->Version(model), {"ci"}));
    }
    ASSERT_TRUE(s.MoveAlias({"churn", "production", 1, std::nullopt, "promote", {"ops"}}));
    ASSERT_TRUE(s.MoveAlias({"churn", "production", 2, std::nullopt, "promote", {"ops"}}));
    ASSERT_TRUE(s.MoveAlias({"churn", "production", 1, std::nullopt, "rollback", {"ops"}}));
  }

  static std::vector<int64_t> Seqs(const std::vector<AuditRecord>& records) {
    std::vector<int64_t> seqs;
    for (const AuditRecord& r : records) seqs.push_back(r.seq);
    return seqs;
  }
};

TYPED_TEST_SUITE_P(AuditQueryConformance);

TYPED_TEST_P(AuditQueryConformance, PagesOldestOrNewestFirstBetweenBounds) {
  this->Fill();
  MetaStore& s = *this->store_;
  using Seqs = std::vector<int64_t>;
  auto newest = s.ListAudit({.limit = 3, .newest_first = true});
  ASSERT_TRUE(newest) << newest.error().message();
  EXPECT_EQ(this->Seqs(*newest), (Seqs{9, 8, 7}));
  auto older = s.ListAudit({.limit = 3, .before_seq = 7, .newest_first = true});
  ASSERT_TRUE(older) << older.error().message();
  EXPECT_EQ(this->Seqs(*older), (Seqs{6, 5, 4}));
  auto between = s.ListAudit({.after_seq = 2, .before_seq = 6});
  ASSERT_TRUE(between) << between.error().message();
  EXPECT_EQ(this->Seqs(*between), (Seqs{3, 4, 5}));
  auto between_newest = s.ListAudit({.after_seq = 2, .before_seq = 6, .newest_first = true});
  ASSERT_TRUE(between_newest);
  EXPECT_EQ(this->Seqs(*between_newest), (Seqs{5, 4, 3}));
  auto none = s.ListAudit({.before_seq = 1, .newest_first = true});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  // The unbounded default is unchanged: everything, oldest first.
  auto all = s.ListAudit({});
  ASSERT_TRUE(all);
  EXPECT_EQ(this->Seqs(*all), (Seqs{1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TYPED_TEST_P(AuditQueryConformance, SearchFindsEveryTermAPageAtATime) {
  this->Fill();
  MetaStore& s = *this->store_;
  using Seqs = std::vector<int64_t>;
  // Every term in action, actor or subject, ignoring case; read two records at a time.
  const AuditSearch churn_promotes = AuditSearch::Parse("  PROMOTE\tchurn ");
  ASSERT_EQ(churn_promotes.terms, (std::vector<std::string>{"promote", "churn"}));
  auto page = SearchAudit(s, {.newest_first = true}, churn_promotes, 100, 2);
  ASSERT_TRUE(page) << page.error().message();
  EXPECT_EQ(this->Seqs(page->records), (Seqs{8, 7}));
  EXPECT_EQ(page->next_seq, std::nullopt);  // read to the start of the log
  EXPECT_EQ(page->scanned, 9u);

  // A limit ends the page at the record that filled it; the cursor goes on from there.
  const AuditSearch houses = AuditSearch::Parse("houses");
  page = SearchAudit(s, {.limit = 2}, houses, 100, 2);
  ASSERT_TRUE(page);
  EXPECT_EQ(this->Seqs(page->records), (Seqs{4, 5}));
  ASSERT_EQ(page->next_seq, 5);
  page = SearchAudit(s, {.after_seq = *page->next_seq, .limit = 2}, houses, 100, 2);
  ASSERT_TRUE(page);
  EXPECT_EQ(this->Seqs(page->records), (Seqs{6}));
  EXPECT_EQ(page->next_seq, std::nullopt);

  // At most max_scanned records are read: the page says where it stopped. The actor counts.
  const AuditSearch ops_rollbacks = AuditSearch::Parse(this->Recorded("ops") + " rollback");
  page = SearchAudit(s, {.newest_first = true}, ops_rollbacks, 4, 3);
  ASSERT_TRUE(page);
  EXPECT_EQ(this->Seqs(page->records), (Seqs{9}));
  EXPECT_EQ(page->scanned, 4u);
  ASSERT_EQ(page->next_seq, 6);
  page = SearchAudit(s, {.before_seq = 6, .newest_first = true}, ops_rollbacks, 100);
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->records.empty());
  EXPECT_EQ(page->next_seq, std::nullopt);

  // No terms: one read, the cursor set when the limit was reached.
  page = SearchAudit(s, {.limit = 4, .newest_first = true}, AuditSearch::Parse(" "), 1);
  ASSERT_TRUE(page);
  EXPECT_EQ(this->Seqs(page->records), (Seqs{9, 8, 7, 6}));
  EXPECT_EQ(page->next_seq, 6);
}

REGISTER_TYPED_TEST_SUITE_P(AuditQueryConformance, PagesOldestOrNewestFirstBetweenBounds,
                            SearchFindsEveryTermAPageAtATime);

}  // namespace hone::store::testing

#endif  // HONE_STORE_TESTING_AUDIT_QUERY_CONFORMANCE_H_
