#include "hone/learn/xgb/xgboost_json.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

namespace hone::learn::xgb {
namespace {

using Json = nlohmann::json;

// JSON text as XGBoost writes it (RFC 8259, plus the numbers NaN, Infinity and -Infinity that
// nlohmann's parser refuses), read into a document: integers stay integers and every other
// number becomes a float32, as XGBoost's own reader types them. Refuses a key repeated in an
// object (two readers may keep different ones) and nesting deeper than UBJSON's check allows.
class JsonText {
 public:
  explicit JsonText(std::string_view text) : text_(text) {}

  Result<Json> Read() {
    Json doc;
    if (!Value(doc, 0)) return Bad();
    SkipSpace();
    if (pos_ != text_.size()) {
      Stop(pos_, "text follows the model");
      return Bad();
    }
    return doc;
  }

 private:
  static constexpr int kMaxDepth = 64;

  bool Value(Json& out, int depth) {
    SkipSpace();
    if (pos_ == text_.size()) return Stop(pos_, "the text ends before a value");
    char c = text_[pos_];
    if (c == '{' || c == '[') {
      if (depth == kMaxDepth) return Stop(pos_, "objects and arrays nest too deeply");
      ++pos_;
      return c == '{' ? Object(out, depth + 1) : Array(out, depth + 1);
    }
    if (c == '"') {
      std::string s;
      if (!String(s)) return false;
      out = std::move(s);
      return true;
    }
    constexpr float kInf = std::numeric_limits<float>::infinity();
    static const std::pair<const char*, Json> words[] = {{"true", true},     {"false", false},
                                                         {"null", nullptr},  {"NaN", std::nan("")},
                                                         {"Infinity", kInf}, {"-Infinity", -kInf}};
    for (const auto& [word, value] : words) {
      if (text_.substr(pos_).starts_with(word)) {
        pos_ += std::string_view(word).size();
        out = value;
        return true;
      }
    }
    return Number(out);
  }

  bool Object(Json& out, int depth) {
    out = Json::object();
    SkipSpace();
    if (Take('}')) return true;
    do {
      SkipSpace();
      size_t at = pos_;
      std::string key;
      if (!Take('"')) return Stop(pos_, "expected an object's key");
      --pos_;
      if (!String(key)) return false;
      SkipSpace();
      if (!Take(':')) return Stop(pos_, "expected ':' after a key");
      if (out.contains(key)) return Stop(at, "the key '" + key + "' appears twice in an object");
      if (!Value(out[key], depth)) return false;
      SkipSpace();
    } while (Take(','));
    return Take('}') || Stop(pos_, "expected ',' or '}' in an object");
  }

  bool Array(Json& out, int depth) {
    out = Json::array();
    SkipSpace();
    if (Take(']')) return true;
    do {
      out.push_back(nullptr);
      if (!Value(out.back(), depth)) return false;
      SkipSpace();
    } while (Take(','));
    return Take(']') || Stop(pos_, "expected ',' or ']' in an array");
  }

  bool String(std::string& out) {
    size_t at = pos_++;  // the opening quote
    while (true) {
      if (pos_ == text_.size()) return Stop(at, "a string is not closed");
      char c = text_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return Stop(pos_ - 1, "a control byte in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ == text_.size()) return Stop(at, "a string is not closed");
      char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          uint32_t code = 0;
          if (!Hex4(code)) return false;
          if (code >= 0xD800 && code < 0xDC00) {
            uint32_t low = 0;
            if (!Take('\\') || !Take('u') || !Hex4(low) || low < 0xDC00 || low >= 0xE000) {
              return Stop(pos_, "a lone UTF-16 surrogate in a string");
            }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          } else if (code >= 0xDC00 && code < 0xE000) {
            return Stop(pos_, "a lone UTF-16 surrogate in a string");
          }
          AppendUtf8(code, out);
          break;
        }
        default:
          return Stop(pos_ - 1, "an unknown escape in a string");
      }
    }
  }

  bool Hex4(uint32_t& code) {
    if (text_.size() - pos_ < 4) return Stop(pos_, "a \\u escape without four hex digits");
    auto [end, ec] = std::from_chars(text_.data() + pos_, text_.data() + pos_ + 4, code, 16);
    if (ec != std::errc() || end != text_.data() + pos_ + 4) {
      return Stop(pos_, "a \\u escape without four hex digits");
    }
    pos_ += 4;
    return true;
  }

  static void AppendUtf8(uint32_t code, std::string& out) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  // -?digits(.digits)?([eE][+-]?digits)?
  bool Number(Json& out) {
    size_t at = pos_;
    Take('-');
    bool whole = true;
    if (!Digits()) return Stop(at, "expected a value");
    if (Take('.')) {
      whole = false;
      if (!Digits()) return Stop(at, "a number without digits after its '.'");
    }
    if (Take('e') || Take('E')) {
      whole = false;
      if (!Take('+')) Take('-');
      if (!Digits()) return Stop(at, "a number without digits in its exponent");
    }
    const char* begin = text_.data() + at;
    const char* end = text_.data() + pos_;
    if (whole) {
      int64_t n = 0;
      auto [stop, ec] = std::from_chars(begin, end, n);
      if (ec != std::errc() || stop != end) return Stop(at, "an integer out of range");
      out = n;
      return true;
    }
    float f = 0;
    auto [stop, ec] = std::from_chars(begin, end, f);
    if (ec != std::errc() || stop != end) return Stop(at, "a number out of float32's range");
    out = static_cast<double>(f);
    return true;
  }

  bool Digits() {
    size_t at = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    return pos_ > at;
  }

  bool Take(char c) {
    if (pos_ == text_.size() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Stop(size_t at, std::string why) {
    error_at_ = at;
    why_ = std::move(why);
    return false;
  }
  Result<Json> Bad() const {
    return Fail(ErrorCode::kInvalidData, "not JSON as XGBoost writes it: " + why_ + " (byte " +
                                             std::to_string(error_at_) + ")");
  }

  std::string_view text_;
  size_t pos_ = 0;
  size_t error_at_ = 0;
  std::string why_;
};

}  // namespace

Result<Json> ReadXgboostJson(std::string_view text) { return JsonText(text).Read(); }

}  // namespace hone::learn::xgb
