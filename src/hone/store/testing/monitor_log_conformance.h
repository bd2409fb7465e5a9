// The conformance suite's part for the monitoring log a MetaStore keeps: the windows servers
// flush, and the bounded log of predictions with the labels that arrive later. A backend's
// test file instantiates it beside MetaStoreConformance with the same Backend type:
//
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, MonitorLogConformance, MyBackend);
#ifndef HONE_STORE_TESTING_MONITOR_LOG_CONFORMANCE_H_
#define HONE_STORE_TESTING_MONITOR_LOG_CONFORMANCE_H_

#include <chrono>
#include <cstdint>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include "hone/store/testing/meta_store_conformance.h"

namespace hone::store::testing {

template <typename Backend>
class MonitorLogConformance : public MetaStoreConformance<Backend> {
 protected:
  static MonitorWindow Window(std::string model, int64_t version, TimeMs start, TimeMs end,
                              uint64_t requests = 10) {
    return MonitorWindow{.model = std::move(model),
                         .version = version,
                         .start_ms = start,
                         .end_ms = end,
                         .server = "host-a:42",
                         .requests = requests,
                         .errors = 1,
                         .rows = requests * 3,
                         .summary = R"({"latency_ms": {"p50": 1.5, "p99": 9}, "n": )" +
                                    std::to_string(requests) + "}"};
  }

  static PredictionRecord Prediction(std::string id, int64_t version, TimeMs ts,
                                     std::string model = "churn") {
    return PredictionRecord{.request_id = std::move(id),
                            .model = std::move(model),
                            .version = version,
                            .ts_ms = ts,
                            .inputs = R"({"age": 41, "plan": "pro"})",
                            .output = std::to_string(version) + ".5"};
  }

  /// The request ids of the labelled predictions `query` selects, in the order returned.
  std::vector<std::string> LabelledIds(const WindowQuery& query) {
    auto labelled = this->store_->ListLabelledPredictions(query);
    EXPECT_TRUE(labelled) << labelled.error().message();
    std::vector<std::string> ids;
    if (labelled) {
      for (const LabelledPrediction& p : *labelled) ids.push_back(p.prediction.request_id);
    }
    return ids;
  }

  std::pair<uint64_t, uint64_t> Counts(const WindowQuery& query) {
    auto counts = this->store_->CountPredictions(query);
    EXPECT_TRUE(counts) << counts.error().message();
    return counts ? *counts : std::pair<uint64_t, uint64_t>{};
  }

