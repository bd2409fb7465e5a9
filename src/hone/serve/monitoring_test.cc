// ServeMonitor through the service: answered requests counted in their version's window and
// logged, flushed to a real SQLite store; feedback joined to the log; live metrics from it.
#include "hone/serve/monitoring.h"

#include <filesystem>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hone/core/test_temp_dir.h"
#include "hone/monitor/drift_report.h"
#include "hone/monitor/live_metrics.h"
#include "hone/monitor/window_record.h"
#include "hone/serve/service.h"
#include "hone/serve/testing/trained_models.h"

namespace hone::serve {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

class MonitoringTest : public core::testing::TempDirTest {
 protected:
  static void SetUpTestSuite() {
    houses_ = new learn::Bundle(testing::TrainHouses("price", "random_forest"));
  }
  static void TearDownTestSuite() { delete houses_; }

  void SetUp() override {
    TempDirTest::SetUp();
    auto loader = std::make_unique<testing::MemoryLoader>();
    loader->Add("houses", 1, *houses_);
    manager_ = std::make_unique<ModelManager>(ManagerOptions{}, std::move(loader));
    manager_->SetAspiredVersions({{"houses", 1, {"production"}}});
    ASSERT_TRUE(manager_->WaitIdle(std::chrono::seconds(30)));
    const std::string path = (dir_ / ".hone").string();
    open_ = [path] { return store::OpenStore({.store = path, .create = true}); };
    auto opened = open_();
    ASSERT_TRUE(opened) << opened.error().message();
    store_ = std::make_unique<store::Store>(std::move(*opened));
    monitor_ = std::make_unique<ServeMonitor>(
        MonitoringOptions{.interval = std::chrono::hours(1), .server = "test:1"}, *manager_, open_);
    service_ = std::make_unique<InferenceService>(ServiceOptions{}, *manager_);
    service_->set_monitor(monitor_.get());
  }

  HttpResponse Call(std::string_view target, const std::string& body, std::string_view id) {
    HttpRequest request;
    request.method = "POST";
    request.target = target;
    request.body = body;
    request.content_type = "application/json";
    request.request_id = id;
    request.header = [](std::string_view) { return std::string_view(); };
    HttpResponse response;
    service_->Handle(request, response);
    return response;
  }

  static std::string House(double size, const std::string& district) {
    return R"({"inputs": [
      {"name": "size", "shape": [1], "datatype": "FP32", "data": [)" +
           std::to_string(size) + R"(]},
      {"name": "district", "shape": [1], "datatype": "BYTES", "data": [")" +
           district + R"("]},
      {"name": "rooms", "shape": [1], "datatype": "INT64", "data": [3]}]})";
  }

  static learn::Bundle* houses_;
  std::function<Result<store::Store>()> open_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ModelManager> manager_;
  std::unique_ptr<ServeMonitor> monitor_;
  std::unique_ptr<InferenceService> service_;
};

learn::Bundle* MonitoringTest::houses_ = nullptr;

TEST_F(MonitoringTest, WindowsAndThePredictionLogReachTheStore) {
  for (int i = 0; i < 40; ++i) {
    auto r = Call("/v2/models/houses/infer", House(60 + i * 3, i % 2 ? "north" : "east"),
                  "req-" + std::to_string(i));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  ASSERT_EQ(Call("/v2/models/houses/infer", "{bad", "bad-1").status, 400);
  ASSERT_TRUE(monitor_->Flush());

  auto windows = store_->meta->ListMonitorWindows({.model = "houses"});
  ASSERT_TRUE(windows) << windows.error().message();
  ASSERT_EQ(windows->size(), 1u);
  const store::MonitorWindow& w = windows->front();
  EXPECT_EQ(w.version, 1);
  EXPECT_EQ(w.requests, 41u);
  EXPECT_EQ(w.errors, 0u);  // a 400 is the client's error
  EXPECT_EQ(w.server, "test:1");
  auto record = monitor::WindowRecord::Parse(w.summary);
  ASSERT_TRUE(record) << record.error().message();
  EXPECT_EQ(record->traffic.rows, 40u);
  EXPECT_EQ(record->statuses.at("200"), 40u);
  EXPECT_EQ(record->statuses.at("400"), 1u);
  EXPECT_EQ(record->alias, "production");
  ASSERT_TRUE(record->traffic.prediction.has_value());
  EXPECT_EQ(record->traffic.prediction->total(), 40u);
  EXPECT_TRUE(record->LatencyQuantileMs(0.99).has_value());

  // The window is counted on the version's profile: the drift report reads it.
  auto profile = core::DataProfile::FromJson(houses_->profile);
  ASSERT_TRUE(profile);
  auto report = monitor::ComputeDrift(*profile, record->traffic);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->rows, 40u);

  auto counts = store_->meta->CountPredictions({.model = "houses"});
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->first, 40u);
  EXPECT_EQ(counts->second, 0u);

  // A second flush with no traffic writes nothing new.
  ASSERT_TRUE(monitor_->Flush());
  EXPECT_EQ(store_->meta->ListMonitorWindows({.model = "houses"})->size(), 1u);
  EXPECT_EQ(monitor_->stats().windows_written.load(), 1u);
  EXPECT_EQ(monitor_->stats().predictions_logged.load(), 40u);
}

