#include "hone/serve/router.h"

#include <atomic>
#include <chrono>

namespace hone::serve {
namespace {

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
constexpr uint64_t kFnvPrime = 0x100000001b3ULL;
constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

uint64_t Fnv1a(uint64_t hash, std::string_view bytes) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= kFnvPrime;
  }
  return hash;
}

/// SplitMix64's output function: every input bit reaches every output bit.
constexpr uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::atomic<uint64_t> thread_seeds{0};

uint64_t SeedThisThread() {
  const auto now =
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return Mix(now ^ Mix(thread_seeds.fetch_add(1, std::memory_order_relaxed) * kGolden));
}

}  // namespace

uint64_t RequestKeyHash(std::string_view model, std::string_view key, int64_t version) {
  uint64_t hash = Fnv1a(kFnvOffset, model);
  hash = Fnv1a(hash, std::string_view("\0", 1));  // "ab"+"c" and "a"+"bc" differ
  hash = Fnv1a(hash, key);
  return Mix(hash ^ Mix(static_cast<uint64_t>(version) + kGolden));
}

bool DrawWithin(uint64_t draw, double share) {
  // The top 53 bits as a double in [0, 1), exactly.
  return static_cast<double>(draw >> 11) * 0x1.0p-53 < share;
}

bool SplitsTraffic(const ModelRoutes& routes) {
  return routes.canary_weight > 0 && routes.canary && routes.default_version &&
         routes.canary != routes.default_version;
}

RouteChoice RouteRequest(const ModelRoutes& routes, std::string_view key, uint64_t random) {
  if (SplitsTraffic(routes)) {
    const uint64_t draw =
        key.empty() ? random : RequestKeyHash(routes.canary->model, key, routes.canary->version);
    if (DrawWithin(draw, routes.canary_weight)) {
      return {routes.canary.get(), routes.canary_alias, true};
    }
  }
  return {routes.default_version.get(), routes.default_alias, false};
}

uint64_t ThreadRandom() {
  thread_local uint64_t state = SeedThisThread();
  state += kGolden;
  return Mix(state);
}

}  // namespace hone::serve
