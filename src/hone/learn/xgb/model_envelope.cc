#include "hone/learn/xgb/model_envelope.h"

#include <cstdint>
#include <cstring>

#include "hone/core/digest.h"
#include "hone/learn/xgb/xgb_api.h"

namespace hone::learn::xgb {
namespace {

constexpr std::string_view kMagic = "HONEXGB1";
constexpr size_t kDigestSize = 32;

void PutLe(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint64_t GetLe(std::string_view in, size_t at, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) {
    value |= static_cast<uint64_t>(static_cast<unsigned char>(in[at + i])) << (8 * i);
  }
  return value;
}

Error Bad(std::string_view kind, const std::string& why) {
  return Error(ErrorCode::kInvalidData, std::string(kind) + " model: " + why);
}

const char* TypeLetter(core::ColumnType type) {
  return type == core::ColumnType::kCategorical ? "c" : "q";
}

Result<void> CheckFits(const nlohmann::json& h, std::string_view kind, const FeatureSchema& schema,
                       const TargetInfo& target) {
  bool complete = h.contains("kind") && h["kind"].is_string() && h.contains("task") &&
                  h["task"].is_string() && h.contains("num_classes") &&
                  h["num_classes"].is_number_unsigned() && h.contains("feature_types") &&
                  h["feature_types"].is_array();
  if (!complete) {
    return Fail(Bad(kind, "the header lacks kind, task, num_classes or feature_types"));
  }
  if (h["kind"] != kind) {
    return Fail(Bad(kind, "the bytes hold a '" + h["kind"].get<std::string>() + "' model"));
  }
  if (h["task"] != TaskName(target.task)) {
    return Fail(Bad(kind, "trained for task " + h["task"].get<std::string>() +
                              " but the target is " + TaskName(target.task)));
  }
  size_t classes = IsClassification(target.task) ? target.num_classes() : 0;
  if (h["num_classes"].get<uint64_t>() != classes) {
    return Fail(Bad(kind, "trained for " + h["num_classes"].dump() +
                              " classes but the target has " + std::to_string(classes)));
  }
  const nlohmann::json& types = h["feature_types"];
  if (types.size() != schema.size()) {
    return Fail(Bad(kind, "trained on " + std::to_string(types.size()) +
                              " features but the schema has " + std::to_string(schema.size())));
  }
  for (size_t j = 0; j < schema.size(); ++j) {
    if (types[j] != TypeLetter(schema.features()[j].type)) {
      return Fail(Bad(kind, "feature '" + schema.features()[j].name +
                                "' has a different type than in training"));
    }
  }
  return {};
}

}  // namespace

nlohmann::json BasicHeader(std::string_view kind, const FeatureSchema& schema,
                           const TargetInfo& target) {
  nlohmann::json types = nlohmann::json::array();
  for (const FeatureInfo& f : schema.features()) types.push_back(TypeLetter(f.type));
  return {{"kind", kind},
          {"task", TaskName(target.task)},
          {"num_classes", IsClassification(target.task) ? target.num_classes() : 0},
          {"feature_types", std::move(types)},
          {"xgboost", LibraryVersion()}};
}

std::string WriteEnvelope(const nlohmann::json& header, std::string_view payload) {
  std::string text = header.dump();
  std::string out(kMagic);
  PutLe(out, text.size(), 4);
  out += text;
  PutLe(out, payload.size(), 8);
  out += payload;
  core::Digest digest = core::Sha256Of(out);
  out.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  return out;
}

Result<ModelEnvelope> ReadEnvelope(std::string_view bytes, std::string_view kind,
                                   const FeatureSchema& schema, const TargetInfo& target) {
  if (bytes.size() < kMagic.size() + 4 + 8 + kDigestSize || !bytes.starts_with(kMagic)) {
    return Fail(Bad(kind, "not a hone XGBoost model (" + std::to_string(bytes.size()) +
                              " bytes without the HONEXGB1 signature)"));
  }
  std::string_view sealed = bytes.substr(0, bytes.size() - kDigestSize);
  core::Digest digest = core::Sha256Of(sealed);
  if (std::memcmp(digest.data(), bytes.data() + sealed.size(), kDigestSize) != 0) {
    return Fail(ErrorCode::kCorrupt,
                std::string(kind) + " model: checksum mismatch (truncated or damaged bytes)");
  }
  // The checksum matched, so the lengths were written by WriteEnvelope; check them anyway.
  size_t at = kMagic.size();
  uint64_t header_size = GetLe(sealed, at, 4);
  at += 4;
  if (header_size > sealed.size() - at - 8) return Fail(Bad(kind, "bad header length"));
  std::string_view header_text = sealed.substr(at, header_size);
  at += header_size;
  uint64_t payload_size = GetLe(sealed, at, 8);
  at += 8;
  if (payload_size != sealed.size() - at) return Fail(Bad(kind, "bad payload length"));

  ModelEnvelope envelope;
  envelope.header = nlohmann::json::parse(header_text, nullptr, /*allow_exceptions=*/false);
  if (!envelope.header.is_object()) return Fail(Bad(kind, "the header is not a JSON object"));
  HONE_TRY(CheckFits(envelope.header, kind, schema, target));
  envelope.payload = std::string(sealed.substr(at));
  return envelope;
}

}  // namespace hone::learn::xgb
