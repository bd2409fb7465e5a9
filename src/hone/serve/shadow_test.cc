#include "hone/serve/shadow.h"

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hone/serve/service.h"
#include "hone/serve/testing/trained_models.h"

namespace hone::serve {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr auto kWait = 30s;  // generous: sanitizers on a busy machine

/// Polls `done` until it holds or `timeout` passes; returns whether it held.
template <typename Done>
bool Eventually(Done done, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

/// Lets predictions through while open; while closed they wait for Open (or Close's timeout).
class Gate {
 public:
  void Close() {
    std::lock_guard lock(mu_);
    open_ = false;
  }
  void Open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void Pass() {
    std::unique_lock lock(mu_);
    ++waiting_;
    cv_.wait_for(lock, kWait, [&] { return open_; });  // bounded: a failing test cannot hang
    --waiting_;
  }
  int waiting() const {
    std::lock_guard lock(mu_);
    return waiting_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true;
  int waiting_ = 0;
};

/// A real model whose predictions pass through a gate: a shadow as slow as the test wants.
class GatedModel final : public learn::Model {
 public:
  GatedModel(std::unique_ptr<learn::Model> inner, Gate& gate)
      : inner_(std::move(inner)), gate_(gate) {}
  size_t num_outputs() const override { return inner_->num_outputs(); }
  Result<void> Predict(const learn::FeatureMatrix& x, std::span<float> out,
                       unsigned threads) const override {
    gate_.Pass();
    return inner_->Predict(x, out, threads);
  }
  Result<void> PredictRow(std::span<const float> row, std::span<float> out) const override {
    gate_.Pass();
    return inner_->PredictRow(row, out);
  }
  Result<std::string> Serialize() const override { return inner_->Serialize(); }

 private:
  std::unique_ptr<learn::Model> inner_;
  Gate& gate_;
};

/// Serves `bundle` for every version; the model of `gated_version` passes through `gate`.
class GatedLoader final : public Loader {
 public:
  GatedLoader(const learn::Bundle& bundle, int64_t gated_version, Gate& gate)
      : bytes_(learn::EncodeBundle(bundle)), gated_version_(gated_version), gate_(gate) {}
  Result<std::shared_ptr<Servable>> Load(std::string_view model, int64_t version) override {
    HONE_ASSIGN_OR_RETURN(auto loaded, learn::LoadBundleBytes(bytes_, "memory"));
    if (version == gated_version_) {
      loaded.model = std::make_unique<GatedModel>(std::move(loaded.model), gate_);
    }
    auto servable = std::make_shared<Servable>();
    servable->model = std::string(model);
    servable->version = version;
    servable->loaded = std::move(loaded);
    return servable;
  }

 private:
  const std::string bytes_;
  const int64_t gated_version_;
  Gate& gate_;
};

const learn::Bundle& Houses() {
  static const learn::Bundle* bundle = new learn::Bundle(testing::TrainHouses("price", "gbdt"));
  return *bundle;
}

constexpr std::string_view kOneHouse = R"({"inputs": [
  {"name": "size", "shape": [1], "datatype": "FP32", "data": [120.5]},
  {"name": "district", "shape": [1], "datatype": "BYTES", "data": ["south"]},
  {"name": "rooms", "shape": [1], "datatype": "INT64", "data": [3]}]})";

class ShadowRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GatedLoader loader(Houses(), 9, gate_);
    auto loaded = loader.Load("houses", 9);
    ASSERT_TRUE(loaded) << loaded.error().message();
    shadow_ = *loaded;
  }

  /// One decoded row for the shadow.
  ShadowJob Rows() const {
    auto decoded = DecodeOipRequest(kOneHouse, shadow_->loaded.bundle.features,
                                    shadow_->loaded.bundle.target, {});
    EXPECT_TRUE(decoded) << decoded.error().message();
    return ShadowJob{.shadow = shadow_, .rows = std::move(*decoded)};
  }

  uint64_t Answered(int status) const { return shadow_->stats.requests(StatusSlot(status)); }

  Gate gate_;
  std::shared_ptr<Servable> shadow_;
};

