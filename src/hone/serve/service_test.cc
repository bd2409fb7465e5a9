#include "hone/serve/service.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "hone/serve/testing/trained_models.h"

namespace hone::serve {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

class ServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    houses_ = new learn::Bundle(testing::TrainHouses("price", "random_forest"));
    churn_ = new learn::Bundle(testing::TrainHouses("churn", "gbdt"));
  }
  static void TearDownTestSuite() {
    delete houses_;
    delete churn_;
  }

  void SetUp() override {
    auto loader = std::make_unique<testing::MemoryLoader>();
    loader->Add("houses", 1, *houses_);
    loader->Add("houses", 2, *houses_);
    loader->Add("churn", 4, *churn_);
    manager_ = std::make_unique<ModelManager>(ManagerOptions{}, std::move(loader));
    manager_->SetAspiredVersions({{"houses", 1, {"production"}}, {"churn", 4, {"production"}}});
    ASSERT_TRUE(manager_->WaitIdle(std::chrono::seconds(30)));
    service_ =
        std::make_unique<InferenceService>(ServiceOptions{.limits = {.max_rows = 50}}, *manager_);
  }

  HttpResponse Call(std::string_view method, std::string_view target, std::string_view body = {},
                    std::string_view content_type = "application/json",
                    std::string_view model_header = {}) {
    HttpRequest request;
    request.method = method;
    request.target = target;
    request.body = body;
    request.content_type = content_type;
    request.request_id = "test";
    request.header = [model_header, key = request_key_](std::string_view name) {
      if (name == "x-hone-request-key") return std::string_view(key);
      return name == "x-hone-model" ? model_header : std::string_view();
    };
    HttpResponse response;
    service_->Handle(request, response);
    return response;
  }

  // The model's own prediction for one row of raw values (size, district, rooms).
  float Expected(float size, const std::string& district, float rooms) {
    auto routes = manager_->Routes();
    const auto& servable = *routes->models.at("houses").default_version;
    const auto& schema = servable.loaded.bundle.features;
    std::vector<float> row(schema.size());
    for (size_t j = 0; j < schema.size(); ++j) {
      const auto& name = schema.features()[j].name;
      row[j] = name == "size" ? size : name == "rooms" ? rooms : schema.EncodeCategory(j, district);
    }
    float out = 0;
    EXPECT_TRUE(servable.loaded.model->PredictRow(row, std::span<float>(&out, 1)));
    return out;
  }

  static std::string HeaderOf(const HttpResponse& response, std::string_view name) {
    for (const auto& [n, v] : response.headers) {
      if (n == name) return v;
    }
    return {};
  }

  /// houses: production version 1, canary version 2 with `weight` (none when negative).
  void ServeCanary(double weight) {
    AspiredVersion canary{"houses", 2, {"canary"}};
    if (weight >= 0) canary.weights["canary"] = weight;
    manager_->SetAspiredVersions({{"houses", 1, {"production"}}, canary});
    ASSERT_TRUE(manager_->WaitIdle(std::chrono::seconds(30)));
  }

  static learn::Bundle* houses_;
  static learn::Bundle* churn_;
  std::string request_key_;  // sent as x-hone-request-key when not empty
  std::unique_ptr<ModelManager> manager_;
  std::unique_ptr<InferenceService> service_;
};
learn::Bundle* ServiceTest::houses_ = nullptr;
learn::Bundle* ServiceTest::churn_ = nullptr;

constexpr std::string_view kOneHouse = R"({"id": "r1", "inputs": [
  {"name": "size", "shape": [1], "datatype": "FP32", "data": [120.5]},
  {"name": "district", "shape": [1], "datatype": "BYTES", "data": ["south"]},
  {"name": "rooms", "shape": [1], "datatype": "INT64", "data": [3]}]})";

TEST_F(ServiceTest, HealthAndServerMetadata) {
  EXPECT_EQ(Call("GET", "/v2/health/live").status, 200);
  EXPECT_EQ(Call("GET", "/v2/health/ready").status, 200);
  EXPECT_EQ(Call("GET", "/ping").status, 200);
  EXPECT_EQ(Call("GET", "/health").status, 200);
  auto meta = json::parse(Call("GET", "/v2").body);
  EXPECT_EQ(meta["name"], "hone");
  EXPECT_EQ(Call("GET", "/version").body, learn::HoneVersion());
  service_->set_draining(true);
  auto draining = Call("GET", "/v2/health/ready");
  EXPECT_EQ(draining.status, 503);
  EXPECT_THAT(draining.body, HasSubstr("shutting down"));
}

