// The controller against a real SQLite store, real pipeline runs and a clock the test moves:
// the first model, a retraining on new data released to a canary and promoted on good live
// evidence, one rolled back on errors, the lease, and the state picked up from the audit log.
// The servers' monitoring windows are written to the store as `hone serve` writes them.
#include "hone/loop/controller.h"

#include <chrono>
#include <filesystem>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hone/core/file.h"
#include "hone/core/test_temp_dir.h"
#include "hone/monitor/window_record.h"
#include "hone/pipeline/init.h"

namespace hone::loop {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class ControllerTest : public core::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    WriteData(pipeline::ExampleData(400, 1));
    auto opened = Open();
    ASSERT_TRUE(opened) << opened.error().message();
    store_ = std::make_unique<store::Store>(std::move(*opened));
    now_ = store::NowMs();
  }

  Result<store::Store> Open() const {
    return store::OpenStore({.store = (dir_ / ".hone").string(), .create = true});
  }

  void WriteData(const std::string& csv) {
    ASSERT_TRUE(core::WriteFileAtomic(dir_ / "data.csv", csv));
  }

  pipeline::Spec MakeSpec() const {
    const std::string text = R"(model: homes
data: {path: data.csv}
target: price
split: {method: random, test_size: 0.25, seed: 7}
train:
  model: random_forest
  params: {n_estimators: 8, max_depth: 6}
watch:
  interval: 1s
  cooldown: 1s
  triggers: {drift: false, decay: false}
  release: {mode: canary, weight: 0.4, min_requests: 50, min_time: 10s, max_time: 1h}
)";
    auto spec = pipeline::ParseSpec(text, dir_ / "hone.yaml");
    EXPECT_TRUE(spec) << spec.error().message();
    return spec ? *spec : pipeline::Spec{};
  }

  std::unique_ptr<Controller> MakeController(const std::string& holder) {
    ControllerOptions options;
    options.open = [this] { return Open(); };
    options.holder = holder;
    options.clock = [this] { return now_; };
    options.log = [this](std::string_view line) { log_ += std::string(line) + "\n"; };
    auto controller = Controller::Create(MakeSpec(), std::move(options));
    EXPECT_TRUE(controller) << controller.error().message();
    return controller ? std::move(*controller) : nullptr;
  }

  // What a server flushes for `version`: `requests` answers, `errors` of them 500s.
  void ServeWindow(int64_t version, uint64_t requests, uint64_t errors) {
    monitor::WindowRecord r;
    r.latency_bounds = {0.001, 0.01, 0.1};
    r.latency_counts = {requests, 0, 0, 0};
    r.statuses["200"] = requests - errors;
    if (errors > 0) r.statuses["500"] = errors;
    store::MonitorWindow w;
    w.model = "homes";
    w.version = version;
    w.start_ms = now_;
    w.end_ms = now_ + 1000;
    w.server = "test:1";
    w.requests = requests;
    w.errors = errors;
    w.rows = requests;
    w.summary = r.ToJson().dump();
    ASSERT_TRUE(store_->meta->AppendMonitorWindows(std::span(&w, 1)));
  }

  std::vector<std::string> Actions(const LookResult& look) {
    std::vector<std::string> out;
    for (const Decision& d : look.decisions) out.push_back(ActionName(d.action));
    return out;
  }

  std::map<std::string, int64_t> Aliases() {
    auto model = store_->meta->GetModel("homes");
    EXPECT_TRUE(model) << model.error().message();
    return model ? model->aliases : std::map<std::string, int64_t>{};
  }

  std::unique_ptr<store::Store> store_;
  store::TimeMs now_ = 0;
  std::string log_;
};

using Strings = std::vector<std::string>;