  /// The `end_ms` of the windows `query` selects, in the order returned.
  std::vector<TimeMs> WindowEnds(const WindowQuery& query) {
    auto windows = this->store_->ListMonitorWindows(query);
    EXPECT_TRUE(windows) << windows.error().message();
    std::vector<TimeMs> ends;
    if (windows) {
      for (const MonitorWindow& w : *windows) ends.push_back(w.end_ms);
    }
    return ends;
  }
};

TYPED_TEST_SUITE_P(MonitorLogConformance);

TYPED_TEST_P(MonitorLogConformance, WindowsComeBackByTimeVersionAndLimit) {
  MetaStore& s = *this->store_;
  std::vector<MonitorWindow> first = {this->Window("churn", 1, 0, 10),
                                      this->Window("churn", 2, 5, 15),
                                      this->Window("fraud", 1, 0, 10)};
  ASSERT_TRUE(s.AppendMonitorWindows(first));
  std::vector<MonitorWindow> second = {this->Window("churn", 1, 20, 30, 7),
                                       this->Window("churn", 1, 10, 20)};
  ASSERT_TRUE(s.AppendMonitorWindows(second));
  ASSERT_TRUE(s.AppendMonitorWindows({}));

  auto all = s.ListMonitorWindows({.model = "churn"});
  ASSERT_TRUE(all) << all.error().message();
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ(this->WindowEnds({.model = "churn"}), (std::vector<TimeMs>{10, 15, 20, 30}));
  const MonitorWindow& last = (*all)[3];
  EXPECT_EQ(last.model, "churn");
  EXPECT_EQ(last.version, 1);
  EXPECT_EQ(last.start_ms, 20);
  EXPECT_EQ(last.server, "host-a:42");
  EXPECT_EQ(last.requests, 7u);
  EXPECT_EQ(last.errors, 1u);
  EXPECT_EQ(last.rows, 21u);
  EXPECT_EQ(last.summary, second[0].summary);  // verbatim, spaces and all

  EXPECT_EQ(this->WindowEnds({.model = "churn", .version = 2}), (std::vector<TimeMs>{15}));
  EXPECT_EQ(this->WindowEnds({.model = "churn", .version = 1}), (std::vector<TimeMs>{10, 20, 30}));
  // Overlapping [since, until]: a window touching an end counts.
  EXPECT_EQ(this->WindowEnds({.model = "churn", .since_ms = 15, .until_ms = 19}),
            (std::vector<TimeMs>{15, 20}));
  EXPECT_EQ(this->WindowEnds({.model = "churn", .since_ms = 30, .until_ms = 30}),
            (std::vector<TimeMs>{30}));
  EXPECT_EQ(this->WindowEnds({.model = "churn", .since_ms = 16}), (std::vector<TimeMs>{20, 30}));
  EXPECT_EQ(this->WindowEnds({.model = "churn", .until_ms = 4}), (std::vector<TimeMs>{10}));
  // The newest `limit`, oldest first.
  EXPECT_EQ(this->WindowEnds({.model = "churn", .limit = 2}), (std::vector<TimeMs>{20, 30}));
  EXPECT_EQ(
      this->WindowEnds({.model = "churn", .version = 1, .since_ms = 0, .until_ms = 15, .limit = 1}),
      (std::vector<TimeMs>{20}));
  EXPECT_EQ(this->WindowEnds({.model = "fraud"}), (std::vector<TimeMs>{10}));
  EXPECT_THAT(this->WindowEnds({.model = "unknown"}), ::testing::IsEmpty());
  // Another connection sees them.
  auto other = this->Open();
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->ListMonitorWindows({.model = "churn"}).value().size(), 4u);

  // Counts up to INT64_MAX are kept.
  MonitorWindow big = this->Window("big", 1, 0, 1);
  big.requests = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  ASSERT_TRUE(s.AppendMonitorWindows(std::vector<MonitorWindow>{big}));
  EXPECT_EQ(s.ListMonitorWindows({.model = "big"}).value().at(0).requests, big.requests);
}

TYPED_TEST_P(MonitorLogConformance, PruningDeletesTheModelsWindowsThatEndedBefore) {
  ASSERT_TRUE(this->store_->AppendMonitorWindows(std::vector<MonitorWindow>{
      this->Window("churn", 1, 0, 100), this->Window("churn", 2, 50, 199),
      this->Window("churn", 1, 150, 200), this->Window("other", 1, 0, 100)}));
  auto pruned = this->store_->PruneMonitorWindows("churn", 200);
  ASSERT_TRUE(pruned) << pruned.error().message();
  EXPECT_EQ(*pruned, 2u);
  auto left = this->store_->ListMonitorWindows({.model = "churn"});
  ASSERT_TRUE(left) << left.error().message();
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ(left->front().end_ms, 200);  // ending at the limit is kept
  // Other models keep theirs; nothing more to prune is not an error.
  auto other = this->store_->ListMonitorWindows({.model = "other"});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->size(), 1u);
  auto again = this->store_->PruneMonitorWindows("churn", 200);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(*again, 0u);
  auto bad = this->store_->PruneMonitorWindows("no/such", 200);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
}