TEST_F(ServiceTest, ModelMetadataReadyAndConfig) {
  auto meta = json::parse(Call("GET", "/v2/models/houses").body);
  EXPECT_EQ(meta["name"], "houses");
  EXPECT_EQ(meta["versions"], json::array({"1"}));
  EXPECT_EQ(meta["platform"], "hone_random_forest");
  EXPECT_EQ(meta["default_version"], "1");
  EXPECT_EQ(meta["aliases"]["production"], "1");
  bool saw_district = false;
  for (const auto& input : meta["inputs"]) {
    if (input["name"] == "district") {
      saw_district = true;
      EXPECT_EQ(input["datatype"], "BYTES");
    }
  }
  EXPECT_TRUE(saw_district);
  EXPECT_EQ(meta["outputs"][0]["name"], "predictions");

  auto churn = json::parse(Call("GET", "/v2/models/churn/versions/4").body);
  EXPECT_EQ(churn["outputs"][1]["name"], "probabilities");
  EXPECT_EQ(churn["outputs"][1]["parameters"]["classes"], json::array({"no", "yes"}));

  EXPECT_EQ(Call("GET", "/v2/models/houses/ready").status, 200);
  EXPECT_EQ(Call("GET", "/v2/models/houses/versions/1/ready").status, 200);
  auto config = json::parse(Call("GET", "/v2/models/houses/config").body);
  EXPECT_EQ(config["model_kind"], "random_forest");
  EXPECT_EQ(config["target"]["name"], "price");
  EXPECT_EQ(config["max_batch_rows"], 50);
}

TEST_F(ServiceTest, UnknownModelsVersionsAndPathsAre404) {
  auto unknown = Call("POST", "/v2/models/nope/infer", kOneHouse);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_THAT(json::parse(unknown.body)["error"].get<std::string>(),
              HasSubstr("unknown model 'nope'; served: churn, houses"));
  EXPECT_EQ(Call("GET", "/v2/models/nope").status, 404);
  EXPECT_EQ(Call("GET", "/v2/models/nope/ready").status, 404);
  auto version = Call("POST", "/v2/models/houses/versions/7/infer", kOneHouse);
  EXPECT_EQ(version.status, 404);
  EXPECT_THAT(version.body, HasSubstr("version 7 of model 'houses' is not served (served: 1)"));
  EXPECT_EQ(Call("POST", "/v2/models/houses/versions/abc/infer", kOneHouse).status, 404);
  EXPECT_EQ(Call("GET", "/v2/models/houses/versions/7").status, 404);
  EXPECT_EQ(Call("GET", "/v3/other").status, 404);
  EXPECT_EQ(Call("GET", "/v2/models/houses/infer/extra").status, 404);
  auto method = Call("GET", "/v2/models/houses/infer");
  EXPECT_EQ(method.status, 405);
  ASSERT_EQ(method.headers.size(), 1u);
  EXPECT_EQ(method.headers[0].second, "POST");
  EXPECT_EQ(Call("POST", "/metrics").status, 405);
}

TEST_F(ServiceTest, OipInferenceMatchesTheModel) {
  auto response = Call("POST", "/v2/models/houses/infer", kOneHouse);
  ASSERT_EQ(response.status, 200) << response.body;
  auto body = json::parse(response.body);
  EXPECT_EQ(body["model_name"], "houses");
  EXPECT_EQ(body["model_version"], "1");
  EXPECT_EQ(body["id"], "r1");
  EXPECT_FLOAT_EQ(body["outputs"][0]["data"][0].get<float>(), Expected(120.5f, "south", 3));
  bool has_version_header = false;
  for (const auto& [name, value] : response.headers) {
    if (name == "x-hone-model-version") has_version_header = value == "1";
  }
  EXPECT_TRUE(has_version_header);

  // The same rows through the batch path (more than a few rows) and one by one agree.
  std::string sizes, districts, rooms;
  const char* names[] = {"north", "south", "east", "west"};
  for (int i = 0; i < 20; ++i) {
    sizes += (i ? "," : "") + std::to_string(60 + i * 7);
    districts += std::string(i ? "," : "") + "\"" + names[i % 4] + "\"";
    rooms += std::string(i ? "," : "") + (i % 5 == 0 ? "null" : std::to_string(i % 6 + 1));
  }
  std::string batch =
      R"({"inputs": [{"name": "size", "shape": [20], "datatype": "FP32", "data": [)" + sizes +
      R"(]}, {"name": "district", "shape": [20], "datatype": "BYTES", "data": [)" + districts +
      R"(]}, {"name": "rooms", "shape": [20], "datatype": "FP32", "data": [)" + rooms + "]}]}";
  auto many = Call("POST", "/v2/models/houses/versions/1/infer", batch);
  ASSERT_EQ(many.status, 200) << many.body;
  auto data = json::parse(many.body)["outputs"][0]["data"];
  ASSERT_EQ(data.size(), 20u);
  for (int i = 0; i < 20; ++i) {
    const float r = i % 5 == 0 ? NAN : static_cast<float>(i % 6 + 1);
    EXPECT_NEAR(data[i].get<float>(), Expected(static_cast<float>(60 + i * 7), names[i % 4], r),
                1e-3)
        << "row " << i;
  }
}

