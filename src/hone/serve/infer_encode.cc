// The response encoders of infer_codec.h: JSON appended to one string, floats in their shortest
// round-trip text. nlohmann only for error bodies and strings that are not valid UTF-8.
#include <charconv>
#include <cmath>
#include <string>

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "hone/serve/infer_codec.h"

namespace hone::serve {

namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendEscapedSlow(std::string& out, std::string_view text) {
  out += nlohmann::json(std::string(text))
             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Appends `text` as a JSON string; invalid UTF-8 becomes U+FFFD.
void AppendString(std::string& out, std::string_view text) {
  bool ascii = true;
  for (char c : text) ascii &= static_cast<unsigned char>(c) < 0x80;
  if (!ascii && !simdjson::validate_utf8(text.data(), text.size())) {
    AppendEscapedSlow(out, text);
    return;
  }
  out += '"';
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      switch (c) {
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default:
          out += "\\u00";
          out += kHex[u >> 4];
          out += kHex[u & 0xF];
      }
    } else {
      out += c;
    }
  }
  out += '"';
}

void AppendFloat(std::string& out, float value) {
  if (!std::isfinite(value)) {
    out += "null";  // JSON has no NaN or infinity
    return;
  }
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, result.ptr);
}

void AppendUnsigned(std::string& out, uint64_t value) {
  char buffer[24];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, result.ptr);
}

// A JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?; `integer` allows only the first
// part, with at most 18 digits so that it fits INT64.
bool IsJsonNumber(std::string_view s, bool integer) {
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  size_t first = i;
  size_t n = digits();
  if (n == 0 || (n > 1 && s[first] == '0')) return false;
  if (integer) return i == s.size() && n <= 18;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

bool AllLabels(const learn::TargetInfo& target, bool integer) {
  for (const std::string& label : target.classes) {
    if (!IsJsonNumber(label, integer)) return false;
  }
  return !target.classes.empty();
}

void AppendLabel(std::string& out, const learn::TargetInfo& target, size_t c, bool as_number) {
  if (c >= target.classes.size()) {
    AppendUnsigned(out, c);  // a model with more outputs than labels; not expected
  } else if (as_number) {
    out += target.classes[c];
  } else {
    AppendString(out, target.classes[c]);
  }
}

// The index of the largest value of each row; the first on ties, NaN never wins.
size_t Argmax(const float* p, size_t k) {
  size_t best = 0;
  for (size_t c = 1; c < k; ++c) {
    if (p[c] > p[best] || (std::isnan(p[best]) && !std::isnan(p[c]))) best = c;
  }
  return best;
}

void AppendPredictedLabels(std::string& out, const learn::TargetInfo& target,
                           const Predictions& predictions, bool as_number) {
  out += '[';
  const size_t k = predictions.num_outputs;
  for (size_t r = 0; r < predictions.rows; ++r) {
    if (r > 0) out += ',';
    AppendLabel(out, target, Argmax(predictions.outputs.data() + r * k, k), as_number);
  }
  out += ']';
}

void AppendValues(std::string& out, std::span<const float> values) {
  out += '[';
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    AppendFloat(out, values[i]);
  }
  out += ']';
}

void CheckShape(const Predictions& predictions) {
  HONE_CHECK(predictions.num_outputs >= 1);
  HONE_CHECK(predictions.outputs.size() >= predictions.rows * predictions.num_outputs);
}

}  // namespace

std::string EncodeOipResponse(std::string_view model, int64_t version, std::string_view id,
                              const learn::TargetInfo& target, const Predictions& predictions) {
  CheckShape(predictions);
  const size_t rows = predictions.rows, k = predictions.num_outputs;
  std::string out;
  out.reserve(128 + rows * k * 14);
  out += "{\"model_name\":";
  AppendString(out, model);
  out += ",\"model_version\":\"" + std::to_string(version) + "\"";
  if (!id.empty()) {
    out += ",\"id\":";
    AppendString(out, id);
  }
  out += ",\"outputs\":[{\"name\":\"predictions\",\"datatype\":\"";
  if (!learn::IsClassification(target.task)) {
    out += "FP32\",\"shape\":[";
    AppendUnsigned(out, rows);
    out += "],\"data\":";
    AppendValues(out, predictions.outputs.first(rows * k));
    out += "}]}";
    return out;
  }
  const bool integers = LabelsAreInt64(target);
  out += integers ? "INT64" : "BYTES";
  out += "\",\"shape\":[";
  AppendUnsigned(out, rows);
  out += "],\"data\":";
  AppendPredictedLabels(out, target, predictions, integers);
  out += "},{\"name\":\"probabilities\",\"datatype\":\"FP32\",\"shape\":[";
  AppendUnsigned(out, rows);
  out += ',';
  AppendUnsigned(out, k);
  out += "],\"data\":";
  AppendValues(out, predictions.outputs.first(rows * k));
  out += ",\"parameters\":{\"classes\":[";
  for (size_t c = 0; c < k; ++c) {
    if (c > 0) out += ',';
    AppendLabel(out, target, c, integers);
  }
  out += "]}}]}";
  return out;
}

std::string EncodeMlflowResponse(const learn::TargetInfo& target, const Predictions& predictions) {
  CheckShape(predictions);
  std::string out;
  out.reserve(32 + predictions.rows * 14);
  out += "{\"predictions\":";
  if (learn::IsClassification(target.task)) {
    AppendPredictedLabels(out, target, predictions, AllLabels(target, /*integer=*/false));
  } else {
    AppendValues(out, predictions.outputs.first(predictions.rows * predictions.num_outputs));
  }
  out += '}';
  return out;
}

bool LabelsAreInt64(const learn::TargetInfo& target) { return AllLabels(target, /*integer=*/true); }

std::string ErrorBody(std::string_view message) {
  return nlohmann::json{{"error", std::string(message)}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace hone::serve