TYPED_TEST_P(MonitorLogConformance, BadWindowsAreRefusedWholeNamingTheWindow) {
  MetaStore& s = *this->store_;
  auto refused = [&](MonitorWindow bad, const std::string& says) {
    std::vector<MonitorWindow> batch = {this->Window("churn", 1, 0, 10), bad};
    auto appended = s.AppendMonitorWindows(batch);
    ASSERT_FALSE(appended) << says;
    EXPECT_EQ(appended.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(appended.error().message(), ::testing::HasSubstr("monitor window 1"));
    EXPECT_THAT(appended.error().message(), ::testing::HasSubstr(says));
  };
  MonitorWindow w = this->Window("churn", 1, 0, 10);
  w.summary = "{\"p50\": ";
  refused(w, "summary");
  w = this->Window("no/slash", 1, 0, 10);
  refused(w, "no/slash");
  w = this->Window("churn", 0, 0, 10);
  refused(w, "version 0");
  w = this->Window("churn", 1, 10, 5);
  refused(w, "before it starts");
  w = this->Window("churn", 1, 0, 10);
  w.server = "";
  refused(w, "server");
  w = this->Window("churn", 1, 0, 10);
  w.errors = static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1;
  refused(w, "errors");
  // Nothing of a refused batch was stored.
  EXPECT_THAT(this->WindowEnds({.model = "churn"}), ::testing::IsEmpty());
  auto bad_query = s.ListMonitorWindows({.model = "a b"});
  ASSERT_FALSE(bad_query);
  EXPECT_EQ(bad_query.error().code(), ErrorCode::kInvalidArgument);
}

TYPED_TEST_P(MonitorLogConformance, PredictionLogKeepsTheNewestPerModel) {
  MetaStore& s = *this->store_;
  std::vector<PredictionRecord> batch;
  for (int i = 0; i < 10; ++i)
    batch.push_back(this->Prediction("r" + std::to_string(i), 1, 1000 + i));
  ASSERT_TRUE(s.LogPredictions(batch, 5));
  EXPECT_EQ(this->Counts({.model = "churn"}), (std::pair<uint64_t, uint64_t>{5, 0}));
  // Another model's log is bounded on its own.
  std::vector<PredictionRecord> fraud = {this->Prediction("f1", 1, 1, "fraud"),
                                         this->Prediction("f2", 1, 2, "fraud")};
  ASSERT_TRUE(s.LogPredictions(fraud, 1));
  EXPECT_EQ(this->Counts({.model = "fraud"}).first, 1u);
  EXPECT_EQ(this->Counts({.model = "churn"}).first, 5u);
  // The ones kept are the newest: r5..r9.
  std::vector<Feedback> labels;
  for (int i = 0; i < 10; ++i) labels.push_back({"r" + std::to_string(i), "1", 5000});
  auto labelled = s.RecordFeedback("churn", labels);
  ASSERT_TRUE(labelled) << labelled.error().message();
  EXPECT_EQ(labelled->matched, 5u);
  EXPECT_EQ(labelled->unknown, (std::vector<std::string>{"r0", "r1", "r2", "r3", "r4"}));
  EXPECT_EQ(this->LabelledIds({.model = "churn"}),
            (std::vector<std::string>{"r5", "r6", "r7", "r8", "r9"}));
  EXPECT_EQ(this->LabelledIds({.model = "fraud"}), std::vector<std::string>{});

  // A request id logged again is replaced, label and all, and is the newest now; of one id
  // given twice in a batch, the later counts.
  PredictionRecord again = this->Prediction("r6", 2, 2000);
  again.output = "\"changed\"";
  PredictionRecord twice = this->Prediction("r10", 2, 2001);
  twice.output = "1";
  PredictionRecord twice_later = twice;
  twice_later.output = "2";
  ASSERT_TRUE(s.LogPredictions(std::vector<PredictionRecord>{again, twice, twice_later}, 5));
  EXPECT_EQ(this->Counts({.model = "churn"}), (std::pair<uint64_t, uint64_t>{5, 3}));  // r5 went
  EXPECT_EQ(this->LabelledIds({.model = "churn"}), (std::vector<std::string>{"r7", "r8", "r9"}));
  ASSERT_TRUE(s.RecordFeedback("churn", std::vector<Feedback>{{"r6", "0", 6000}, {"r10", "1", 0}}));
  auto all = s.ListLabelledPredictions({.model = "churn"});
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 5u);
  EXPECT_EQ((*all)[3].prediction.request_id, "r6");
  EXPECT_EQ((*all)[3].prediction.version, 2);
  EXPECT_EQ((*all)[3].prediction.output, "\"changed\"");
  EXPECT_EQ((*all)[4].prediction.request_id, "r10");
  EXPECT_EQ((*all)[4].prediction.output, "2");
  EXPECT_GT((*all)[4].label_ms, 1'600'000'000'000);  // 0: when it was recorded

  // A large batch is one call, and the bound holds.
  std::vector<PredictionRecord> many;
  for (int i = 0; i < 1000; ++i) {
    PredictionRecord r = this->Prediction("m" + std::to_string(i), 3, 10'000 + i);
    r.inputs = R"({"age": )" + std::to_string(i) + R"(, "note": "tab\t \"quoted\" \\ é"})";
    many.push_back(std::move(r));
  }
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(s.LogPredictions(many, 600));
  const auto took = std::chrono::steady_clock::now() - start;
  std::cout << "1000 predictions logged in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms\n";
  EXPECT_EQ(this->Counts({.model = "churn"}).first, 600u);
  ASSERT_TRUE(s.RecordFeedback("churn", std::vector<Feedback>{{"m999", "\"yes\"", 1}}));
  auto newest = s.ListLabelledPredictions({.model = "churn", .limit = 1});
  ASSERT_TRUE(newest);
  ASSERT_EQ(newest->size(), 1u);
  EXPECT_EQ((*newest)[0].prediction.inputs, many[999].inputs);
  EXPECT_EQ((*newest)[0].label, "\"yes\"");
  EXPECT_EQ((*newest)[0].label_ms, 1);
}

