// GET /api/hone/v1/monitor/report through a real `hone server` on loopback: two versions of a
// trained model behind production and canary, their monitoring windows and labelled predictions
// written through the API, and the report's figures read back: counts, latency quantiles, live
// metrics, drift per feature, the span's bounds, and the refusals of bad queries.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <span>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "hone/core/cron.h"
#include "hone/core/csv.h"
#include "hone/core/digest.h"
#include "hone/learn/bundle.h"
#include "hone/monitor/drift_report.h"
#include "hone/monitor/window.h"
#include "hone/monitor/window_record.h"
#include "hone/serve/testing/http_client.h"
#include "hone/serve/testing/trained_models.h"
#include "hone/server/team_server.h"
#include "hone/server/testing/role_server.h"
#include "hone/server/tokens.h"
#include "hone/store/open_store.h"
#include "hone/store/remote/remote_meta_store.h"

namespace hone::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using store::Role;
using store::remote::RemoteMetaStore;
using ::testing::HasSubstr;

// One window's traffic: `rows` of the houses data, with `size_shift` added to every size, counted
// on `bundle`'s reference bins as `hone serve` counts them.
monitor::WindowSummary Traffic(const learn::Bundle& bundle, const core::DataProfile& profile,
                               uint64_t seed, size_t rows, float size_shift) {
  std::vector<monitor::MonitoredColumn> columns;
  for (const learn::FeatureInfo& f : bundle.features.features()) {
    columns.push_back({f.name, f.type, f.categories});
  }
  monitor::WindowAccumulator accumulator(columns, profile, std::nullopt);
  auto table = core::ParseCsv(serve::testing::HousesCsv(rows, seed), "houses.csv");
  EXPECT_TRUE(table);
  std::vector<std::vector<float>> values(columns.size());
  for (size_t j = 0; j < columns.size(); ++j) {
    const core::Column& c = table->column(*table->FindColumn(columns[j].name));
    for (size_t i = 0; i < c.size(); ++i) {
      if (columns[j].type == core::ColumnType::kNumeric) {
        values[j].push_back(c.values()[i] + (columns[j].name == "size" ? size_shift : 0.0f));
      } else {
        const int32_t code = c.codes()[i];
        if (code == core::kMissingCode) {
          values[j].push_back(std::nanf(""));
          continue;
        }
        const std::string& text = c.dictionary()[static_cast<size_t>(code)];
        const auto& known = columns[j].categories;
        values[j].push_back(
            static_cast<float>(std::find(known.begin(), known.end(), text) - known.begin()));
      }
    }
  }
  std::vector<std::span<const float>> spans(values.begin(), values.end());
  accumulator.AddBatch(spans);
  return accumulator.Take();
}

class MonitorReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("hone_monitor_report_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    TeamServerOptions options;
    options.store = (dir_ / "hone.db").string();
    options.http.threads = 2;
    auto started = testing::StartRoleServer(options);
    ASSERT_TRUE(started) << started.error().message();
    admin_token_ = started->token(Role::kAdmin);
    viewer_token_ = started->token(Role::kViewer);
    server_ = std::move(started->server);
    auto admin = RemoteMetaStore::Open(server_->url(), {.token = admin_token_});
    ASSERT_TRUE(admin) << admin.error().message();
    admin_ = std::move(*admin);
  }
  void TearDown() override {
    admin_.reset();
    server_.reset();
    fs::remove_all(dir_);
  }

  // Registers `bundle` as a version of "houses" (its bytes in the server's artifact folder) and
  // points `alias` at it.
  int64_t RegisterAndServe(const learn::Bundle& bundle, const std::string& alias,
                           std::optional<double> weight) {
    const std::string bytes = learn::EncodeBundle(bundle);
    const std::string digest = core::Sha256Hex(bytes);
    EXPECT_TRUE(admin_->PutBlob(digest, bytes));
    store::NewVersion nv{.model = "houses", .bundle_digest = digest};
    nv.metrics = {{"rmse", 321.0}};
    auto v = admin_->CreateVersion(nv, {"ignored"});
    EXPECT_TRUE(v) << v.error().message();
    store::AliasChange change{"houses", alias, v->version, std::nullopt, "promote", {"x"}};
    change.weight = weight;
    change.forced = true;
    auto moved = admin_->MoveAlias(change);
    EXPECT_TRUE(moved) << moved.error().message();
    return v->version;
  }

  // A window of `version` over [start, end) with these answers and latency counts.
  static store::MonitorWindow Window(int64_t version, store::TimeMs start, store::TimeMs end,
                                     const monitor::WindowSummary& traffic,
                                     std::map<std::string, uint64_t> statuses,
                                     std::vector<uint64_t> latency) {
    monitor::WindowRecord record;
    record.traffic = traffic;
    record.latency_bounds = {0.001, 0.005, 0.01, 0.05};
    record.latency_counts = std::move(latency);
    record.statuses = std::move(statuses);
    store::MonitorWindow w;
    w.model = "houses";
    w.version = version;
    w.start_ms = start;
    w.end_ms = end;
    w.server = "test:1";
    w.requests = record.requests();
    w.errors = record.errors();
    w.rows = traffic.rows;
    w.summary = record.ToJson().dump();
    return w;
  }

  std::optional<serve::testing::ClientResponse> Get(const std::string& target,
                                                    const std::string& token) {
    serve::testing::HttpClient client(server_->port());
    return client.Send("GET", "/api/hone/v1" + target, {}, "application/json",
                       token.empty() ? "" : "Authorization: Bearer " + token + "\r\n");
  }

  json Report(store::TimeMs since, store::TimeMs until) {
    auto r = Get("/monitor/report?model=houses&since_ms=" + std::to_string(since) +
                     "&until_ms=" + std::to_string(until),
                 viewer_token_);
    EXPECT_TRUE(r);
    if (!r) return json();
    EXPECT_EQ(r->status, 200) << r->body;
    return json::parse(r->body, nullptr, false);
  }

  fs::path dir_;
  std::string admin_token_, viewer_token_;
  std::unique_ptr<TeamServer> server_;
  std::unique_ptr<RemoteMetaStore> admin_;
};