TEST_F(ControllerTest, FirstModelThenCanaryPromotedThenCanaryRolledBack) {
  auto controller = MakeController("watch-a");
  ASSERT_TRUE(controller);

  // No model yet: the first one is trained and goes straight to production.
  auto look = controller->Look();
  ASSERT_TRUE(look) << look.error().message() << "\n" << log_;
  EXPECT_TRUE(look->held);
  EXPECT_EQ(Actions(*look), (Strings{"retrain", "promote", "none"})) << log_;
  EXPECT_EQ(Aliases(), (std::map<std::string, int64_t>{{"production", 1}}));

  // Nothing changed: nothing happens.
  now_ += 2000;
  look = controller->Look();
  ASSERT_TRUE(look) << look.error().message();
  EXPECT_EQ(Actions(*look), (Strings{"none"}));

  // New data: retrained, released to the canary at the configured weight.
  WriteData(pipeline::ExampleData(400, 2));
  now_ += 2000;
  look = controller->Look();
  ASSERT_TRUE(look) << look.error().message() << "\n" << log_;
  EXPECT_EQ(Actions(*look), (Strings{"retrain", "start_release", "none"})) << log_;
  auto model = store_->meta->GetModel("homes");
  ASSERT_TRUE(model);
  EXPECT_EQ(model->aliases, (std::map<std::string, int64_t>{{"canary", 2}, {"production", 1}}));
  EXPECT_EQ(model->alias_weights.at("canary"), 0.4);

  // Not enough evidence yet: it waits.
  ServeWindow(2, 20, 0);
  ServeWindow(1, 30, 0);
  now_ += 3000;
  look = controller->Look();
  ASSERT_TRUE(look) << look.error().message();
  EXPECT_EQ(Actions(*look), (Strings{"none"}));
  EXPECT_THAT(look->decisions.back().reason, HasSubstr("20/50"));

  // Enough requests, time and no errors: promoted, the canary alias gone.
  ServeWindow(2, 40, 0);
  ServeWindow(1, 60, 0);
  now_ += 10000;
  look = controller->Look();
  ASSERT_TRUE(look) << look.error().message();
  EXPECT_EQ(Actions(*look), (Strings{"promote", "none"})) << log_;
  EXPECT_EQ(Aliases(), (std::map<std::string, int64_t>{{"production", 2}}));

  // Newer data again; this candidate fails live: 10 of 30 requests are errors. It is rolled
  // back at once, before its evidence would be sufficient, and production stays.
  WriteData(pipeline::ExampleData(400, 3));
  now_ += 2000;
  look = controller->Look();
  ASSERT_TRUE(look) << look.error().message() << "\n" << log_;
  EXPECT_EQ(Actions(*look), (Strings{"retrain", "start_release", "none"}));
  EXPECT_EQ(Aliases().at("canary"), 3);
  ServeWindow(3, 30, 10);
  now_ += 1000;
  look = controller->Look();
  ASSERT_TRUE(look) << look.error().message();
  EXPECT_EQ(Actions(*look), (Strings{"rollback", "none"})) << log_;
  EXPECT_THAT(look->decisions.front().reason, HasSubstr("error rate"));
  EXPECT_EQ(Aliases(), (std::map<std::string, int64_t>{{"production", 2}}));

  // Every action is in the audit log with its evidence, and the chain still verifies.
  auto audit = store_->meta->ListAudit({});
  ASSERT_TRUE(audit);
  Strings watch_actions;
  for (const store::AuditRecord& r : *audit) {
    if (r.action.starts_with("watch.")) watch_actions.push_back(r.action);
  }
  EXPECT_EQ(watch_actions,
            (Strings{"watch.retrain", "watch.promote", "watch.retrain", "watch.start_release",
                     "watch.promote", "watch.retrain", "watch.start_release", "watch.rollback"}));
  const store::AuditRecord& last = audit->back();
  EXPECT_EQ(last.action, "watch.rollback");
  const nlohmann::json after = nlohmann::json::parse(last.after);
  EXPECT_EQ(after["decision"]["version"], "3");
  EXPECT_TRUE(after["decision"]["evidence"].is_object());
  EXPECT_EQ(after["state"]["phase"], "idle");
}

