// The string interning behind categorical columns while a CSV is parsed.
#ifndef HONE_CORE_CSV_DICTIONARY_H_
#define HONE_CORE_CSV_DICTIONARY_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <forward_list>
#include <string>
#include <string_view>
#include <vector>

namespace hone::core::csv_internal {

// Interns strings in order of first appearance. Keys are views: of the parsed text (which
// outlives the dictionary's use) or of strings the dictionary owns. Open addressing keeps
// lookups free of allocation, which matters at one lookup per categorical cell.
class Dictionary {
 public:
  int32_t Intern(std::string_view key, bool key_outlives_dictionary) {
    if (slots_.empty()) slots_.assign(16, -1);
    size_t hash = Hash(key);
    size_t mask = slots_.size() - 1;
    size_t i = hash & mask;
    for (; slots_[i] >= 0; i = (i + 1) & mask) {
      int32_t code = slots_[i];
      if (hashes_[code] == hash && Equal(entries_[code], key)) return code;
    }
    if (!key_outlives_dictionary) key = owned_.emplace_front(key);
    auto code = static_cast<int32_t>(entries_.size());
    entries_.push_back(key);
    hashes_.push_back(hash);
    slots_[i] = code;
    if (entries_.size() * 2 > slots_.size()) Rehash();
    return code;
  }
  const std::vector<std::string_view>& entries() const { return entries_; }

 private:
  // Categories are mostly short words: hash and compare them inline, 8 bytes at a time, rather
  // than through library calls.
  static uint64_t Load(const char* p, size_t n) {
    uint64_t word = 0;
    std::memcpy(&word, p, n);
    return word;
  }
  static size_t Hash(std::string_view key) {
    uint64_t h = key.size() * 0x9E3779B97F4A7C15ull;
    size_t i = 0;
    for (; i + 8 <= key.size(); i += 8) h = (h ^ Load(key.data() + i, 8)) * 0xBF58476D1CE4E5B9ull;
    h = (h ^ Load(key.data() + i, key.size() - i)) * 0x94D049BB133111EBull;
    return static_cast<size_t>(h ^ (h >> 29));
  }
  static bool Equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    if (a.size() <= 8) return Load(a.data(), a.size()) == Load(b.data(), b.size());
    return std::memcmp(a.data(), b.data(), a.size()) == 0;
  }

  void Rehash() {
    slots_.assign(slots_.size() * 2, -1);
    size_t mask = slots_.size() - 1;
    for (size_t code = 0; code < entries_.size(); ++code) {
      size_t i = hashes_[code] & mask;
      while (slots_[i] >= 0) i = (i + 1) & mask;
      slots_[i] = static_cast<int32_t>(code);
    }
  }

  std::vector<std::string_view> entries_;
  std::vector<size_t> hashes_;
  std::vector<int32_t> slots_;  // entry code, or -1 for a free slot
  // A list never moves its strings, so views stay valid; and costs nothing while empty, the
  // usual case (only quoted cells with doubled quotes need a copy).
  std::forward_list<std::string> owned_;
};

}  // namespace hone::core::csv_internal

#endif  // HONE_CORE_CSV_DICTIONARY_H_