TYPED_TEST_P(MonitorLogConformance, FeedbackMatchesLoggedPredictionsOfTheModel) {
  MetaStore& s = *this->store_;
  std::vector<PredictionRecord> batch = {
      this->Prediction("a", 1, 100), this->Prediction("b", 1, 101), this->Prediction("c", 1, 102),
      this->Prediction("d", 2, 103), this->Prediction("e", 2, 104)};
  ASSERT_TRUE(s.LogPredictions(batch, 100));
  ASSERT_TRUE(
      s.LogPredictions(std::vector<PredictionRecord>{this->Prediction("x", 1, 1, "fraud")}, 100));
  std::vector<Feedback> feedback = {
      {"b", "1", 500}, {"d", "\"yes\"", 501}, {"zz", "2", 502}, {"b", "3.5", 503}, {"x", "0", 504}};
  auto result = s.RecordFeedback("churn", feedback);
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(result->matched, 3u);                                     // b twice, d
  EXPECT_EQ(result->unknown, (std::vector<std::string>{"zz", "x"}));  // x is fraud's
  EXPECT_EQ(result->unknown_count, 2u);

  auto labelled = s.ListLabelledPredictions({.model = "churn"});
  ASSERT_TRUE(labelled) << labelled.error().message();
  ASSERT_EQ(labelled->size(), 2u);
  const LabelledPrediction& b = (*labelled)[0];
  EXPECT_EQ(b.prediction.request_id, "b");
  EXPECT_EQ(b.prediction.model, "churn");
  EXPECT_EQ(b.prediction.version, 1);
  EXPECT_EQ(b.prediction.ts_ms, 101);
  EXPECT_EQ(b.prediction.inputs, batch[1].inputs);
  EXPECT_EQ(b.prediction.output, "1.5");
  EXPECT_EQ(b.label, "3.5");  // the later label for the same id
  EXPECT_EQ(b.label_ms, 503);
  EXPECT_EQ((*labelled)[1].label, "\"yes\"");

  EXPECT_EQ(this->LabelledIds({.model = "churn", .version = 2}), std::vector<std::string>{"d"});
  EXPECT_EQ(this->LabelledIds({.model = "churn", .since_ms = 102}), std::vector<std::string>{"d"});
  EXPECT_EQ(this->LabelledIds({.model = "churn", .until_ms = 102}), std::vector<std::string>{"b"});
  EXPECT_EQ(this->LabelledIds({.model = "churn", .limit = 1}), std::vector<std::string>{"d"});
  EXPECT_EQ(this->Counts({.model = "churn"}), (std::pair<uint64_t, uint64_t>{5, 2}));
  EXPECT_EQ(this->Counts({.model = "churn", .version = 1}), (std::pair<uint64_t, uint64_t>{3, 1}));
  EXPECT_EQ(this->Counts({.model = "churn", .since_ms = 103, .until_ms = 104}),
            (std::pair<uint64_t, uint64_t>{2, 1}));
  EXPECT_EQ(this->Counts({.model = "fraud"}), (std::pair<uint64_t, uint64_t>{1, 0}));
  EXPECT_EQ(this->Counts({.model = "nobody"}), (std::pair<uint64_t, uint64_t>{0, 0}));

  // A later label replaces the earlier.
  ASSERT_TRUE(s.RecordFeedback("churn", std::vector<Feedback>{{"d", "\"no\"", 600}}));
  EXPECT_EQ(s.ListLabelledPredictions({.model = "churn", .version = 2}).value().at(0).label,
            "\"no\"");
  // Many unknown ids: a hundred are listed, all are counted.
  std::vector<Feedback> strangers;
  for (int i = 0; i < 150; ++i) strangers.push_back({"s" + std::to_string(i), "1", 1});
  auto none = s.RecordFeedback("churn", strangers);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->matched, 0u);
  EXPECT_EQ(none->unknown.size(), 100u);
  EXPECT_EQ(none->unknown.front(), "s0");
  EXPECT_EQ(none->unknown_count, 150u);
  auto empty = s.RecordFeedback("churn", {});
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->matched + empty->unknown_count, 0u);
}

