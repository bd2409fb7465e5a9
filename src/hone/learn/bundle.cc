#include "hone/learn/bundle.h"

#include "hone/core/bytes.h"
#include "hone/core/digest.h"
#include "hone/core/file.h"

namespace hone::learn {
namespace {

constexpr char kMagic[8] = {'H', 'O', 'N', 'E', 'B', 'N', 'D', 'L'};
constexpr size_t kDigestSize = 32;

}  // namespace

nlohmann::json Bundle::Manifest() const {
  return {{"format", "hone.bundle"},   {"format_version", kBundleFormatVersion},
          {"model", model_kind},       {"task", TaskName(target.task)},
          {"target", target.ToJson()}, {"features", features.ToJson()},
          {"params", params},          {"metrics", metrics},
          {"training", training},      {"feature_importance", feature_importance},
          {"profile", profile}};
}

std::string EncodeBundle(const Bundle& bundle) {
  core::ByteWriter w;
  w.Put(kMagic);
  w.Put(kBundleFormatVersion);
  // Text reaches the manifest from CSV cells; invalid UTF-8 must not make dump() throw.
  w.PutString(bundle.Manifest().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  w.PutString(bundle.payload);
  std::string bytes = w.Take();
  core::Digest digest = core::Sha256Of(bytes);
  bytes.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  return bytes;
}

Result<Bundle> DecodeBundle(std::string_view bytes, std::string_view source) {
  std::string where = "bundle '" + std::string(source) + "'";
  auto corrupt = [&](const std::string& why) {
    return Fail(ErrorCode::kCorrupt, where + " " + why);
  };
  if (bytes.size() < sizeof(kMagic) ||
      bytes.substr(0, sizeof(kMagic)) != std::string_view(kMagic, sizeof(kMagic))) {
    return corrupt("is not a hone model bundle (no HONEBNDL header)");
  }
  if (bytes.size() < sizeof(kMagic) + 4 + kDigestSize) return corrupt("is truncated");
  std::string_view body = bytes.substr(0, bytes.size() - kDigestSize);
  core::Digest stored;
  std::memcpy(stored.data(), bytes.data() + body.size(), kDigestSize);
  core::Digest computed = core::Sha256Of(body);
  if (stored != computed) {
    return corrupt("is corrupt or was altered: its checksum does not match its content (stored " +
                   core::ToHex(stored).substr(0, 16) + "…, computed " +
                   core::ToHex(computed).substr(0, 16) + "…)");
  }
  core::ByteReader r(body.substr(sizeof(kMagic)));
  uint32_t version = 0;
  std::string manifest_text;
  Bundle b;
  r.Get(version);
  if (r.ok() && version != kBundleFormatVersion) {
    return corrupt("has format version " + std::to_string(version) + "; this hone reads " +
                   std::to_string(kBundleFormatVersion));
  }
  r.GetString(manifest_text, body.size());
  r.GetString(b.payload, body.size());
  if (!r.ok() || !r.at_end()) return corrupt("is malformed (bad section lengths)");

  nlohmann::json m = nlohmann::json::parse(manifest_text, nullptr, /*allow_exceptions=*/false);
  if (m.is_discarded() || !m.is_object()) return corrupt("has a manifest that is not JSON");
  auto field = [&](const char* key) -> Result<const nlohmann::json*> {
    if (!m.contains(key)) return corrupt(std::string("has no '") + key + "' in its manifest");
    return &m[key];
  };
  HONE_ASSIGN_OR_RETURN(auto kind, field("model"));
  if (!kind->is_string()) return corrupt("names no model kind");
  b.model_kind = kind->get<std::string>();
  HONE_ASSIGN_OR_RETURN(auto target, field("target"));
  auto t = TargetInfo::FromJson(*target);
  if (!t) return Fail(t.error().WithContext(where));
  b.target = std::move(*t);
  HONE_ASSIGN_OR_RETURN(auto features, field("features"));
  auto f = FeatureSchema::FromJson(*features);
  if (!f) return Fail(f.error().WithContext(where));
  b.features = std::move(*f);
  for (auto [key, dst] : {std::pair{"params", &b.params}, std::pair{"metrics", &b.metrics},
                          std::pair{"training", &b.training}, std::pair{"profile", &b.profile},
                          std::pair{"feature_importance", &b.feature_importance}}) {
    HONE_ASSIGN_OR_RETURN(auto value, field(key));
    *dst = *value;
  }
  return b;
}

Result<WrittenBundle> WriteBundle(const std::filesystem::path& path, const Bundle& bundle) {
  std::string bytes = EncodeBundle(bundle);
  HONE_TRY(core::WriteFileAtomic(path, bytes));
  return WrittenBundle{core::Sha256Hex(bytes), bytes.size()};
}

Result<LoadedModel> LoadBundleBytes(std::string_view bytes, std::string_view source) {
  HONE_ASSIGN_OR_RETURN(Bundle bundle, DecodeBundle(bytes, source));
  auto trainer = FindTrainer(bundle.model_kind);
  if (!trainer) {
    return Fail(ErrorCode::kUnsupported,
                "bundle '" + std::string(source) + "': " + trainer.error().message());
  }
  auto params = (*trainer)->params().FromJson(bundle.params);
  if (!params) return Fail(params.error().WithContext("bundle '" + std::string(source) + "'"));
  auto model = (*trainer)->Load(bundle.payload, bundle.features, bundle.target);
  if (!model) return Fail(model.error().WithContext("bundle '" + std::string(source) + "'"));
  LoadedModel loaded{std::move(bundle), std::move(*model), core::Sha256Hex(bytes)};
  return loaded;
}

Result<LoadedModel> LoadBundle(const std::filesystem::path& path) {
  HONE_ASSIGN_OR_RETURN(core::FileBytes bytes, core::ReadFileBytes(path));
  return LoadBundleBytes(bytes.view(), path.string());
}

}  // namespace hone::learn