TEST_F(MonitorReportTest, ReportsEachServedVersionsTrafficLatencyLiveMetricsAndDrift) {
  const learn::Bundle bundle = serve::testing::TrainHouses("price", "gbdt");
  auto profile = core::DataProfile::FromJson(bundle.profile);
  ASSERT_TRUE(profile) << profile.error().message();
  const int64_t production = RegisterAndServe(bundle, "production", std::nullopt);
  const int64_t canary = RegisterAndServe(bundle, "canary", 0.25);
  // Windows from after the aliases moved (the report counts a version's traffic from then on).
  const store::TimeMs t0 = store::NowMs() + 1000;

  // Production: three windows of traffic like the training data; canary: sizes moved far up.
  const monitor::WindowSummary p1 = Traffic(bundle, *profile, 7, 200, 0);
  const monitor::WindowSummary p2 = Traffic(bundle, *profile, 8, 200, 0);
  const monitor::WindowSummary p3 = Traffic(bundle, *profile, 9, 200, 0);
  const monitor::WindowSummary c1 = Traffic(bundle, *profile, 10, 300, 400);
  std::vector<store::MonitorWindow> windows = {
      Window(production, t0, t0 + 1000, p1, {{"200", 90}, {"500", 10}}, {50, 40, 8, 2, 0}),
      Window(production, t0 + 1000, t0 + 2000, p2, {{"200", 100}}, {60, 30, 10, 0, 0}),
      Window(production, t0 + 2000, t0 + 3000, p3, {{"200", 45}, {"503", 5}, {"404", 0}},
             {10, 20, 10, 9, 1}),
      Window(canary, t0, t0 + 3000, c1, {{"200", 40}}, {0, 0, 0, 40, 0}),
  };
  ASSERT_TRUE(admin_->AppendMonitorWindows(windows));
  // Two labelled predictions of production: errors of 30 and 40.
  const std::vector<store::PredictionRecord> predictions = {
      {"r1", "houses", production, t0 + 500, "{}", "1000"},
      {"r2", "houses", production, t0 + 1500, "{}", "2000"},
  };
  ASSERT_TRUE(admin_->LogPredictions(predictions, 100));
  const std::vector<store::Feedback> labels = {{"r1", "1030", 0}, {"r2", "1960", 0}};
  ASSERT_TRUE(admin_->RecordFeedback("houses", labels));

  const json report = Report(t0, t0 + 3000);
  ASSERT_TRUE(report.is_object());
  EXPECT_EQ(report["model"], "houses");
  EXPECT_EQ(report["since"], core::FormatUtc(t0));
  EXPECT_EQ(report["until"], core::FormatUtc(t0 + 3000));
  ASSERT_EQ(report["versions"].size(), 2u) << report.dump(2);

  const json& prod = report["versions"][0];
  EXPECT_EQ(prod["version"], production);
  EXPECT_EQ(prod["alias"], "production");
  EXPECT_TRUE(prod["weight"].is_null());
  EXPECT_EQ(prod["windows"], 3);
  EXPECT_EQ(prod["requests"], 250);
  EXPECT_EQ(prod["errors"], 15);
  EXPECT_DOUBLE_EQ(prod["error_rate"].get<double>(), 0.06);
  EXPECT_EQ(prod["rows"], 600);
  // Latency counts 120, 90, 28, 11, 1 of 250: rank 125 is in the 5 ms bucket, rank 248 (of p99)
  // in the 50 ms one.
  EXPECT_DOUBLE_EQ(prod["latency_ms"]["p50"].get<double>(), 5.0);
  EXPECT_DOUBLE_EQ(prod["latency_ms"]["p99"].get<double>(), 50.0);
  EXPECT_EQ(prod["live"]["labels"], 2);
  EXPECT_NEAR(prod["live"]["metrics"]["rmse"].get<double>(), std::sqrt((900.0 + 1600.0) / 2), 1e-9);
  EXPECT_NEAR(prod["live"]["metrics"]["mae"].get<double>(), 35.0, 1e-9);
  EXPECT_EQ(prod["offline"], (json{{"rmse", 321.0}}));

  // Drift: each column as monitor::ComputeDrift finds it over the merged windows.
  monitor::WindowSummary merged = p1;
  ASSERT_TRUE(merged.Merge(p2));
  ASSERT_TRUE(merged.Merge(p3));
  auto expected = monitor::ComputeDrift(*profile, merged);
  ASSERT_TRUE(expected) << expected.error().message();
  const json& drift = prod["drift"];
  ASSERT_TRUE(drift.contains("columns")) << drift.dump(2);
  for (const char* option : {"psi_warn", "psi_alert", "p_value", "distance"}) {
    EXPECT_TRUE(drift["options"][option].is_number()) << option;
  }
  ASSERT_EQ(drift["columns"].size(), expected->columns.size());
  for (size_t i = 0; i < expected->columns.size(); ++i) {
    const monitor::ColumnDrift& want = expected->columns[i];
    const json& got = drift["columns"][i];
    EXPECT_EQ(got["name"], want.name);
    EXPECT_EQ(got["method"], want.ToJson()["method"]);
    EXPECT_EQ(got["status"], want.ToJson()["status"]);
    EXPECT_EQ(got["drifted"], want.drifted);
    EXPECT_NEAR(got["psi"].get<double>(), want.psi, 1e-12) << want.name;
    EXPECT_EQ(got["statistic"], want.ToJson()["statistic"]) << want.name;
    EXPECT_EQ(got["p_adjusted"], want.ToJson()["p_adjusted"]) << want.name;
    EXPECT_FALSE(want.drifted) << want.name << " drifted in traffic like the training data";
  }

  const json& can = report["versions"][1];
  EXPECT_EQ(can["version"], canary);
  EXPECT_EQ(can["alias"], "canary");
  EXPECT_DOUBLE_EQ(can["weight"].get<double>(), 0.25);
  EXPECT_EQ(can["requests"], 40);
  EXPECT_EQ(can["errors"], 0);
  EXPECT_DOUBLE_EQ(can["error_rate"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(can["latency_ms"]["p50"].get<double>(), 50.0);
  EXPECT_EQ(can["live"]["labels"], 0);
  bool size_drifted = false;
  for (const json& c : can["drift"]["columns"]) {
    if (c["name"] == "size") size_drifted = c["drifted"].get<bool>() && c["status"] == "drift";
    if (c["name"] == "district") {
      EXPECT_FALSE(c["drifted"].get<bool>());
    }
  }
  EXPECT_TRUE(size_drifted) << can["drift"].dump(2);

  // [t0 + 1000, t0 + 2000) holds production's second window only (the first ends where the
  // span starts, the third starts where it ends), the canary's one window, and prediction r2.
  const json middle = Report(t0 + 1000, t0 + 2000);
  ASSERT_EQ(middle["versions"].size(), 2u);
  EXPECT_EQ(middle["versions"][0]["windows"], 1);
  EXPECT_EQ(middle["versions"][0]["requests"], 100);
  EXPECT_EQ(middle["versions"][0]["errors"], 0);
  EXPECT_EQ(middle["versions"][0]["rows"], 200);
  EXPECT_EQ(middle["versions"][0]["live"]["labels"], 1);
  EXPECT_EQ(middle["versions"][1]["windows"], 1);

  // A span before any traffic: no windows, no drift.
  const json before = Report(t0 - 5000, t0 - 1000);
  ASSERT_EQ(before["versions"].size(), 2u);
  EXPECT_EQ(before["versions"][0]["windows"], 0);
  EXPECT_EQ(before["versions"][0]["requests"], 0);
  EXPECT_TRUE(before["versions"][0]["error_rate"].is_null());
  EXPECT_TRUE(before["versions"][0]["latency_ms"]["p50"].is_null());
  EXPECT_TRUE(before["versions"][0]["drift"].is_null());
}

TEST_F(MonitorReportTest, AModelWithoutServedAliasesHasNoVersions) {
  ASSERT_TRUE(
      admin_->CreateVersion({.model = "idle", .bundle_digest = std::string(64, 'a')}, {"x"}));
  auto r = Get("/monitor/report?model=idle", viewer_token_);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json report = json::parse(r->body);
  EXPECT_EQ(report["model"], "idle");
  EXPECT_TRUE(report["versions"].is_array() && report["versions"].empty());
  EXPECT_TRUE(report["since"].is_string());
  EXPECT_TRUE(report["until"].is_string());
}

TEST_F(MonitorReportTest, RefusesBadQueriesNamingWhatIsWrong) {
  ASSERT_TRUE(
      admin_->CreateVersion({.model = "idle", .bundle_digest = std::string(64, 'a')}, {"x"}));
  struct Case {
    std::string target;
    int status;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"/monitor/report", 400, "'model'"},
      {"/monitor/report?since_ms=1&until_ms=2", 400, "'model'"},
      {"/monitor/report?model=nope", 404, "nope"},
      {"/monitor/report?model=idle&since_ms=abc", 400, "'since_ms'"},
      {"/monitor/report?model=idle&until_ms=12x", 400, "'until_ms'"},
      {"/monitor/report?model=idle&since_ms=2000&until_ms=1000", 400, "after 'until_ms'"},
  };
  for (const Case& c : cases) {
    auto r = Get(c.target, viewer_token_);
    ASSERT_TRUE(r) << c.target;
    EXPECT_EQ(r->status, c.status) << c.target << ": " << r->body;
    EXPECT_THAT(r->body, HasSubstr(c.says)) << c.target;
  }
  auto anonymous = Get("/monitor/report?model=idle", "");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401) << anonymous->body;
}

}  // namespace
}  // namespace hone::server
