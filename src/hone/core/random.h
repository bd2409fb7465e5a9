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

  uint64_t Next();
  /// Uniform in [0, bound), bound > 0, without modulo bias.
  uint64_t Below(uint64_t bound);
  /// Uniform in [0, 1), 53 bits.
  double Uniform();
  /// Fisher–Yates shuffle.
  template <typename T>
  void Shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[Below(i)]);
  }

 private:
  uint64_t s_[4];
};

}  // namespace hone::core

#endif  // HONE_CORE_RANDOM_H_
