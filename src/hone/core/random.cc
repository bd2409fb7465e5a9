#include "hone/core/random.h"

namespace hone::core {
namespace {

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

Rng::Rng(uint64_t seed) {
  for (uint64_t& s : s_) s = SplitMix64(seed);
}

Rng Rng::ForTask(uint64_t seed, uint64_t index) {
  uint64_t mixed = seed ^ (0xd1b54a32d192ed03ULL * (index + 1));
  return Rng(SplitMix64(mixed));
}

double Rng::Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

}  // namespace hone::core