TYPED_TEST_P(MonitorLogConformance, BadPredictionsAndFeedbackAreRefusedNamingTheRecord) {
  MetaStore& s = *this->store_;
  auto refused = [&](PredictionRecord bad, const std::string& says) {
    std::vector<PredictionRecord> batch = {this->Prediction("ok", 1, 1), bad};
    auto logged = s.LogPredictions(batch, 10);
    ASSERT_FALSE(logged) << says;
    EXPECT_EQ(logged.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(logged.error().message(), ::testing::HasSubstr("prediction record 1"));
    EXPECT_THAT(logged.error().message(), ::testing::HasSubstr(says));
  };
  refused(this->Prediction("", 1, 1), "request id");
  refused(this->Prediction(std::string(129, 'x'), 1, 1), "request id");
  refused(this->Prediction("new\nline", 1, 1), "request id");
  refused(this->Prediction("r1", 1, 1, "no/slash"), "no/slash");
  refused(this->Prediction("r2", 0, 1), "r2");
  PredictionRecord bad_json = this->Prediction("r3", 1, 1);
  bad_json.inputs = "{age: 41}";
  refused(bad_json, "r3");
  bad_json = this->Prediction("r4", 1, 1);
  bad_json.output = "";
  refused(bad_json, "output");
  ASSERT_TRUE(
      s.LogPredictions(std::vector<PredictionRecord>{this->Prediction(std::string(128, 'x'), 1, 1)},
                       10));  // 128 is allowed
  auto keep_none = s.LogPredictions(std::vector<PredictionRecord>{this->Prediction("ok", 1, 1)}, 0);
  ASSERT_FALSE(keep_none);
  EXPECT_EQ(keep_none.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(this->Counts({.model = "churn"}).first, 1u);  // nothing of a refused batch

  auto bad_label = s.RecordFeedback(
      "churn", std::vector<Feedback>{{std::string(128, 'x'), "1", 1}, {"r9", "yes", 1}});
  ASSERT_FALSE(bad_label);
  EXPECT_EQ(bad_label.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(bad_label.error().message(), ::testing::HasSubstr("feedback record 1"));
  EXPECT_THAT(bad_label.error().message(), ::testing::HasSubstr("r9"));
  EXPECT_EQ(this->Counts({.model = "churn"}).second, 0u);  // the good one was not applied
  auto bad_model = s.RecordFeedback("no/slash", std::vector<Feedback>{{"r1", "1", 1}});
  ASSERT_FALSE(bad_model);
  EXPECT_EQ(bad_model.error().code(), ErrorCode::kInvalidArgument);
  auto bad_id = s.RecordFeedback("churn", std::vector<Feedback>{{"", "1", 1}});
  ASSERT_FALSE(bad_id);
  EXPECT_EQ(bad_id.error().code(), ErrorCode::kInvalidArgument);
}

REGISTER_TYPED_TEST_SUITE_P(MonitorLogConformance, WindowsComeBackByTimeVersionAndLimit,
                            PruningDeletesTheModelsWindowsThatEndedBefore,
                            BadWindowsAreRefusedWholeNamingTheWindow,
                            PredictionLogKeepsTheNewestPerModel,
                            FeedbackMatchesLoggedPredictionsOfTheModel,
                            BadPredictionsAndFeedbackAreRefusedNamingTheRecord);

}  // namespace hone::store::testing

#endif  // HONE_STORE_TESTING_MONITOR_LOG_CONFORMANCE_H_