TEST_F(ServiceTest, ClassifierReturnsLabelsAndProbabilities) {
  auto response = Call("POST", "/v2/models/churn/infer", kOneHouse);
  ASSERT_EQ(response.status, 200) << response.body;
  auto outputs = json::parse(response.body)["outputs"];
  ASSERT_EQ(outputs.size(), 2u);
  EXPECT_EQ(outputs[0]["datatype"], "BYTES");
  const std::string label = outputs[0]["data"][0];
  EXPECT_TRUE(label == "yes" || label == "no");
  auto p = outputs[1]["data"];
  ASSERT_EQ(p.size(), 2u);
  EXPECT_NEAR(p[0].get<float>() + p[1].get<float>(), 1.0f, 1e-5);
  EXPECT_EQ(label, p[1].get<float>() > p[0].get<float>() ? "yes" : "no");
}

TEST_F(ServiceTest, BadRequestsAre400WithTheField) {
  auto unknown = Call(
      "POST", "/v2/models/houses/infer",
      R"({"inputs": [{"name": "colour", "shape": [1], "datatype": "BYTES", "data": ["red"]}]})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_THAT(unknown.body, HasSubstr("colour"));
  auto type =
      Call("POST", "/v2/models/houses/infer",
           R"({"inputs": [{"name": "size", "shape": [1], "datatype": "BYTES", "data": ["big"]}]})");
  EXPECT_EQ(type.status, 400);
  EXPECT_THAT(type.body, HasSubstr("size"));
  EXPECT_EQ(Call("POST", "/v2/models/houses/infer", "{not json").status, 400);
  EXPECT_EQ(Call("POST", "/invocations?model=houses", "a,b\n1,2\n", "text/plain").status, 415);
  std::string rows = R"({"dataframe_split": {"columns": ["size"], "data": [)";
  for (int i = 0; i < 51; ++i) rows += std::string(i ? "," : "") + "[1]";
  auto too_many = Call("POST", "/invocations?model=houses", rows + "]}}");
  EXPECT_EQ(too_many.status, 400);
  EXPECT_THAT(too_many.body, HasSubstr("51"));
}

TEST_F(ServiceTest, MlflowInvocations) {
  const std::string split =
      R"({"dataframe_split": {"columns": ["size", "district", "rooms"], "data": [[120.5, "south", 3]]}})";
  auto ambiguous = Call("POST", "/invocations", split);
  EXPECT_EQ(ambiguous.status, 400);
  EXPECT_THAT(ambiguous.body, HasSubstr("churn, houses"));
  for (auto target : {"/invocations?model=houses", "/models/houses/invocations"}) {
    auto response = Call("POST", target, split);
    ASSERT_EQ(response.status, 200) << target << ": " << response.body;
    EXPECT_FLOAT_EQ(json::parse(response.body)["predictions"][0].get<float>(),
                    Expected(120.5f, "south", 3));
  }
  auto by_header = Call("POST", "/invocations", split, "application/json", "houses");
  EXPECT_EQ(by_header.status, 200);
  auto csv =
      Call("POST", "/invocations?model=churn", "size,district,rooms\n120.5,south,3\n", "text/csv");
  ASSERT_EQ(csv.status, 200) << csv.body;
  const std::string label = json::parse(csv.body)["predictions"][0];
  EXPECT_TRUE(label == "yes" || label == "no");

  // With one model served, /invocations needs no name.
  manager_->SetAspiredVersions({{"houses", 1, {"production"}}});
  ASSERT_TRUE(manager_->WaitIdle(std::chrono::seconds(30)));
  EXPECT_EQ(Call("POST", "/invocations", split).status, 200);
}

TEST_F(ServiceTest, AVersionThatFailsToLoadLeavesThePreviousServing) {
  manager_->SetAspiredVersions({{"houses", 3, {"production"}}, {"churn", 4, {"production"}}});
  ASSERT_TRUE(manager_->WaitIdle(std::chrono::seconds(30)));
  auto response = Call("POST", "/v2/models/houses/infer", kOneHouse);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(json::parse(response.body)["model_version"], "1");
  auto meta = json::parse(Call("GET", "/v2/models/houses").body);
  bool failed = false;
  for (const auto& state : meta["states"]) {
    if (state["version"] == "3") {
      failed = state["state"] == "FAILED" && state["error"].get<std::string>().find(
                                                 "no bundle for houses/3") != std::string::npos;
    }
  }
  EXPECT_TRUE(failed) << meta.dump();
  auto metrics = service_->RenderMetrics();
  EXPECT_THAT(metrics, HasSubstr("hone_model_load_failures_total 1"));
  EXPECT_THAT(
      metrics,
      HasSubstr(R"(hone_model_version_state{model="houses",version="3",state="FAILED"} 1)"));
  auto version = Call("POST", "/v2/models/houses/versions/3/infer", kOneHouse);
  EXPECT_EQ(version.status, 404);
  EXPECT_THAT(version.body, HasSubstr("failed to load"));
}

TEST_F(ServiceTest, NoVersionReadyIs503) {
  manager_->SetAspiredVersions({{"ghost", 1, {"production"}}});
  ASSERT_TRUE(manager_->WaitIdle(std::chrono::seconds(30)));
  auto response = Call("POST", "/v2/models/ghost/infer", kOneHouse);
  EXPECT_EQ(response.status, 503);
  EXPECT_THAT(response.body, HasSubstr("has no version ready"));
  EXPECT_EQ(Call("GET", "/v2/health/ready").status, 503);
  EXPECT_EQ(Call("GET", "/v2/models/ghost/ready").status, 503);
}

TEST_F(ServiceTest, MetricsCountRequestsAndPassPromtool) {
  for (int i = 0; i < 3; ++i) Call("POST", "/v2/models/houses/infer", kOneHouse);
  Call("POST", "/v2/models/houses/infer", "{");
  Call("POST", "/v2/models/nope/infer", kOneHouse);
  const std::string metrics = service_->RenderMetrics();
  EXPECT_THAT(metrics,
              HasSubstr(R"(hone_requests_total{model="houses",version="1",status="200"} 3)"));
  EXPECT_THAT(metrics,
              HasSubstr(R"(hone_requests_total{model="houses",version="1",status="400"} 1)"));
  EXPECT_THAT(metrics, HasSubstr(R"(hone_requests_total{model="",version="",status="404"} 1)"));
  EXPECT_THAT(metrics,
              HasSubstr(R"(hone_request_duration_seconds_count{model="houses",version="1"} 4)"));
  EXPECT_THAT(metrics, HasSubstr(R"(hone_predicted_rows_total{model="houses",version="1"} 3)"));
  EXPECT_THAT(metrics,
              HasSubstr(R"(hone_model_alias_version{model="churn",alias="production"} 4)"));

  const char* promtool = "/usr/bin/promtool";
  if (!std::filesystem::exists(promtool)) {
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::string(ci) == "true") FAIL() << "CI=true but promtool is missing";
    GTEST_SKIP() << "promtool is not installed (Debian package prometheus)";
  }
  const auto file = std::filesystem::temp_directory_path() /
                    ("hone_metrics_" + std::to_string(::getpid()) + ".txt");
  std::ofstream(file) << metrics;
  const std::string command = std::string(promtool) + " check metrics < " + file.string() + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof buf, pipe)) output.append(buf, n);
  EXPECT_EQ(pclose(pipe), 0) << output << "\n" << metrics;
  std::filesystem::remove(file);
  EXPECT_EQ(output, "") << metrics;
}

