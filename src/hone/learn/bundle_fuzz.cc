// libFuzzer entry point for model bundles (bundle.h) and the model payloads inside them: the
// random forest's own format and the XGBoost envelope (model_envelope.h) with XGBoost's bytes.
// Any bytes must give a model or an error, never a crash or a hang, and a model that loads must
// predict, serialize, and load again from what it serialized.
//
// Each input is tried twice. First as given, which tests the refusal of altered bytes; then
// with its last 32 bytes replaced by the SHA-256 of the rest (and likewise inside an XGBoost
// envelope), because a random mutation never passes a checksum and would otherwise never reach
// the manifest or the model parsers. The seed corpus is a few small bundles as hone writes them
// (bundle_fuzz_seeds.cc), so both tries start from real files.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "hone/core/digest.h"
#include "hone/learn/bundle.h"
#include "hone/learn/evaluate.h"

namespace {

using hone::learn::FeatureMatrix;
using hone::learn::LoadedModel;

constexpr size_t kDigestSize = 32;
constexpr std::string_view kEnvelopeMagic = "HONEXGB1";

// Overwrites the last 32 bytes of `sealed` with the SHA-256 of the bytes before them.
void SealInPlace(char* sealed, size_t size) {
  hone::core::Digest digest = hone::core::Sha256Of(std::string_view(sealed, size - kDigestSize));
  std::memcpy(sealed + size - kDigestSize, digest.data(), kDigestSize);
}

// The input with correct checksums: the bundle trailer, and first the trailer of an XGBoost
// envelope when the payload section (found as bundle.cc lays it out) holds one.
std::string Reseal(std::string_view input) {
  std::string bytes(input);
  std::string_view body(bytes.data(), bytes.size() - kDigestSize);
  size_t at = 12;  // magic and format version
  auto length = [&](uint64_t& n) {
    if (body.size() < at + 8) return false;
    std::memcpy(&n, body.data() + at, 8);
    at += 8;
    return n <= body.size() - at;
  };
  uint64_t manifest_size = 0, payload_size = 0;
  if (length(manifest_size)) {
    at += manifest_size;
    if (length(payload_size) && payload_size >= kEnvelopeMagic.size() + 4 + 8 + kDigestSize &&
        body.substr(at).starts_with(kEnvelopeMagic)) {
      SealInPlace(bytes.data() + at, payload_size);
    }
  }
  SealInPlace(bytes.data(), bytes.size());
  return bytes;
}

[[noreturn]] void Die(const char* what, const std::string& detail) {
  std::fprintf(stderr, "bundle_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

// Predicts a row of NaNs and a row of zeros one at a time and as a batch, serializes the model
// and loads the result again.
void Use(const LoadedModel& loaded) {
  const auto& model = *loaded.model;
  const size_t width = loaded.bundle.features.size();
  const size_t k = model.num_outputs();
  const float rows[2] = {std::numeric_limits<float>::quiet_NaN(), 0.0f};
  FeatureMatrix batch(2, width);
  std::vector<float> row(width), out(k), batch_out(2 * k);
  for (size_t i = 0; i < 2; ++i) {
    std::fill(row.begin(), row.end(), rows[i]);
    for (size_t j = 0; j < width; ++j) batch.mutable_column(j)[i] = rows[i];
    (void)model.PredictRow(row, out);
  }
  if (model.Predict(batch, batch_out, 1)) {
    (void)hone::learn::PredictionTable(loaded.bundle.target, batch_out, /*probabilities=*/true);
  }
  (void)model.FeatureImportance();

  auto bytes = model.Serialize();
  if (!bytes) return;
  auto trainer = hone::learn::FindTrainer(loaded.bundle.model_kind);
  if (!trainer) Die("a loaded model's kind is unknown", loaded.bundle.model_kind);
  auto again = (*trainer)->Load(*bytes, loaded.bundle.features, loaded.bundle.target);
  if (!again) Die("a loaded model does not load from its own bytes", again.error().message());
}

void Try(std::string_view bytes) {
  auto loaded = hone::learn::LoadBundleBytes(bytes, "fuzz.hone");
  if (loaded) Use(*loaded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Try(input);
  if (size >= kDigestSize) {
    std::string resealed = Reseal(input);
    if (resealed != input) Try(resealed);
  }
  return 0;
}
