// The Loader of `hone serve`: a registered version's bundle from the artifact store, verified,
// decoded and warmed up with rows drawn from the reference profile it carries.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hone/core/log.h"
#include "hone/core/profile.h"
#include "hone/registry/registry.h"
#include "hone/serve/model_manager.h"

namespace hone::serve {
namespace {

constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();
constexpr size_t kMedian = 5;  // kProfileQuantiles[5] is 0.5

/// "512 B", "3.4 KB", "1.2 MB".
std::string HumanBytes(size_t bytes) {
  char text[32];
  if (bytes < 1024) {
    std::snprintf(text, sizeof text, "%zu B", bytes);
  } else if (bytes < 1024 * 1024) {
    std::snprintf(text, sizeof text, "%.1f KB", static_cast<double>(bytes) / 1024);
  } else {
    std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / (1024 * 1024));
  }
  return text;
}

/// Warm-up rows in the model's feature space: row 0 holds the medians and most frequent
/// categories, row 1 only missing values, and the rest walk through the profile's quantiles
/// and top categories, so that the predictions touch many branches of the model. A feature the
/// profile does not describe is missing in every row.
std::vector<std::vector<float>> WarmupRows(const learn::Bundle& bundle, size_t count) {
  const learn::FeatureSchema& schema = bundle.features;
  std::vector<const core::ColumnProfile*> columns(schema.size(), nullptr);
  auto profile = core::DataProfile::FromJson(bundle.profile);
  if (profile) {
    for (size_t j = 0; j < schema.size(); ++j) {
      for (const core::ColumnProfile& c : profile->columns) {
        if (c.name == schema.features()[j].name) columns[j] = &c;
      }
    }
  }
  std::vector<std::vector<float>> rows;
  for (size_t i = 0; i < count; ++i) {
    std::vector<float> row(schema.size(), kMissing);
    if (i == 1) {
      rows.push_back(std::move(row));
      continue;
    }
    const size_t step = i == 0 ? 0 : i - 1;  // row 0: the middle; then the walk
    for (size_t j = 0; j < schema.size(); ++j) {
      const core::ColumnProfile* c = columns[j];
      if (c == nullptr || c->type != schema.features()[j].type) continue;
      if (c->type == core::ColumnType::kNumeric) {
        const std::vector<double>& q = c->numeric.quantiles;
        if (q.empty()) continue;
        const size_t at = step == 0 ? std::min(kMedian, q.size() - 1) : step % q.size();
        row[j] = static_cast<float>(q[at]);
      } else {
        const auto& top = c->categorical.top;
        if (top.empty()) continue;
        row[j] = schema.EncodeCategory(j, top[step % top.size()].first);
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

/// Not thread-safe: the manager calls it on its load thread only. Keeps its store open
/// between loads.
class RegistryLoader final : public Loader {
 public:
  RegistryLoader(StoreOpener open, size_t warmup_rows)
      : open_(std::move(open)), warmup_rows_(warmup_rows) {}

  Result<std::shared_ptr<Servable>> Load(std::string_view model, int64_t version) override {
    const auto start = std::chrono::steady_clock::now();
    const std::string name = std::string(model) + "/" + std::to_string(version);
    if (!store_) {
      auto opened = open_();
      if (!opened) return Fail(opened.error().WithContext("opening the store"));
      store_.emplace(std::move(*opened));
    }
    registry::Registry registry(*store_->meta, store_->artifacts, store::Actor{"hone-serve"});
    // The scheme keeps a file that happens to be called "churn/3" in the working directory
    // from being taken for the registered version.
    auto resolved = registry.Resolve("models:/" + name);
    if (!resolved) return Fail(resolved.error());  // it names the version
    const size_t bytes = resolved->bundle.view().size();
    auto loaded = learn::LoadBundleBytes(resolved->bundle.view(), name);
    if (!loaded) return Fail(loaded.error());  // "bundle 'churn/3': …"

    const learn::Model& live = *loaded->model;
    std::vector<float> out(live.num_outputs());
    for (const std::vector<float>& row : WarmupRows(loaded->bundle, warmup_rows_)) {
      auto predicted = live.PredictRow(row, out);
      if (!predicted) return Fail(predicted.error().WithContext("warming up " + name));
    }

    // Requests carry raw rows: a model trained on pii-transformed data transforms them the same
    // way, and cannot load without its key. (After the warm-up, whose rows come from the
    // profile, which holds transformed values already.)
    if (auto raw = learn::UseRawInputs(*loaded, name); !raw) return Fail(raw.error());

    auto servable = std::make_shared<Servable>();
    servable->model = std::string(model);
    servable->version = version;
    servable->loaded = std::move(*loaded);
    servable->loaded_at = std::chrono::system_clock::now();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    core::LogInfo("loaded " + name + " (sha256 " + servable->loaded.digest.substr(0, 12) +
                  "\u2026, " + HumanBytes(bytes) + ") in " + std::to_string(ms) + " ms");
    return servable;
  }

 private:
  const StoreOpener open_;
  const size_t warmup_rows_;
  std::optional<store::Store> store_;
};

}  // namespace

std::unique_ptr<Loader> MakeRegistryLoader(StoreOpener open, size_t warmup_rows) {
  return std::make_unique<RegistryLoader>(std::move(open), warmup_rows);
}

}  // namespace hone::serve
