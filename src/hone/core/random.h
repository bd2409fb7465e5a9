// A seeded random generator whose stream is the same on every machine and standard library.
#ifndef HONE_CORE_RANDOM_H_
#define HONE_CORE_RANDOM_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace hone::core {

/// xoshiro256** seeded through SplitMix64. Small, fast, and fully specified, unlike the
/// distributions of <random>. Not thread-safe: one per thread or per task.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  /// A generator for sub-task `index` of a seeded job (a tree, a fold): independent of
  /// which thread runs it.
  static Rng ForTask(uint64_t seed, uint64_t index);

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  /// Uniform in [0, bound), bound > 0, without modulo bias (Lemire's multiply-shift).
  uint64_t Below(uint64_t bound) {
    __extension__ using Uint128 = unsigned __int128;
    Uint128 m = static_cast<Uint128>(Next()) * bound;
    auto low = static_cast<uint64_t>(m);
    if (low < bound) {
      uint64_t threshold = -bound % bound;
      while (low < threshold) {
        m = static_cast<Uint128>(Next()) * bound;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }
  /// Uniform in [0, 1), 53 bits.
  double Uniform();
  /// Fisher–Yates shuffle.
  template <typename T>
  void Shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[Below(i)]);
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace hone::core

#endif  // HONE_CORE_RANDOM_H_