TEST_F(ShadowRunnerTest, PredictsCopiesAndCountsThemInTheShadowsStats) {
  ShadowRunner runner({}, {});
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(runner.Submit(Rows()));
  // Undecoded bodies are decoded against the shadow's own features.
  EXPECT_TRUE(runner.Submit(ShadowJob{.shadow = shadow_, .body = std::string(kOneHouse)}));
  EXPECT_TRUE(runner.Submit(
      ShadowJob{.shadow = shadow_,
                .body = R"({"dataframe_split": {"columns": ["size"], "data": [[1], [2]]}})",
                .content_type = "application/json",
                .mlflow = true}));
  EXPECT_TRUE(runner.Submit(ShadowJob{.shadow = shadow_, .body = "{not json"}));
  EXPECT_TRUE(runner.Submit(
      ShadowJob{.shadow = shadow_, .body = "a", .content_type = "text/html", .mlflow = true}));
  EXPECT_FALSE(runner.Submit(ShadowJob{}));  // no version: nothing to do
  ASSERT_TRUE(runner.WaitIdle(kWait));
  EXPECT_EQ(runner.completed(), 9u);
  EXPECT_EQ(runner.dropped(), 0u);
  EXPECT_EQ(Answered(200), 7u);
  EXPECT_EQ(Answered(400), 1u);
  EXPECT_EQ(Answered(415), 1u);
  EXPECT_EQ(shadow_->stats.rows(), 8u);
}

TEST_F(ShadowRunnerTest, AFullQueueDropsInsteadOfBlocking) {
  ShadowRunner runner({.queue_capacity = 4}, {});
  gate_.Close();
  ASSERT_TRUE(runner.Submit(Rows()));
  ASSERT_TRUE(Eventually([&] { return gate_.waiting() == 1; }));  // the worker holds it
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(runner.Submit(Rows()));
  EXPECT_EQ(runner.queued(), 4u);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(runner.Submit(Rows()));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);  // never waited for the worker
  EXPECT_EQ(runner.dropped(), 100u);
  EXPECT_FALSE(runner.WaitIdle(0ms));
  gate_.Open();
  ASSERT_TRUE(runner.WaitIdle(kWait));
  EXPECT_EQ(runner.completed(), 5u);
  EXPECT_EQ(Answered(200), 5u);
  // Room again.
  EXPECT_TRUE(runner.Submit(Rows()));
  ASSERT_TRUE(runner.WaitIdle(kWait));
  EXPECT_EQ(runner.completed(), 6u);
}

TEST_F(ShadowRunnerTest, StopFinishesTheCopyUnderWayAndDropsTheQueuedOnes) {
  auto runner = std::make_unique<ShadowRunner>(ShadowOptions{.queue_capacity = 8}, DecodeLimits{});
  gate_.Close();
  ASSERT_TRUE(runner->Submit(Rows()));
  ASSERT_TRUE(Eventually([&] { return gate_.waiting() == 1; }));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(runner->Submit(Rows()));
  std::weak_ptr<const Servable> weak = shadow_;
  shadow_.reset();  // only the jobs hold the version now
  std::thread stopper([&] { runner->Stop(); });
  ASSERT_TRUE(Eventually([&] { return runner->queued() == 0; }));  // dropped at once
  gate_.Open();
  stopper.join();
  EXPECT_EQ(runner->completed(), 1u);
  EXPECT_EQ(runner->dropped(), 0u);  // a shutdown is not a full queue
  EXPECT_TRUE(weak.expired());       // every handle released
  runner->Stop();                    // idempotent
  runner.reset();
}

TEST_F(ShadowRunnerTest, ZeroCapacityDropsEverything) {
  ShadowRunner runner({.queue_capacity = 0}, {});
  EXPECT_FALSE(runner.Submit(Rows()));
  EXPECT_EQ(runner.dropped(), 1u);
  EXPECT_TRUE(runner.WaitIdle(kWait));
  EXPECT_EQ(runner.completed(), 0u);
}