TEST_F(ServiceTest, ACanaryWeightSplitsTheRequestsThatNameNoVersion) {
  ServeCanary(0.3);
  constexpr int kRequests = 2000;
  int canary = 0;
  for (int i = 0; i < kRequests; ++i) {
    auto r = Call("POST", "/v2/models/houses/infer", kOneHouse);
    ASSERT_EQ(r.status, 200) << r.body;
    const std::string alias = HeaderOf(r, "x-hone-alias");
    const std::string version = HeaderOf(r, "x-hone-model-version");
    ASSERT_TRUE(alias == "canary" || alias == "production") << alias;
    EXPECT_EQ(version, alias == "canary" ? "2" : "1");
    EXPECT_EQ(json::parse(r.body)["model_version"], version);
    canary += alias == "canary";
  }
  // Binomial(2000, 0.3): mean 600, standard deviation 20.5; five of them either side.
  EXPECT_GT(canary, 600 - 103);
  EXPECT_LT(canary, 600 + 103);
  // MLflow requests are routed alike.
  int mlflow_canary = 0;
  for (int i = 0; i < 200; ++i) {
    auto r = Call("POST", "/models/houses/invocations",
                  R"({"dataframe_split": {"columns": ["size"], "data": [[100]]}})");
    ASSERT_EQ(r.status, 200) << r.body;
    mlflow_canary += HeaderOf(r, "x-hone-alias") == "canary";
  }
  EXPECT_GT(mlflow_canary, 60 - 33);
  EXPECT_LT(mlflow_canary, 60 + 33);
  // A request naming a version is not routed.
  for (int i = 0; i < 20; ++i) {
    auto r = Call("POST", "/v2/models/houses/versions/1/infer", kOneHouse);
    EXPECT_EQ(HeaderOf(r, "x-hone-model-version"), "1");
    EXPECT_EQ(HeaderOf(r, "x-hone-alias"), "");
  }
  // Metadata and metrics show the split.
  auto meta = json::parse(Call("GET", "/v2/models/houses").body);
  EXPECT_EQ(meta["default_version"], "1");
  EXPECT_EQ(meta["default_alias"], "production");
  EXPECT_EQ(meta["canary_version"], "2");
  EXPECT_DOUBLE_EQ(meta["canary_weight"].get<double>(), 0.3);
  EXPECT_THAT(service_->RenderMetrics(),
              HasSubstr(R"(hone_model_canary_weight{model="houses",version="2"} 0.3)"));
}