TEST_F(ControllerTest, OneHolderAtATimeAndTheStateSurvivesAHandOver) {
  auto a = MakeController("watch-a");
  auto b = MakeController("watch-b");
  ASSERT_TRUE(a && b);
  auto look = a->Look();
  ASSERT_TRUE(look) << look.error().message();
  EXPECT_TRUE(look->held);
  WriteData(pipeline::ExampleData(400, 2));
  // b does nothing while a holds the lease, even with new data to act on.
  auto other = b->Look();
  ASSERT_TRUE(other) << other.error().message();
  EXPECT_FALSE(other->held);
  EXPECT_EQ(other->holder, "watch-a");
  EXPECT_TRUE(other->decisions.empty());

  // a starts a release, then gives up its lease (as when it stops); b takes over in the middle
  // of the release, with the state a recorded.
  now_ += 2000;
  look = a->Look();
  ASSERT_TRUE(look) << look.error().message();
  EXPECT_EQ(Actions(*look), (Strings{"retrain", "start_release", "none"}));
  ASSERT_TRUE(store_->meta->ReleaseLease("watch/homes", "watch-a"));
  other = b->Look();
  ASSERT_TRUE(other) << other.error().message();
  EXPECT_TRUE(other->held);
  EXPECT_EQ(b->state().phase, Phase::kReleasing);
  EXPECT_EQ(b->state().candidate_version, "2");
  auto recorded = LatestLoopState(*store_->meta, "homes");
  ASSERT_TRUE(recorded && *recorded);
  EXPECT_EQ((*recorded)->phase, Phase::kReleasing);
}

TEST_F(ControllerTest, AHolderThatStopsRenewingIsTakenOverWhenTheLeaseExpires) {
  pipeline::Spec spec = MakeSpec();
  spec.watch->lease_seconds = 0.3;
  std::vector<std::unique_ptr<Controller>> controllers;
  for (const char* holder : {"watch-a", "watch-b"}) {
    ControllerOptions options;
    options.open = [this] { return Open(); };
    options.holder = holder;
    options.clock = [this] { return now_; };
    auto made = Controller::Create(spec, std::move(options));
    ASSERT_TRUE(made) << made.error().message();
    controllers.push_back(std::move(*made));
  }
  auto look = controllers[0]->Look();
  ASSERT_TRUE(look && look->held);
  // a stops (as if killed: it never gives the lease up). Until the lease runs out b waits;
  // then it takes over, with the state a recorded.
  auto other = controllers[1]->Look();
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->held);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!other->held && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    other = controllers[1]->Look();
    ASSERT_TRUE(other) << other.error().message();
  }
  EXPECT_TRUE(other->held);
  EXPECT_EQ(Aliases(), (std::map<std::string, int64_t>{{"production", 1}}));
  EXPECT_EQ(Actions(*other), (Strings{"none"}));  // nothing new: b does not train again
}

TEST_F(ControllerTest, ARejectedCandidateChangesNothing) {
  auto controller = MakeController("watch-a");
  ASSERT_TRUE(controller);
  ASSERT_TRUE(controller->Look());
  // Data the checks refuse (too few rows for the split to train on).
  WriteData("price,size\n1,2\n");
  now_ += 2000;
  auto look = controller->Look();
  ASSERT_TRUE(look) << look.error().message();
  ASSERT_GE(look->decisions.size(), 2u);
  EXPECT_EQ(Actions(*look).front(), "retrain");
  EXPECT_EQ(Actions(*look)[1], "reject") << log_;
  EXPECT_EQ(Aliases(), (std::map<std::string, int64_t>{{"production", 1}}));
  // The same data does not start another retraining.
  now_ += 5000;
  look = controller->Look();
  ASSERT_TRUE(look);
  EXPECT_EQ(Actions(*look), (Strings{"none"}));
}

}  // namespace
}  // namespace hone::loop
