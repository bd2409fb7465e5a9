// Hot swap under load: the real server, manager and registry source on a SQLite store, clients
// sending requests over loopback while the production alias moves 50 times. No request may
// fail, and every answer must come from a version that was live when it was answered.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "hone/registry/registry.h"
#include "hone/serve/http_server.h"
#include "hone/serve/registry_source.h"
#include "hone/serve/service.h"
#include "hone/serve/testing/http_client.h"
#include "hone/serve/testing/trained_models.h"

namespace hone::serve {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr int kPromotions = 50;
constexpr int kClients = 4;

struct Answer {
  Clock::time_point sent, received;
  int version = 0;
};

TEST(HotSwapTest, FiftyPromotionsUnderLoadDropNothing) {
  const fs::path dir = fs::temp_directory_path() / ("hone_hot_swap_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const store::StoreOptions where{.store = (dir / ".hone").string(), .create = true};
  auto opened = store::OpenStore(where);
  ASSERT_TRUE(opened) << opened.error().message();
  registry::Registry registry(*opened->meta, opened->artifacts, store::Actor{"hot-swap-test"});
  // Versions 1..51 of one model. Different bytes per version would only slow the test: the
  // manager loads, verifies and warms up each version all the same.
  const std::string bundle = learn::EncodeBundle(testing::TrainHouses("price", "random_forest"));
  for (int v = 1; v <= kPromotions + 1; ++v) {
    ASSERT_TRUE(registry.Register(store::NewVersion{.model = "houses"}, bundle));
  }
  ASSERT_TRUE(registry.Promote("houses", 1, "production"));

  StoreOpener open = [where]() {
    auto options = where;
    options.create = false;
    return store::OpenStore(options);
  };
  ModelManager manager(ManagerOptions{}, MakeRegistryLoader(open, 4));
  RegistrySourceOptions source_options;
  source_options.poll_interval = std::chrono::milliseconds(20);
  auto source = RegistrySource::Start(source_options, open, [&](std::vector<AspiredVersion> a) {
    manager.SetAspiredVersions(std::move(a));
  });
  ASSERT_TRUE(source) << source.error().message();
  ASSERT_TRUE(manager.WaitIdle(std::chrono::seconds(30)));
  InferenceService service(ServiceOptions{}, manager);
  auto server =
      HttpServer::Start({.port = 0, .threads = 2},
                        [&](const HttpRequest& q, HttpResponse& r) { service.Handle(q, r); });
  ASSERT_TRUE(server) << server.error().message();
  const uint16_t port = (*server)->port();

  // When each version became production: promoted[v] is the time just before the move.
  std::vector<Clock::time_point> promoted(kPromotions + 2, Clock::time_point::max());
  promoted[1] = Clock::now();
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::mutex mu;
  std::string first_failure;
  std::vector<std::vector<Answer>> answers(kClients);
  const std::string body = R"({"inputs": [
      {"name": "size", "shape": [1], "datatype": "FP32", "data": [120.5]},
      {"name": "district", "shape": [1], "datatype": "BYTES", "data": ["south"]}]})";
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      testing::HttpClient client(port);
      while (!stop.load()) {
        Answer a;
        a.sent = Clock::now();
        auto r = client.Send("POST", "/v2/models/houses/infer", body);
        a.received = Clock::now();
        std::string problem;
        if (!r) {
          problem = "no response";
        } else if (r->status != 200) {
          problem = "status " + std::to_string(r->status) + ": " + r->body;
        } else {
          auto parsed = nlohmann::json::parse(r->body, nullptr, /*allow_exceptions=*/false);
          if (parsed.is_discarded() || !parsed["outputs"][0]["data"][0].is_number() ||
              parsed["model_version"] != r->header("x-hone-model-version")) {
            problem = "malformed response: " + r->body;
          } else {
            a.version = std::stoi(r->header("x-hone-model-version"));
          }
        }
        if (!problem.empty()) {
          failures.fetch_add(1);
          std::lock_guard lock(mu);
          if (first_failure.empty()) first_failure = problem;
          continue;
        }
        answers[c].push_back(a);
      }
    });
  }

  auto mover_store = open();
  ASSERT_TRUE(mover_store);
  registry::Registry mover(*mover_store->meta, mover_store->artifacts, store::Actor{"mover"});
  for (int v = 2; v <= kPromotions + 1; ++v) {
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
    promoted[v] = Clock::now();
    ASSERT_TRUE(mover.Promote("houses", v, "production"));
  }
  // Let the last promotion arrive, then stop the load.
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline) {
    auto routes = manager.Routes();
    const auto& m = routes->models.at("houses");
    if (m.default_version && m.default_version->version == kPromotions + 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  stop = true;
  for (auto& t : clients) t.join();
  (*server)->Stop();
  (*source)->Stop();

  EXPECT_EQ(failures.load(), 0) << first_failure;
  size_t total = 0;
  std::vector<int> seen;
  for (const auto& list : answers) {
    int last = 0;
    for (const Answer& a : list) {
      ++total;
      seen.push_back(a.version);
      // Never a version promoted after the answer arrived, never an older one than the client
      // already saw (the routing table only moves forward here).
      ASSERT_GE(a.version, 1);
      ASSERT_LE(a.version, kPromotions + 1);
      EXPECT_LT(promoted[a.version], a.received) << "version " << a.version << " answered early";
      EXPECT_GE(a.version, last) << "went back from version " << last;
      last = a.version;
    }
  }
  std::sort(seen.begin(), seen.end());
  seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
  std::printf("%zu requests, %zu distinct versions answered, %d failures\n", total, seen.size(),
              failures.load());
  EXPECT_GT(total, 200u);
  EXPECT_GE(seen.size(), 10u) << "the swaps did not happen under load";
  EXPECT_EQ(seen.back(), kPromotions + 1);
  fs::remove_all(dir);
}

// Canary weights and versions change under load, through SetAspiredVersions as the registry
// source would call it: no request fails, and every answer comes from the version its alias
// could point at.
TEST(HotSwapTest, CanaryWeightsChangeUnderLoadDropNothing) {
  auto loader = std::make_unique<testing::MemoryLoader>();
  const learn::Bundle bundle = testing::TrainHouses("price", "gbdt");
  for (int v = 1; v <= 4; ++v) loader->Add("houses", v, bundle);
  ModelManager manager(ManagerOptions{}, std::move(loader));
  auto aspire = [&](int64_t canary, double weight) {
    manager.SetAspiredVersions({{"houses", 1, {"production"}},
                                {"houses", canary, {"canary"}, {{"canary", weight}}},
                                {"houses", 4, {"shadow"}}});
  };
  aspire(2, 0.0);
  ASSERT_TRUE(manager.WaitIdle(std::chrono::seconds(30)));
  InferenceService service(ServiceOptions{}, manager);
  auto server =
      HttpServer::Start({.port = 0, .threads = 2},
                        [&](const HttpRequest& q, HttpResponse& r) { service.Handle(q, r); });
  ASSERT_TRUE(server) << server.error().message();
  const uint16_t port = (*server)->port();

  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, production{0}, canary{0};
  std::mutex mu;
  std::string first_failure;
  const std::string body = R"({"inputs": [
      {"name": "size", "shape": [1], "datatype": "FP32", "data": [120.5]},
      {"name": "district", "shape": [1], "datatype": "BYTES", "data": ["south"]}]})";
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      testing::HttpClient client(port);
      for (int i = 0; !stop.load(); ++i) {
        // Half the clients send keys, half none.
        const std::string target =
            "/v2/models/houses/infer" + (c % 2 ? "?key=u" + std::to_string(i % 50) : "");
        auto r = client.Send("POST", target, body);
        std::string problem;
        if (!r) {
          problem = "no response";
        } else if (r->status != 200) {
          problem = "status " + std::to_string(r->status) + ": " + r->body;
        } else {
          const std::string alias = r->header("x-hone-alias");
          const std::string version = r->header("x-hone-model-version");
          if (alias == "production" && version == "1") {
            production.fetch_add(1);
          } else if (alias == "canary" && (version == "2" || version == "3")) {
            canary.fetch_add(1);
          } else {
            problem = "alias '" + alias + "' answered by version " + version;
          }
        }
        if (!problem.empty()) {
          failures.fetch_add(1);
          std::lock_guard lock(mu);
          if (first_failure.empty()) first_failure = problem;
        }
      }
    });
  }
  // 40 changes of weight, and of canary version every 10, 20 ms apart.
  const double weights[] = {0.0, 0.25, 0.5, 1.0, 0.1, 0.75, 0.0, 0.3};
  for (int i = 0; i < 40; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    aspire(i / 10 % 2 ? 3 : 2, weights[i % 8]);
  }
  aspire(3, 1.0);
  ASSERT_TRUE(manager.WaitIdle(std::chrono::seconds(30)));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  stop = true;
  for (auto& t : clients) t.join();
  // Once the last set is published, everything goes to the canary.
  testing::HttpClient client(port);
  auto last = client.Send("POST", "/v2/models/houses/infer", body);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->header("x-hone-alias"), "canary");
  EXPECT_EQ(last->header("x-hone-model-version"), "3");
  (*server)->Stop();

  EXPECT_EQ(failures.load(), 0) << first_failure;
  std::printf("%d answers from production, %d from the canary\n", production.load(), canary.load());
  EXPECT_GT(production.load(), 0);
  EXPECT_GT(canary.load(), 0);
  // The shadow saw copies of production's answers, off the response path.
  ASSERT_TRUE(service.shadow().WaitIdle(std::chrono::seconds(30)));
  auto routes = manager.Routes();
  const Servable& shadow = *routes->models.at("houses").versions.at(4);
  EXPECT_EQ(shadow.stats.requests(StatusSlot(200)) + service.shadow().dropped(),
            static_cast<uint64_t>(production.load()));
}

}  // namespace
}  // namespace hone::serve
