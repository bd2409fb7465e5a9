#include "hone/learn/xgb/ubjson.h"

#include <cstdint>
#include <string>
#include <vector>

namespace hone::learn::xgb {
namespace {

constexpr size_t kMaxDepth = 64;

// Bytes of a fixed-size scalar after its marker, or 0 for a marker that is not one.
size_t ScalarSize(char marker) {
  switch (marker) {
    case 'Z':
    case 'T':
    case 'F':
      return 0;
    case 'i':
    case 'U':
      return 1;
    case 'I':
      return 2;
    case 'l':
    case 'd':
      return 4;
    case 'L':
    case 'D':
      return 8;
    default:
      return SIZE_MAX;
  }
}

// Element size of a typed array ('[' '$' t), or 0 for a type XGBoost does not write.
size_t TypedSize(char type) {
  switch (type) {
    case 'U':
      return 1;
    case 'l':
    case 'd':
      return 4;
    case 'L':
      return 8;
    default:
      return 0;
  }
}

class Scanner {
 public:
  explicit Scanner(std::string_view bytes) : bytes_(bytes) {}

  Result<void> Run() {
    if (bytes_.empty() || bytes_[0] != '{') return Bad(0, "the model is not a UBJSON object");
    if (!Value()) return Bad();
    // An open container: objects until their '}', counted arrays until their last element.
    while (!open_.empty()) {
      Open& top = open_.back();
      if (top.object) {
        char c = 0;
        if (!Next(c, "an object's key or its end")) return Bad();
        if (c == '}') {
          open_.pop_back();
          continue;
        }
        if (c != 'L') return Bad(pos_ - 1, "expected an object's key ('L' and its length)");
        --pos_;  // Length reads the 'L' again
        uint64_t n = 0;
        if (!Length(n, 1) || !Skip(n)) return Bad();
      } else {
        if (top.left == 0) {
          open_.pop_back();
          continue;
        }
        --top.left;
      }
      if (!Value()) return Bad();
    }
    if (pos_ != bytes_.size()) return Bad(pos_, "bytes follow the model");
    return {};
  }

 private:
  struct Open {
    bool object;
    uint64_t left;  // array elements still to read
  };

  // Reads one value; a container is pushed onto open_ and read by Run.
  bool Value() {
    size_t at = pos_;
    char marker = 0;
    if (!Next(marker, "a value")) return false;
    if ((marker == '{' || marker == '[') && open_.size() == kMaxDepth) {
      return Stop(at, "containers nest too deeply");
    }
    if (marker == '{') {
      open_.push_back({true, 0});
      return true;
    }
    if (marker == '[') {
      char c = 0;
      if (!Next(c, "an array's count")) return false;
      uint64_t n = 0;
      if (c == '$') {
        char type = 0;
        if (!Next(type, "an array's type")) return false;
        size_t size = TypedSize(type);
        if (size == 0) return Stop(pos_ - 1, "an array of an unknown type");
        if (!Expect('#') || !Length(n, size)) return false;
        return Skip(n * size);
      }
      if (c != '#') return Stop(pos_ - 1, "an array without a count");
      // Every element takes at least one byte.
      if (!Length(n, 1)) return false;
      open_.push_back({false, n});
      return true;
    }
    if (marker == 'S') {
      uint64_t n = 0;
      return Length(n, 1) && Skip(n);
    }
    size_t size = ScalarSize(marker);
    if (size == SIZE_MAX) return Stop(at, "an unknown value type");
    return Skip(size);
  }

  // A count or length: 'L' and a big-endian int64 of `unit`-byte items that fit in the rest.
  bool Length(uint64_t& n, size_t unit) {
    size_t at = pos_;
    if (!Expect('L')) return false;
    if (bytes_.size() - pos_ < 8) return Stop(pos_, "the bytes end inside a length");
    n = 0;
    for (int i = 0; i < 8; ++i) n = (n << 8) | static_cast<unsigned char>(bytes_[pos_ + i]);
    pos_ += 8;
    if (n > (bytes_.size() - pos_) / unit) {
      return Stop(at, "a length of " + std::to_string(static_cast<int64_t>(n)) +
                          " overruns the model's " + std::to_string(bytes_.size()) + " bytes");
    }
    return true;
  }

  bool Expect(char want) {
    char c = 0;
    if (!Next(c, std::string("'") + want + "'")) return false;
    if (c != want) return Stop(pos_ - 1, std::string("expected '") + want + "'");
    return true;
  }

  bool Next(char& c, const std::string& what) {
    if (pos_ == bytes_.size()) return Stop(pos_, "the bytes end before " + what);
    c = bytes_[pos_++];
    return true;
  }

  bool Skip(uint64_t n) {
    if (n > bytes_.size() - pos_) return Stop(pos_, "the bytes end inside a value");
    pos_ += n;
    return true;
  }

  bool Stop(size_t at, std::string why) {
    error_at_ = at;
    why_ = std::move(why);
    return false;
  }
  Result<void> Bad(size_t at, std::string why) {
    Stop(at, std::move(why));
    return Bad();
  }
  Result<void> Bad() const {
    return Fail(ErrorCode::kInvalidData, "not UBJSON as XGBoost writes it: " + why_ + " (byte " +
                                             std::to_string(error_at_) + ")");
  }

  std::string_view bytes_;
  size_t pos_ = 0;
  std::vector<Open> open_;
  size_t error_at_ = 0;
  std::string why_;
};

}  // namespace

Result<void> CheckUbjson(std::string_view bytes) { return Scanner(bytes).Run(); }

}  // namespace hone::learn::xgb
