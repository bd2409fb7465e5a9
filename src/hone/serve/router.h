// Which version answers a request that names none: the model's default version (production),
// or its canary for the share of requests the canary alias's traffic weight asks for. A request
// that carries a key (the x-hone-request-key header or ?key=) is placed by a stable hash of the
// model, the key and the canary's version, so one user keeps seeing one version for as long as
// the canary stays the same (and, as the weight grows, users only move towards the canary); a
// request without one is placed by a random draw. Pure functions over a published ModelRoutes:
// no lock, no allocation, a few nanoseconds.
#ifndef HONE_SERVE_ROUTER_H_
#define HONE_SERVE_ROUTER_H_

#include <cstdint>
#include <string_view>

#include "hone/serve/servable.h"

namespace hone::serve {

/// Where a request that names no version carries its key (the header first; the query value
/// is taken as sent, not percent-decoded).
inline constexpr std::string_view kRequestKeyHeader = "x-hone-request-key";
inline constexpr std::string_view kRequestKeyParam = "key";

/// The version a request goes to and the alias it answers for.
struct RouteChoice {
  /// Owned by the routing table the caller holds, valid as long as it; null while no version
  /// is ready.
  const Servable* servable = nullptr;
  /// ModelRoutes::default_alias or ::canary_alias, viewed in the same table.
  std::string_view alias;
  /// Whether the canary's weight took the request from the default version.
  bool canary = false;
};

/// A 64-bit hash of `key` for canary `version` of `model`, the same on every build and
/// platform: FNV-1a over the bytes of the model and the key, then SplitMix64's finaliser over
/// that mixed with the version.
uint64_t RequestKeyHash(std::string_view model, std::string_view key, int64_t version);

/// Whether `draw` (uniform over 64 bits) falls within the first `share` (0–1) of its range: an
/// event of probability `share`. Never for 0, always for 1.
bool DrawWithin(uint64_t draw, double share);

/// Whether requests to the model that name no version are split between its default version
/// and its canary: a canary other than the default, with a weight above 0.
bool SplitsTraffic(const ModelRoutes& routes);

/// Routes a request that names no version. `key`: the request's key, empty when it has none;
/// `random`: a uniform 64-bit draw, used only when `key` is empty and the traffic is split.
RouteChoice RouteRequest(const ModelRoutes& routes, std::string_view key, uint64_t random);

/// A uniform 64-bit draw from this thread's generator (SplitMix64, seeded once per thread from
/// the clock and a process-wide counter). Not for anything that must be reproducible.
uint64_t ThreadRandom();

}  // namespace hone::serve

#endif  // HONE_SERVE_ROUTER_H_
