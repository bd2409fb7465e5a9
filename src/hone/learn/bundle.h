// The model bundle: one file holding a trained model and everything needed to use, audit and
// monitor it. Its SHA-256 is its identity.
//
// Layout (little-endian):
//   8 bytes   magic "HONEBNDL"
//   u32       format version (1)
//   u64 + N   manifest: UTF-8 JSON (model kind, task, target, features, params, metrics,
//             training facts, reference profile); readable with `head -c`
//   u64 + M   payload: the trainer's own model bytes
//   32 bytes  SHA-256 of every byte before it
// Nothing time-dependent is stored, so the same training gives the same bytes.
#ifndef HONE_LEARN_BUNDLE_H_
#define HONE_LEARN_BUNDLE_H_

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "hone/core/error.h"
#include "hone/learn/features.h"
#include "hone/learn/model.h"
#include "hone/learn/target.h"

namespace hone::learn {

inline constexpr uint32_t kBundleFormatVersion = 1;

struct Bundle {
  /// The trainer that made the payload: "random_forest", "gbdt", "linear".
  std::string model_kind;
  TargetInfo target;
  FeatureSchema features;
  /// Resolved parameter values.
  nlohmann::json params = nlohmann::json::object();
  /// Metrics from training: {"test": {...}, "cv": {...}, ...}.
  nlohmann::json metrics = nlohmann::json::object();
  /// Facts about the training run: rows, split, seed, data digest, hone version.
  nlohmann::json training = nlohmann::json::object();
  /// core::DataProfile of the training rows (features and target).
  nlohmann::json profile = nlohmann::json::object();
  /// Feature name → importance, when the model provides it.
  nlohmann::json feature_importance = nlohmann::json::object();
  /// The pii policy (core/pii.h) the training data went through, which raw rows must go
  /// through too: {"columns": {"email": "drop", "customer_id": "hash"}, "key_check": "h:…"}
  /// (the check only with a hash column; never the key). Empty: none, and absent from the
  /// manifest, so bundles without one keep their bytes.
  nlohmann::json pii = nlohmann::json::object();
  std::string payload;

  nlohmann::json Manifest() const;
};

/// The bundle's bytes.
std::string EncodeBundle(const Bundle& bundle);
/// Parses and verifies bundle bytes; `source` names them in errors. Altered bytes fail with
/// kCorrupt.
Result<Bundle> DecodeBundle(std::string_view bytes, std::string_view source);

/// A bundle loaded for use: its manifest, the live model, and its identity.
struct LoadedModel {
  Bundle bundle;
  std::unique_ptr<Model> model;
  /// Lower-case hex SHA-256 of the bundle file.
  std::string digest;
};

struct WrittenBundle {
  std::string sha256;  // lower-case hex of the bytes written
  size_t bytes = 0;
};
/// Writes the bundle atomically.
Result<WrittenBundle> WriteBundle(const std::filesystem::path& path, const Bundle& bundle);
/// Reads, verifies and loads a bundle file.
Result<LoadedModel> LoadBundle(const std::filesystem::path& path);
/// Loads the model of an already decoded bundle.
Result<LoadedModel> LoadBundleBytes(std::string_view bytes, std::string_view source);

/// The bundle's pii record as (policy, key check); an empty policy when it has none.
struct BundlePii {
  core::PiiPolicy policy;
  std::string key_check;
};
Result<BundlePii> ReadBundlePii(const Bundle& bundle);
/// The pii record of a policy and the key its hash columns were hashed with.
nlohmann::json BundlePiiJson(const core::PiiPolicy& policy, const core::PiiKey* key);

/// Makes `loaded` read raw rows (FeatureSchema::ForRawInputs) when its bundle records a pii
/// policy: its hash features' key is loaded from the environment (core::LoadPiiKey) and must
/// be the one the model was trained with. Errors name `name`, the column and how to set the
/// key. A bundle without a policy is left as it is.
Result<void> UseRawInputs(LoadedModel& loaded, std::string_view name);

}  // namespace hone::learn

#endif  // HONE_LEARN_BUNDLE_H_
