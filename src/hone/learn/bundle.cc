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
  nlohmann::json m = {{"format", "hone.bundle"},   {"format_version", kBundleFormatVersion},
                      {"model", model_kind},       {"task", TaskName(target.task)},
                      {"target", target.ToJson()}, {"features", features.ToJson()},
                      {"params", params},          {"metrics", metrics},
                      {"training", training},      {"feature_importance", feature_importance},
                      {"profile", profile}};
  if (pii.is_object() && !pii.empty()) m["pii"] = pii;
  return m;
}

namespace {

// A bundle's bytes end with the SHA-256 of all before them; its identity is the SHA-256 of
// all of it. One pass over the body gives both.
struct Sealed {
  std::string bytes;
  core::Digest identity;
};

Sealed Seal(std::string body) {
  core::Sha256 h;
  h.Update(body);
  core::Digest trailer = h.Peek();
  h.Update(std::span<const uint8_t>(trailer));
  body.append(reinterpret_cast<const char*>(trailer.data()), trailer.size());
  return {std::move(body), h.Finish()};
}

// Everything but the trailing checksum.
std::string EncodeBody(const Bundle& bundle) {
  core::ByteWriter w;
  w.Put(kMagic);
  w.Put(kBundleFormatVersion);
  // Text reaches the manifest from CSV cells; invalid UTF-8 must not make dump() throw.
  w.PutString(bundle.Manifest().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  w.PutString(bundle.payload);
  return w.Take();
}

}  // namespace

std::string EncodeBundle(const Bundle& bundle) { return Seal(EncodeBody(bundle)).bytes; }

namespace {

// DecodeBundle, also giving the bundle's identity (when the checksum holds).
Result<Bundle> Decode(std::string_view bytes, std::string_view source, core::Digest& identity) {
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
  core::Sha256 h;
  h.Update(body);
  core::Digest computed = h.Peek();
  if (stored != computed) {
    return corrupt("is corrupt or was altered: its checksum does not match its content (stored " +
                   core::ToHex(stored).substr(0, 16) + "…, computed " +
                   core::ToHex(computed).substr(0, 16) + "…)");
  }
  h.Update(std::span<const uint8_t>(stored));
  identity = h.Finish();
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
  if (m.contains("pii")) {
    b.pii = m["pii"];
    auto pii = ReadBundlePii(b);
    if (!pii) return Fail(pii.error().WithContext(where));
  }
  return b;
}

}  // namespace

Result<Bundle> DecodeBundle(std::string_view bytes, std::string_view source) {
  core::Digest identity;
  return Decode(bytes, source, identity);
}

Result<WrittenBundle> WriteBundle(const std::filesystem::path& path, const Bundle& bundle) {
  Sealed sealed = Seal(EncodeBody(bundle));
  HONE_TRY(core::WriteFileAtomic(path, sealed.bytes));
  return WrittenBundle{core::ToHex(sealed.identity), sealed.bytes.size()};
}

Result<LoadedModel> LoadBundleBytes(std::string_view bytes, std::string_view source) {
  core::Digest identity;
  HONE_ASSIGN_OR_RETURN(Bundle bundle, Decode(bytes, source, identity));
  auto trainer = FindTrainer(bundle.model_kind);
  if (!trainer) {
    return Fail(ErrorCode::kUnsupported,
                "bundle '" + std::string(source) + "': " + trainer.error().message());
  }
  auto params = (*trainer)->params().FromJson(bundle.params);
  if (!params) return Fail(params.error().WithContext("bundle '" + std::string(source) + "'"));
  auto model = (*trainer)->Load(bundle.payload, bundle.features, bundle.target);
  if (!model) return Fail(model.error().WithContext("bundle '" + std::string(source) + "'"));
  LoadedModel loaded{std::move(bundle), std::move(*model), core::ToHex(identity)};
  return loaded;
}

Result<BundlePii> ReadBundlePii(const Bundle& bundle) {
  BundlePii out;
  if (!bundle.pii.is_object() || bundle.pii.empty()) return out;
  auto columns = bundle.pii.find("columns");
  if (columns == bundle.pii.end()) {
    return Fail(ErrorCode::kInvalidData, "the pii record names no columns");
  }
  HONE_ASSIGN_OR_RETURN(out.policy, core::PiiPolicy::FromJson(*columns));
  auto check = bundle.pii.find("key_check");
  if (check != bundle.pii.end() && check->is_string()) out.key_check = check->get<std::string>();
  if (out.policy.HasHash() && out.key_check.empty()) {
    return Fail(ErrorCode::kInvalidData, "the pii record hashes columns but has no key_check");
  }
  return out;
}

nlohmann::json BundlePiiJson(const core::PiiPolicy& policy, const core::PiiKey* key) {
  if (policy.empty()) return nlohmann::json::object();
  nlohmann::json out = {{"columns", policy.ToJson()}};
  if (policy.HasHash() && key != nullptr) out["key_check"] = key->Check();
  return out;
}

Result<void> UseRawInputs(LoadedModel& loaded, std::string_view name) {
  HONE_ASSIGN_OR_RETURN(BundlePii pii, ReadBundlePii(loaded.bundle));
  if (pii.policy.empty()) return {};
  std::shared_ptr<const core::PiiKey> key;
  if (pii.policy.HasHash()) {
    auto loaded_key = core::LoadPiiKey(std::nullopt);
    if (!loaded_key)
      return Fail(loaded_key.error().WithContext("model '" + std::string(name) + "'"));
    std::string hashed;
    for (const core::PiiColumn& c : pii.policy.columns) {
      if (c.mode == core::PiiMode::kHash) hashed += (hashed.empty() ? "'" : ", '") + c.name + "'";
    }
    if (!loaded_key->has_value()) {
      return Fail(ErrorCode::kInvalidArgument,
                  "model '" + std::string(name) + "' hashes its pii column(s) " + hashed +
                      " with a key this process does not have: set " + core::kPiiKeyEnv + ", or " +
                      core::kPiiKeyFileEnv +
                      " to a file holding it (the key its pipeline was run with)");
    }
    if ((*loaded_key)->Check() != pii.key_check) {
      return Fail(ErrorCode::kInvalidArgument,
                  "model '" + std::string(name) + "' hashes its pii column(s) " + hashed +
                      " with another key than the one from " + (*loaded_key)->source() +
                      "; give the key its pipeline was run with");
    }
    key = std::make_shared<const core::PiiKey>(std::move(**loaded_key));
  }
  loaded.bundle.features = loaded.bundle.features.ForRawInputs(pii.policy, std::move(key));
  return {};
}

Result<LoadedModel> LoadBundle(const std::filesystem::path& path) {
  HONE_ASSIGN_OR_RETURN(core::FileBytes bytes, core::ReadFileBytes(path));
  return LoadBundleBytes(bytes.view(), path.string());
}

}  // namespace hone::learn