TEST_F(ServiceTest, ARequestKeySticksToOneVersion) {
  ServeCanary(0.5);
  std::map<std::string, std::set<std::string>> versions;  // key → versions that answered
  for (int round = 0; round < 5; ++round) {
    for (int k = 0; k < 40; ++k) {
      request_key_ = "user-" + std::to_string(k);
      auto by_header = Call("POST", "/v2/models/houses/infer", kOneHouse);
      ASSERT_EQ(by_header.status, 200);
      versions[request_key_].insert(HeaderOf(by_header, "x-hone-model-version"));
      request_key_.clear();
      // The same key in the query places the request alike.
      auto by_query =
          Call("POST", "/v2/models/houses/infer?key=user-" + std::to_string(k), kOneHouse);
      versions["user-" + std::to_string(k)].insert(HeaderOf(by_query, "x-hone-model-version"));
    }
  }
  std::set<std::string> seen;
  for (const auto& [key, answered] : versions) {
    EXPECT_EQ(answered.size(), 1u) << key << " moved between versions";
    seen.insert(answered.begin(), answered.end());
  }
  EXPECT_EQ(seen, (std::set<std::string>{"1", "2"}));  // 40 keys at 0.5: both, surely
}

TEST_F(ServiceTest, WithoutAWeightTheCanaryAnswersOnlyWhenNamed) {
  for (double weight : {-1.0, 0.0}) {
    ServeCanary(weight);
    for (int i = 0; i < 200; ++i) {
      auto r = Call("POST", "/v2/models/houses/infer", kOneHouse);
      ASSERT_EQ(r.status, 200);
      ASSERT_EQ(HeaderOf(r, "x-hone-model-version"), "1");
      ASSERT_EQ(HeaderOf(r, "x-hone-alias"), "production");
    }
    EXPECT_EQ(HeaderOf(Call("POST", "/v2/models/houses/versions/2/infer", kOneHouse),
                       "x-hone-model-version"),
              "2");
  }
  // Weight 1: every request goes to the canary.
  ServeCanary(1.0);
  for (int i = 0; i < 200; ++i) {
    auto r = Call("POST", "/v2/models/houses/infer", kOneHouse);
    ASSERT_EQ(HeaderOf(r, "x-hone-model-version"), "2");
    ASSERT_EQ(HeaderOf(r, "x-hone-alias"), "canary");
  }
  // Only a canary: it answers everything, under its own alias.
  manager_->SetAspiredVersions({{"houses", 2, {"canary"}}});
  ASSERT_TRUE(manager_->WaitIdle(std::chrono::seconds(30)));
  auto alone = Call("POST", "/v2/models/houses/infer", kOneHouse);
  EXPECT_EQ(HeaderOf(alone, "x-hone-model-version"), "2");
  EXPECT_EQ(HeaderOf(alone, "x-hone-alias"), "canary");
}

}  // namespace
}  // namespace hone::serve