TEST_F(MonitoringTest, WindowsPastTheirRetentionArePrunedWhenNewOnesAreWritten) {
  monitor_ =
      std::make_unique<ServeMonitor>(MonitoringOptions{.interval = std::chrono::hours(1),
                                                       .keep_windows = std::chrono::hours(24),
                                                       .prune_every = std::chrono::hours(1),
                                                       .server = "test:1"},
                                     *manager_, open_);
  service_->set_monitor(monitor_.get());
  const store::TimeMs now = store::NowMs();
  const std::string summary = R"({"n": 1})";
  ASSERT_TRUE(store_->meta->AppendMonitorWindows(std::vector<store::MonitorWindow>{
      {"houses", 1, now - 50 * 3600'000, now - 49 * 3600'000, "old:1", 5, 0, 5, summary},
      {"houses", 1, now - 2 * 3600'000, now - 3600'000, "old:1", 5, 0, 5, summary},
      {"other", 1, now - 50 * 3600'000, now - 49 * 3600'000, "old:1", 5, 0, 5, summary}}));
  ASSERT_EQ(Call("/v2/models/houses/infer", House(80, "north"), "r1").status, 200);
  ASSERT_TRUE(monitor_->Flush());
  // The 49-hour-old window of the model served here went; the recent one and another
  // model's stay.
  auto windows = store_->meta->ListMonitorWindows({.model = "houses"});
  ASSERT_TRUE(windows) << windows.error().message();
  ASSERT_EQ(windows->size(), 2u);
  EXPECT_EQ(windows->front().server, "old:1");
  EXPECT_EQ(windows->back().server, "test:1");
  EXPECT_EQ(store_->meta->ListMonitorWindows({.model = "other"})->size(), 1u);
  EXPECT_EQ(monitor_->stats().windows_pruned.load(), 1u);
  // Within prune_every nothing is pruned again, even if there were something to prune.
  ASSERT_TRUE(store_->meta->AppendMonitorWindows(std::vector<store::MonitorWindow>{
      {"houses", 1, now - 60 * 3600'000, now - 59 * 3600'000, "old:2", 5, 0, 5, summary}}));
  ASSERT_EQ(Call("/v2/models/houses/infer", House(90, "east"), "r2").status, 200);
  ASSERT_TRUE(monitor_->Flush());
  EXPECT_EQ(store_->meta->ListMonitorWindows({.model = "houses"})->size(), 4u);
}

TEST_F(MonitoringTest, FeedbackJoinsTheLogAndGivesLiveMetrics) {
  std::vector<double> predicted;
  for (int i = 0; i < 10; ++i) {
    auto r = Call("/v2/models/houses/infer", House(100 + i, "south"), "q" + std::to_string(i));
    ASSERT_EQ(r.status, 200) << r.body;
    predicted.push_back(json::parse(r.body)["outputs"][0]["data"][0].get<double>());
  }
  // Labels for 8 of them (each 100 off), and one unknown id. The log is flushed first, so a
  // label never arrives before its prediction.
  json feedback = json::array();
  for (int i = 0; i < 8; ++i) {
    feedback.push_back({{"id", "q" + std::to_string(i)}, {"label", predicted[i] + 100}});
  }
  feedback.push_back({{"id", "nobody"}, {"label", 1}});
  auto r = Call("/v2/models/houses/feedback", json{{"feedback", feedback}}.dump(), "f1");
  ASSERT_EQ(r.status, 200) << r.body;
  const json answer = json::parse(r.body);
  EXPECT_EQ(answer["matched"], 8);
  EXPECT_EQ(answer["unknown_count"], 1);
  EXPECT_EQ(answer["unknown"], json::array({"nobody"}));

  auto labelled = store_->meta->ListLabelledPredictions({.model = "houses"});
  ASSERT_TRUE(labelled);
  ASSERT_EQ(labelled->size(), 8u);
  const json inputs = json::parse(labelled->front().prediction.inputs);
  EXPECT_EQ(inputs["district"], "south");
  const monitor::LiveMetrics live = monitor::ComputeLiveMetrics(*labelled, false);
  EXPECT_EQ(live.labels, 8u);
  EXPECT_NEAR(*live.Get("mae"), 100, 0.01);
}

