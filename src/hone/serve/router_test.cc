#include "hone/serve/router.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace hone::serve {
namespace {

ServableHandle Version(int64_t version) {
  auto s = std::make_shared<Servable>();
  s->model = "houses";
  s->version = version;
  return s;
}

/// Production version 1, canary version 2 with `weight`.
ModelRoutes Split(double weight) {
  ModelRoutes routes;
  routes.default_version = Version(1);
  routes.default_alias = "production";
  routes.canary = Version(2);
  routes.canary_alias = "canary";
  routes.canary_weight = weight;
  return routes;
}

TEST(RouterTest, RequestKeyHashIsFixed) {
  // Pinned: a change would move users between versions on upgrade.
  EXPECT_EQ(RequestKeyHash("houses", "user-1", 2), RequestKeyHash("houses", "user-1", 2));
  EXPECT_NE(RequestKeyHash("houses", "user-1", 2), RequestKeyHash("houses", "user-1", 3));
  EXPECT_NE(RequestKeyHash("houses", "user-1", 2), RequestKeyHash("houses", "user-2", 2));
  EXPECT_NE(RequestKeyHash("houses", "user-1", 2), RequestKeyHash("flats", "user-1", 2));
  EXPECT_NE(RequestKeyHash("ab", "c", 1), RequestKeyHash("a", "bc", 1));
  static const uint64_t pinned = RequestKeyHash("houses", "user-1", 2);
  char text[32];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(pinned));
  EXPECT_STREQ(text, "7214c0250141c74c");  // computed independently in Python
}

TEST(RouterTest, DrawWithinEdges) {
  EXPECT_FALSE(DrawWithin(0, 0.0));
  EXPECT_FALSE(DrawWithin(UINT64_MAX, 0.0));
  EXPECT_TRUE(DrawWithin(0, 1.0));
  EXPECT_TRUE(DrawWithin(UINT64_MAX, 1.0));
  EXPECT_TRUE(DrawWithin(UINT64_MAX / 4 - 4096, 0.25));
  EXPECT_FALSE(DrawWithin(UINT64_MAX / 4 + 4096, 0.25));
}

TEST(RouterTest, KeysSplitWithinOnePercentOfTheWeight) {
  for (double weight : {0.01, 0.1, 0.3, 0.5, 0.9}) {
    const ModelRoutes routes = Split(weight);
    int canary = 0;
    constexpr int kKeys = 100000;
    for (int i = 0; i < kKeys; ++i) {
      RouteChoice r = RouteRequest(routes, "user-" + std::to_string(i), 0);
      if (r.canary) {
        ++canary;
        EXPECT_EQ(r.servable, routes.canary.get());
        EXPECT_EQ(r.alias, "canary");
      } else {
        EXPECT_EQ(r.servable, routes.default_version.get());
        EXPECT_EQ(r.alias, "production");
      }
    }
    EXPECT_NEAR(static_cast<double>(canary) / kKeys, weight, 0.01) << "weight " << weight;
  }
}

TEST(RouterTest, RandomDrawsSplitWithinOnePercentOfTheWeight) {
  const ModelRoutes routes = Split(0.3);
  int canary = 0;
  constexpr int kRequests = 100000;
  for (int i = 0; i < kRequests; ++i) canary += RouteRequest(routes, "", ThreadRandom()).canary;
  EXPECT_NEAR(static_cast<double>(canary) / kRequests, 0.3, 0.01);
}

TEST(RouterTest, AKeyStaysWithItsVersionWhileTheCanaryStaysTheSame) {
  ModelRoutes routes = Split(0.3);
  std::set<std::string> on_canary;
  for (int i = 0; i < 1000; ++i) {
    const std::string key = "user-" + std::to_string(i);
    const RouteChoice first = RouteRequest(routes, key, 0);
    for (uint64_t random : {uint64_t{0}, UINT64_MAX, uint64_t{12345}}) {
      EXPECT_EQ(RouteRequest(routes, key, random).servable, first.servable) << key;
    }
    if (first.canary) on_canary.insert(key);
  }
  // A larger weight keeps everyone who was on the canary there.
  routes.canary_weight = 0.6;
  for (const std::string& key : on_canary) EXPECT_TRUE(RouteRequest(routes, key, 0).canary);
  // A new canary version draws its own users.
  routes.canary = Version(3);
  routes.canary_weight = 0.3;
  int same = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string key = "user-" + std::to_string(i);
    same += RouteRequest(routes, key, 0).canary == on_canary.contains(key);
  }
  EXPECT_LT(same, 900);  // independent draws agree on ~58%
}

TEST(RouterTest, WeightEdgesAndMissingVersions) {
  // Weight 0: production, whatever the draw.
  ModelRoutes zero = Split(0.0);
  EXPECT_FALSE(SplitsTraffic(zero));
  for (uint64_t random : {uint64_t{0}, UINT64_MAX}) {
    EXPECT_EQ(RouteRequest(zero, "", random).servable, zero.default_version.get());
    EXPECT_EQ(RouteRequest(zero, "k", random).alias, "production");
  }
  // Weight 1: the canary, whatever the draw or key.
  ModelRoutes one = Split(1.0);
  EXPECT_TRUE(SplitsTraffic(one));
  for (uint64_t random : {uint64_t{0}, UINT64_MAX}) {
    EXPECT_EQ(RouteRequest(one, "", random).servable, one.canary.get());
    EXPECT_EQ(RouteRequest(one, std::to_string(random), random).alias, "canary");
  }
  // No canary: production.
  ModelRoutes production_only = Split(0.5);
  production_only.canary = nullptr;
  EXPECT_FALSE(SplitsTraffic(production_only));
  EXPECT_EQ(RouteRequest(production_only, "", 0).servable, production_only.default_version.get());
  // The canary is the default (the model manager makes it so when production has no version
  // ready): it answers, under its own alias.
  ModelRoutes canary_only = Split(0.5);
  canary_only.default_version = canary_only.canary;
  canary_only.default_alias = "canary";
  EXPECT_FALSE(SplitsTraffic(canary_only));
  const RouteChoice c = RouteRequest(canary_only, "", UINT64_MAX);
  EXPECT_EQ(c.servable, canary_only.canary.get());
  EXPECT_EQ(c.alias, "canary");
  // Nothing ready.
  EXPECT_EQ(RouteRequest(ModelRoutes{}, "k", 0).servable, nullptr);
}

TEST(RouterTest, RoutingCostsWellUnderAMicrosecond) {
  const ModelRoutes routes = Split(0.3);
  constexpr int kRequests = 200000;
  int canary = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRequests; ++i) {
    canary += RouteRequest(routes, i % 2 ? "a-user-key-of-some-length" : "", ThreadRandom()).canary;
  }
  const double ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
      kRequests;
  std::printf("%.1f ns per routed request (%d to the canary)\n", ns, canary);
#ifdef NDEBUG
  EXPECT_LT(ns, 1000.0);  // tens of nanoseconds optimised; the bound allows a busy machine
#else
  EXPECT_LT(ns, 20000.0);  // unoptimised and sanitized: only a gross regression fails
#endif
}

}  // namespace
}  // namespace hone::serve