// --- Through the service: production answers, the shadow gets copies. ---

class ShadowServiceTest : public ::testing::Test {
 protected:
  /// houses: production version 1 and shadow version 2 (whose model passes through gate_).
  void Start(ShadowOptions shadow, std::vector<AspiredVersion> aspired) {
    manager_ = std::make_unique<ModelManager>(ManagerOptions{},
                                              std::make_unique<GatedLoader>(Houses(), 2, gate_));
    manager_->SetAspiredVersions(std::move(aspired));
    ASSERT_TRUE(manager_->WaitIdle(kWait));
    service_ = std::make_unique<InferenceService>(ServiceOptions{.shadow = shadow}, *manager_);
  }

  HttpResponse Infer(std::string_view target, std::string_view body = kOneHouse) {
    HttpRequest request{.method = "POST",
                        .target = target,
                        .content_type = "application/json",
                        .body = body,
                        .request_id = "t"};
    HttpResponse response;
    service_->Handle(request, response);
    return response;
  }

  static std::string Header(const HttpResponse& response, std::string_view name) {
    for (const auto& [n, v] : response.headers) {
      if (n == name) return v;
    }
    return {};
  }

  const Servable& Version(int64_t v) const {
    return *manager_->Routes()->models.at("houses").versions.at(v);
  }

  Gate gate_;
  std::unique_ptr<ModelManager> manager_;
  std::unique_ptr<InferenceService> service_;
};

TEST_F(ShadowServiceTest, TheShadowReceivesCopiesWhileProductionAnswers) {
  Start({}, {{"houses", 1, {"production"}}, {"houses", 2, {"shadow"}}});
  auto routes = manager_->Routes();
  const ModelRoutes& m = routes->models.at("houses");
  ASSERT_NE(m.shadow, nullptr);
  EXPECT_EQ(m.shadow->version, 2);
  EXPECT_TRUE(m.shadow_reads_default_rows);
  for (int i = 0; i < 20; ++i) {
    auto r = Infer("/v2/models/houses/infer");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Header(r, "x-hone-model-version"), "1");
    EXPECT_EQ(Header(r, "x-hone-alias"), "production");
    EXPECT_EQ(nlohmann::json::parse(r.body)["model_version"], "1");
  }
  // MLflow requests are copied too; failed requests and those naming a version are not.
  ASSERT_EQ(Infer("/invocations?model=houses",
                  R"({"dataframe_split": {"columns": ["size"], "data": [[1], [2], [3]]}})")
                .status,
            200);
  EXPECT_EQ(Infer("/v2/models/houses/infer", "{bad").status, 400);
  EXPECT_EQ(Infer("/v2/models/houses/versions/1/infer").status, 200);
  ASSERT_TRUE(service_->shadow().WaitIdle(kWait));
  EXPECT_EQ(service_->shadow().completed(), 21u);
  EXPECT_EQ(Version(2).stats.requests(StatusSlot(200)), 21u);
  EXPECT_EQ(Version(2).stats.rows(), 23u);
  EXPECT_EQ(Version(1).stats.requests(StatusSlot(200)), 22u);

  // The shadow version shows in the per-version metrics and the routing gauges.
  const std::string metrics = service_->RenderMetrics();
  EXPECT_THAT(metrics,
              HasSubstr(R"(hone_requests_total{model="houses",version="2",status="200"} 21)"));
  EXPECT_THAT(metrics, HasSubstr(R"(hone_model_shadow_version{model="houses"} 2)"));
  EXPECT_THAT(metrics, HasSubstr(R"(hone_model_alias_version{model="houses",alias="shadow"} 2)"));
  EXPECT_THAT(metrics, HasSubstr("hone_shadow_dropped_total 0"));
  EXPECT_THAT(metrics, HasSubstr("hone_shadow_completed_total 21"));
  // Metadata lists it; the shadow version is never the default.
  HttpRequest get{.method = "GET", .target = "/v2/models/houses", .request_id = "t"};
  HttpResponse meta;
  service_->Handle(get, meta);
  auto json = nlohmann::json::parse(meta.body);
  EXPECT_EQ(json["shadow_version"], "2");
  EXPECT_EQ(json["default_version"], "1");
}