TEST_F(MonitoringTest, BadFeedbackIsRefusedNamingTheRecord) {
  auto r = Call("/v2/models/houses/feedback",
                R"({"feedback": [{"id": "a", "label": 1}, {"id": 3}]})", "f");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("feedback[1].id"));
  r = Call("/v2/models/houses/feedback", R"([{"id": "a"}])", "f");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("feedback[0].label"));
  r = Call("/v2/models/houses/feedback", "not json", "f");
  EXPECT_EQ(r.status, 400);
  r = Call("/v2/models/nope/feedback", R"([{"id": "a", "label": 1}])", "f");
  EXPECT_EQ(r.status, 404);
  // One bare record works too.
  r = Call("/v2/models/houses/feedback", R"({"id": "never-logged", "label": 2.5})", "f");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["unknown_count"], 1);
}

TEST_F(MonitoringTest, TheLogIsBoundedAndSampled) {
  monitor_.reset();
  service_->set_monitor(nullptr);
  monitor_ = std::make_unique<ServeMonitor>(
      MonitoringOptions{.interval = std::chrono::hours(1), .log_queue = 5, .server = "t"},
      *manager_, open_);
  service_->set_monitor(monitor_.get());
  for (int i = 0; i < 12; ++i) {
    ASSERT_EQ(Call("/v2/models/houses/infer", House(100, "east"), "b" + std::to_string(i)).status,
              200);
  }
  EXPECT_EQ(monitor_->stats().predictions_dropped.load(), 7u);
  ASSERT_TRUE(monitor_->Flush());
  EXPECT_EQ(store_->meta->CountPredictions({.model = "houses"})->first, 5u);
  // Every request is still counted in the window.
  auto windows = store_->meta->ListMonitorWindows({.model = "houses"});
  ASSERT_TRUE(windows);
  ASSERT_EQ(windows->size(), 1u);
  EXPECT_EQ(windows->front().requests, 12u);
}

TEST_F(MonitoringTest, IdsTheStoreWouldRefuseAreNotLoggedAndSinkNothing) {
  const std::string long_id(127, 'x');  // fits alone, not with "#1"
  const std::string two_rows = R"({"id": ")" + long_id + R"(", "inputs": [
      {"name": "size", "shape": [2], "datatype": "FP32", "data": [80, 90]},
      {"name": "district", "shape": [2], "datatype": "BYTES", "data": ["east", "north"]},
      {"name": "rooms", "shape": [2], "datatype": "INT64", "data": [3, 4]}]})";
  ASSERT_EQ(Call("/v2/models/houses/infer", two_rows, "x").status, 200);
  ASSERT_EQ(Call("/v2/models/houses/infer", R"({"id": "caf\u00e9", "inputs": [
      {"name": "size", "shape": [1], "datatype": "FP32", "data": [80]},
      {"name": "district", "shape": [1], "datatype": "BYTES", "data": ["east"]},
      {"name": "rooms", "shape": [1], "datatype": "INT64", "data": [3]}]})",
                 "y")
                .status,
            200);
  ASSERT_EQ(Call("/v2/models/houses/infer", House(100, "east"), "fine").status, 200);
  ASSERT_TRUE(monitor_->Flush());
  EXPECT_EQ(monitor_->stats().predictions_dropped.load(), 3u);
  EXPECT_EQ(store_->meta->CountPredictions({.model = "houses"})->first, 1u);
  EXPECT_EQ(store_->meta->ListMonitorWindows({.model = "houses"})->front().rows, 4u);
}

TEST(MonitoringFormatTest, InputsAndOutputsAsTheLogKeepsThem) {
  learn::FeatureSchema schema({{"size", core::ColumnType::kNumeric, {}},
                               {"district", core::ColumnType::kCategorical, {"east", "north"}}});
  const float row[] = {12.5f, 1.0f};
  EXPECT_EQ(InputsJson(schema, row), R"({"district":"north","size":12.5})");
  const float missing[] = {std::nanf(""), 7.0f};
  EXPECT_EQ(InputsJson(schema, missing), R"({"district":null,"size":null})");

  learn::TargetInfo classes{"churn", learn::Task::kBinary, {"no", "yes"}};
  const float probabilities[] = {0.2f, 0.8f};
  EXPECT_EQ(OutputJson(classes, probabilities), R"("yes")");
  EXPECT_EQ(PredictionValue(classes, probabilities), 1.0f);
  learn::TargetInfo price{"price", learn::Task::kRegression, {}};
  const float value[] = {3.5f};
  EXPECT_EQ(OutputJson(price, value), "3.5");
}

}  // namespace
}  // namespace hone::serve
