// RegistrySource: reads the served aliases of the registry's models and their traffic weights,
// then follows the store's alias change counter, woken early by the store's notifications where
// it has them.
#include "hone/serve/registry_source.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "hone/core/log.h"

namespace hone::serve {
namespace {

using std::chrono::milliseconds;

/// The longest a wait for a notification runs before Stop is looked at again.
constexpr milliseconds kWaitSlice{100};
constexpr milliseconds kFirstBackoff{200};
constexpr milliseconds kMaxBackoff{5000};

class StoreSource final : public RegistrySource {
 public:
  StoreSource(RegistrySourceOptions options, std::unique_ptr<store::MetaStore> meta,
              AspiredCallback target, int64_t counter, std::vector<AspiredVersion> aspired)
      : options_(std::move(options)),
        meta_(std::move(meta)),
        target_(std::move(target)),
        counter_(counter),
        aspired_(std::move(aspired)) {
    checks_.store(1);  // the read of Start
  }
  ~StoreSource() override { Stop(); }

  void StartThread() {
    thread_ = std::thread([this] { Run(); });
  }

  void Stop() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    stopped_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  uint64_t checks() const override { return checks_.load(); }

 private:
  bool Stopping() {
    std::lock_guard lock(mu_);
    return stop_;
  }

  /// Waits `pause`, or less when stopped; false when stopped.
  bool Pause(milliseconds pause) {
    std::unique_lock lock(mu_);
    return !stopped_.wait_for(lock, pause, [&] { return stop_; });
  }

  /// Waits up to the poll interval for a sign of a move, in slices so that Stop is not kept
  /// waiting by a long interval.
  Result<void> WaitForMove() {
    const auto deadline = std::chrono::steady_clock::now() + options_.poll_interval;
    while (!Stopping()) {
      const auto left =
          std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      HONE_ASSIGN_OR_RETURN(bool moved, meta_->WaitForAliasChange(std::min(left, kWaitSlice)));
      if (moved) break;
    }
    return {};
  }

  /// One round: wait, read the counter, and re-read the models only when it moved.
  Result<void> Check() {
    HONE_TRY(WaitForMove());
    if (Stopping()) return {};
    HONE_ASSIGN_OR_RETURN(int64_t counter, meta_->AliasChangeCounter());
    checks_.fetch_add(1);
    if (counter == counter_) return {};
    HONE_ASSIGN_OR_RETURN(std::vector<store::Model> models, meta_->ListModels());
    counter_ = counter;
    std::vector<AspiredVersion> aspired = AspiredVersionsOf(models, options_);
    if (aspired == aspired_) return {};  // an alias that is not served moved
    aspired_ = aspired;
    target_(std::move(aspired));
    return {};
  }

  void Run() {
    milliseconds backoff = kFirstBackoff;
    while (!Stopping()) {
      if (auto checked = Check(); checked) {
        backoff = kFirstBackoff;
        continue;
      } else {
        core::LogWarning("registry source: reading " + meta_->Describe() +
                         " failed, serving the versions read before; retrying in " +
                         std::to_string(backoff.count()) + " ms: " + checked.error().message());
      }
      if (!Pause(backoff)) break;
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
  }

  const RegistrySourceOptions options_;
  const std::unique_ptr<store::MetaStore> meta_;  // used by the thread only, after Start
  const AspiredCallback target_;
  int64_t counter_;                      // the thread's: the counter the aspired set matches
  std::vector<AspiredVersion> aspired_;  // the thread's: the set last given to target_
  std::atomic<uint64_t> checks_{0};
  std::mutex mu_;
  std::condition_variable stopped_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace

std::vector<AspiredVersion> AspiredVersionsOf(const std::vector<store::Model>& models,
                                              const RegistrySourceOptions& options) {
  const std::set<std::string, std::less<>> wanted(options.models.begin(), options.models.end());
  std::vector<std::string> served = options.aliases;
  if (!options.shadow_alias.empty() &&
      std::find(served.begin(), served.end(), options.shadow_alias) == served.end()) {
    served.push_back(options.shadow_alias);
  }
  std::vector<AspiredVersion> aspired;
  for (const store::Model& m : models) {
    if (!wanted.empty() && !wanted.contains(m.name)) continue;
    std::map<int64_t, AspiredVersion> versions;
    for (const std::string& alias : served) {
      auto it = m.aliases.find(alias);
      if (it == m.aliases.end()) continue;
      AspiredVersion& a = versions[it->second];
      a.aliases.push_back(alias);
      if (auto weight = m.alias_weights.find(alias); weight != m.alias_weights.end()) {
        a.weights[alias] = weight->second;
      }
    }
    for (auto& [version, a] : versions) {
      a.model = m.name;
      a.version = version;
      aspired.push_back(std::move(a));
    }
  }
  return aspired;
}

Result<std::unique_ptr<RegistrySource>> RegistrySource::Start(const RegistrySourceOptions& options,
                                                              StoreOpener open,
                                                              AspiredCallback target) {
  HONE_ASSIGN_OR_RETURN(store::Store store, open());
  std::unique_ptr<store::MetaStore> meta = std::move(store.meta);
  // The counter before the models: a move between the two reads is seen again, never missed.
  auto counter = meta->AliasChangeCounter();
  if (!counter) return Fail(counter.error().WithContext("registry source"));
  auto models = meta->ListModels();
  if (!models) return Fail(models.error().WithContext("registry source"));
  for (const std::string& name : options.models) {
    const bool known = std::any_of(models->begin(), models->end(),
                                   [&](const store::Model& m) { return m.name == name; });
    if (!known) {
      core::LogWarning("registry source: model '" + name + "' is not registered in " +
                       meta->Describe() + " (yet); serving it once it is");
    }
  }
  std::vector<AspiredVersion> aspired = AspiredVersionsOf(*models, options);
  target(aspired);
  auto source = std::make_unique<StoreSource>(options, std::move(meta), std::move(target), *counter,
                                              std::move(aspired));
  source->StartThread();
  return std::unique_ptr<RegistrySource>(std::move(source));
}

}  // namespace hone::serve
