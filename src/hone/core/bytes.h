// Little-endian binary encoding for hone's own file formats, with a reader that checks every
// bound so that malformed input is an error, never a crash.
#ifndef HONE_CORE_BYTES_H_
#define HONE_CORE_BYTES_H_

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace hone::core {

// hone's formats are little-endian; so is every machine it targets.
static_assert(std::endian::native == std::endian::little);

/// Appends fixed-width values and length-prefixed data to a string.
class ByteWriter {
 public:
  template <typename T>
  requires std::is_trivially_copyable_v<T>
  void Put(const T& value) { out_.append(reinterpret_cast<const char*>(&value), sizeof(T)); }
  /// A u64 count followed by the elements' bytes.
  template <typename T>
  requires std::is_trivially_copyable_v<T>
  void PutArray(const std::vector<T>& values) {
    Put<uint64_t>(values.size());
    if (!values.empty()) {
      out_.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
    }
  }
  /// A u64 length followed by the bytes.
  void PutString(std::string_view s) {
    Put<uint64_t>(s.size());
    out_.append(s);
  }

  const std::string& bytes() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

/// Reads what ByteWriter wrote. After the first failed read, ok() is false and every later
/// read fails too, so a parser may check once at the end of a block.
class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}

  template <typename T>
  requires std::is_trivially_copyable_v<T>
  bool Get(T& value) {
    if (!ok_ || bytes_.size() - pos_ < sizeof(T)) return Stop();
    std::memcpy(&value, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  /// Reads a PutArray; fails if the count exceeds `max_count` or the remaining bytes.
  template <typename T>
  requires std::is_trivially_copyable_v<T>
  bool GetArray(std::vector<T>& values, uint64_t max_count) {
    uint64_t n = 0;
    if (!Get(n)) return false;
    if (n > max_count || n > (bytes_.size() - pos_) / sizeof(T)) return Stop();
    values.resize(n);
    if (n > 0) std::memcpy(values.data(), bytes_.data() + pos_, n * sizeof(T));
    pos_ += n * sizeof(T);
    return true;
  }
  bool GetString(std::string& value, uint64_t max_size) {
    uint64_t n = 0;
    if (!Get(n)) return false;
    if (n > max_size || n > bytes_.size() - pos_) return Stop();
    value.assign(bytes_.data() + pos_, n);
    pos_ += n;
    return true;
  }

  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == bytes_.size(); }
  size_t position() const { return pos_; }

 private:
  bool Stop() {
    ok_ = false;
    return false;
  }
  std::string_view bytes_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace hone::core

#endif  // HONE_CORE_BYTES_H_