TEST_F(ShadowServiceTest, AFullShadowQueueDropsCopiesAndNeverSlowsTheAnswers) {
  Start({.queue_capacity = 8}, {{"houses", 1, {"production"}}, {"houses", 2, {"shadow"}}});
  gate_.Close();
  ASSERT_EQ(Infer("/v2/models/houses/infer").status, 200);
  ASSERT_TRUE(Eventually([&] { return gate_.waiting() == 1; }));  // the worker is stuck
  constexpr int kRequests = 200;
  for (int i = 0; i < kRequests; ++i) {
    auto r = Infer("/v2/models/houses/infer");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Header(r, "x-hone-model-version"), "1");
  }
  EXPECT_EQ(service_->shadow().queued(), 8u);
  EXPECT_EQ(service_->shadow().dropped(), kRequests - 8u);
  EXPECT_THAT(service_->RenderMetrics(),
              HasSubstr("hone_shadow_dropped_total " + std::to_string(kRequests - 8)));
  gate_.Open();
  ASSERT_TRUE(service_->shadow().WaitIdle(kWait));
  EXPECT_EQ(Version(2).stats.requests(StatusSlot(200)), 9u);
  EXPECT_EQ(Version(1).stats.requests(StatusSlot(200)), kRequests + 1u);
}

TEST_F(ShadowServiceTest, AShadowWithOtherFeaturesDecodesTheRequestItself) {
  // Version 3 reads size and district only: the request's decoded rows do not fit it.
  auto loader = std::make_unique<testing::MemoryLoader>();
  loader->Add("houses", 1, Houses());
  auto table = core::ParseCsv(testing::HousesCsv(200, 5), "houses.csv");
  ASSERT_TRUE(table);
  learn::TrainRequest request;
  request.target = "price";
  request.model = "gbdt";
  request.test_size = 0;
  request.threads = 1;
  request.ignore = {"churn", "rooms"};
  request.params = {{"n_estimators", "5"}};
  auto narrow = learn::TrainOnTable(*table, request);
  ASSERT_TRUE(narrow) << narrow.error().message();
  loader->Add("houses", 3, narrow->bundle);
  manager_ = std::make_unique<ModelManager>(ManagerOptions{}, std::move(loader));
  manager_->SetAspiredVersions({{"houses", 1, {"production"}}, {"houses", 3, {"shadow"}}});
  ASSERT_TRUE(manager_->WaitIdle(kWait));
  service_ = std::make_unique<InferenceService>(ServiceOptions{}, *manager_);
  EXPECT_FALSE(manager_->Routes()->models.at("houses").shadow_reads_default_rows);

  constexpr std::string_view kNoRooms = R"({"inputs": [
    {"name": "size", "shape": [2], "datatype": "FP32", "data": [120.5, 80]},
    {"name": "district", "shape": [2], "datatype": "BYTES", "data": ["south", "east"]}]})";
  ASSERT_EQ(Infer("/v2/models/houses/infer", kNoRooms).status, 200);
  ASSERT_EQ(Infer("/v2/models/houses/infer", kOneHouse).status, 200);  // rooms: unknown to 3
  ASSERT_TRUE(service_->shadow().WaitIdle(kWait));
  EXPECT_EQ(Version(3).stats.requests(StatusSlot(200)), 1u);
  EXPECT_EQ(Version(3).stats.requests(StatusSlot(400)), 1u);
  EXPECT_EQ(Version(3).stats.rows(), 2u);
}

}  // namespace
}  // namespace hone::serve
