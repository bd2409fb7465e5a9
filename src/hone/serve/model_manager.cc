// ModelManager: one load thread reconciles the served versions with the aspired ones and
// publishes each new routing table; request threads read the table through a per-thread cache
// that costs one atomic load while the table stays the same.
#include "hone/serve/model_manager.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>
#include <utility>

#include "hone/core/log.h"
#include "hone/serve/monitoring.h"

namespace hone::serve {
namespace {

using VersionKey = std::pair<std::string, int64_t>;  // model, version

std::string Name(const VersionKey& key) { return key.first + "/" + std::to_string(key.second); }

bool SameStates(const std::vector<VersionStatus>& a, const std::vector<VersionStatus>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].version != b[i].version || a[i].state != b[i].state || a[i].error != b[i].error ||
        a[i].aliases != b[i].aliases) {
      return false;
    }
  }
  return true;
}

/// Whether two tables route every request alike and report the same states.
bool SameRoutes(const RoutingTable& a, const RoutingTable& b) {
  if (a.models.size() != b.models.size()) return false;
  for (auto ia = a.models.begin(), ib = b.models.begin(); ia != a.models.end(); ++ia, ++ib) {
    if (ia->first != ib->first) return false;
    const ModelRoutes& x = ia->second;
    const ModelRoutes& y = ib->second;
    if (x.default_version != y.default_version || x.default_alias != y.default_alias ||
        x.canary != y.canary || x.canary_alias != y.canary_alias ||
        x.canary_weight != y.canary_weight || x.shadow != y.shadow ||
        x.shadow_reads_default_rows != y.shadow_reads_default_rows || x.versions != y.versions ||
        x.aliases != y.aliases || !SameStates(x.states, y.states)) {
      return false;
    }
  }
  return true;
}

/// A registry weight as a share: within [0, 1], and 0 for NaN.
double Share(double weight) { return std::isnan(weight) ? 0.0 : std::clamp(weight, 0.0, 1.0); }

/// Never reused, so a thread's cache entry of a destroyed manager matches no later one.
std::atomic<uint64_t> next_manager_id{1};

}  // namespace

struct ModelManager::Impl {
  Impl(ManagerOptions o, std::unique_ptr<Loader> l)
      : options(std::move(o)), loader(std::move(l)), id(next_manager_id.fetch_add(1)) {}

  void Run();
  /// Loads what `aspired` lacks and publishes as it goes. False when interrupted by a newer
  /// aspired set or by stopping (the load under way finishes first).
  bool Reconcile(const std::vector<AspiredVersion>& aspired, uint64_t seq);
  /// Builds the table for `aspired` from what is loaded and failed now, retires the versions it
  /// no longer holds, and publishes it unless it routes exactly as the current one.
  void Publish(const std::vector<AspiredVersion>& aspired);
  /// Drops the retired versions no request holds any more.
  void DropUnusedRetired();
  bool Interrupted(uint64_t seq) {
    std::lock_guard lock(mu);
    return stop || aspired_seq != seq;
  }

  const ManagerOptions options;
  const std::unique_ptr<Loader> loader;
  const uint64_t id;
  ManagerStats stats;

  // The published table. Readers take table_mu only when `generation` moved since they last
  // looked (Routes()).
  mutable std::mutex table_mu;
  std::shared_ptr<const RoutingTable> table = std::make_shared<RoutingTable>();
  std::atomic<uint64_t> generation{0};

  // What the load thread is asked to do.
  mutable std::mutex mu;
  std::condition_variable wake;          // the load thread waits on it
  mutable std::condition_variable idle;  // WaitIdle waits on it
  std::vector<AspiredVersion> aspired;   // guarded by mu
  uint64_t aspired_seq = 0;              // guarded by mu: SetAspiredVersions calls so far
  uint64_t handled_seq = 0;              // guarded by mu: the last set handled completely
  bool initial_done = false;             // guarded by mu
  bool stop = false;                     // guarded by mu

  // The load thread's own.
  std::map<VersionKey, ServableHandle> available;
  std::map<VersionKey, std::string> failed;  // why; forgotten when the aspired set changes
  std::vector<AspiredVersion> current;       // the set `failed` belongs to
  std::vector<ServableHandle> retired;       // out of the table, maybe still in requests
  std::thread thread;
};

void ModelManager::Impl::Run() {
  uint64_t seen = 0;
  std::unique_lock lock(mu);
  while (true) {
    // Each second too, to drop retired versions whose last request has finished.
    wake.wait_for(lock, std::chrono::seconds(1), [&] { return stop || aspired_seq != seen; });
    if (stop) break;
    if (aspired_seq != seen) {
      seen = aspired_seq;
      std::vector<AspiredVersion> set = aspired;
      lock.unlock();
      if (set != current) {
        failed.clear();  // a changed set retries what failed before
        current = set;
      }
      const bool done = Reconcile(set, seen);
      DropUnusedRetired();
      lock.lock();
      if (done) {
        handled_seq = seen;
        initial_done = true;
        idle.notify_all();
      }
    } else {
      lock.unlock();
      DropUnusedRetired();
      lock.lock();
    }
  }
}

bool ModelManager::Impl::Reconcile(const std::vector<AspiredVersion>& set, uint64_t seq) {
  Publish(set);  // new aliases, versions to load shown as loading, models no longer served
  for (const AspiredVersion& a : set) {
    const VersionKey key{a.model, a.version};
    if (available.contains(key) || failed.contains(key)) continue;
    if (Interrupted(seq)) return false;
    auto loaded = loader->Load(a.model, a.version);
    if (loaded && *loaded) {
      if (!(*loaded)->window) {
        (*loaded)->window = MakeWindowAccumulator((*loaded)->loaded.bundle, Name(key));
      }
      available[key] = std::move(*loaded);
      stats.loads.fetch_add(1);
    } else {
      const std::string why = loaded ? "the loader returned no servable" : loaded.error().message();
      core::LogError("cannot load " + Name(key) + ": " + why);
      failed[key] = why;
      stats.load_failures.fetch_add(1);
    }
    DropUnusedRetired();
    Publish(set);
  }
  return !Interrupted(seq);
}

void ModelManager::Impl::Publish(const std::vector<AspiredVersion>& set) {
  // Per model: its aspired versions and aliases, and whether all of them are settled.
  struct Wanted {
    std::map<int64_t, std::vector<std::string>> versions;
    std::map<std::string, int64_t, std::less<>> aliases;
    std::map<std::string, double, std::less<>> weights;
    bool settled = true;
  };
  std::map<std::string, Wanted, std::less<>> wanted;
  for (const AspiredVersion& a : set) {
    Wanted& w = wanted[a.model];
    auto& aliases = w.versions[a.version];
    aliases.insert(aliases.end(), a.aliases.begin(), a.aliases.end());
    for (const std::string& alias : a.aliases) {
      w.aliases[alias] = a.version;
      if (auto weight = a.weights.find(alias); weight != a.weights.end()) {
        w.weights[alias] = weight->second;
      }
    }
    const VersionKey key{a.model, a.version};
    if (!available.contains(key) && !failed.contains(key)) w.settled = false;
  }
  for (const auto& [key, handle] : available) wanted[key.first];  // models leaving, too

  std::shared_ptr<const RoutingTable> before;
  {
    std::lock_guard lock(table_mu);
    before = table;
  }
  auto next = std::make_shared<RoutingTable>();
  for (auto& [model, w] : wanted) {
    ModelRoutes routes;
    routes.aliases = w.aliases;
    auto loaded = [&](int64_t v) -> ServableHandle {
      auto it = available.find({model, v});
      return it == available.end() ? nullptr : it->second;
    };
    static const ModelRoutes kNone;
    const ModelRoutes* previous = &kNone;
    if (auto it = before->models.find(model); it != before->models.end()) {
      previous = &it->second;
    }
    // The version `alias` points at once it is available; while it loads, or after it failed,
    // `before` (the one answering for the alias until now). Null when `alias` is not aspired.
    auto version_of = [&](const std::string& alias, const ServableHandle& before_it) {
      auto target = w.aliases.find(alias);
      if (alias.empty() || target == w.aliases.end()) return ServableHandle();
      if (ServableHandle h = loaded(target->second)) return h;
      return before_it;
    };
    // The default: the first served alias whose version is available. While that alias's
    // version loads, or after it failed, the default before it keeps answering. The shadow
    // alias never answers.
    for (const std::string& alias : options.aliases) {
      if (alias == options.shadow_alias || !w.aliases.contains(alias)) continue;
      if (ServableHandle h = loaded(w.aliases.find(alias)->second)) {
        routes.default_version = h;
        routes.default_alias = alias;
        break;
      }
      if (previous->default_version) {
        routes.default_version = previous->default_version;
        routes.default_alias = previous->default_alias;
        break;
      }
    }
    if (options.canary_alias != options.shadow_alias) {
      routes.canary = version_of(options.canary_alias, previous->canary);
    }
    if (routes.canary) {
      routes.canary_alias = options.canary_alias;
      if (auto weight = w.weights.find(options.canary_alias); weight != w.weights.end()) {
        routes.canary_weight = Share(weight->second);
      }
      if (!routes.default_version) {  // no other served alias ready: the canary answers all
        routes.default_version = routes.canary;
        routes.default_alias = options.canary_alias;
      }
    }
    routes.shadow = version_of(options.shadow_alias, previous->shadow);
    if (routes.shadow == routes.default_version) routes.shadow = nullptr;
    routes.shadow_reads_default_rows =
        routes.shadow && routes.default_version &&
        routes.shadow->loaded.bundle.features == routes.default_version->loaded.bundle.features;
    // Aspired versions that are available; until the model's aspired versions are all
    // settled, the versions they replace too; and the default, canary and shadow, whatever
    // they are.
    for (const auto& [key, handle] : available) {
      if (key.first != model) continue;
      if (w.versions.contains(key.second) || !w.settled || handle == routes.default_version ||
          handle == routes.canary || handle == routes.shadow) {
        routes.versions.emplace(key.second, handle);
      }
    }
    std::set<int64_t> listed;
    for (const auto& [v, aliases] : w.versions) listed.insert(v);
    for (const auto& [v, handle] : routes.versions) listed.insert(v);
    for (int64_t v : listed) {
      VersionStatus status;
      status.version = v;
      if (auto it = w.versions.find(v); it != w.versions.end()) status.aliases = it->second;
      if (routes.versions.contains(v)) {
        status.state = VersionState::kAvailable;
      } else if (auto f = failed.find({model, v}); f != failed.end()) {
        status.state = VersionState::kFailed;
        status.error = f->second;
      }
      routes.states.push_back(std::move(status));
    }
    if (!routes.states.empty()) next->models.emplace(model, std::move(routes));
  }
  // Versions the new table no longer holds wait on the retired list for their last request.
  for (auto it = available.begin(); it != available.end();) {
    auto m = next->models.find(it->first.first);
    if (m == next->models.end() || !m->second.versions.contains(it->first.second)) {
      retired.push_back(std::move(it->second));
      it = available.erase(it);
    } else {
      ++it;
    }
  }
  if (SameRoutes(*before, *next)) return;
  next->generation = before->generation + 1;
  {
    std::lock_guard lock(table_mu);
    table = std::move(next);
    generation.store(table->generation, std::memory_order_release);
  }
  stats.swaps.fetch_add(1);
}

void ModelManager::Impl::DropUnusedRetired() {
  // use_count() 1: no table and no request holds it, and none can get it again, so the model
  // is freed here rather than on the request thread that happened to let go last.
  std::erase_if(retired, [](const ServableHandle& h) { return h.use_count() == 1; });
}

ModelManager::ModelManager(ManagerOptions options, std::unique_ptr<Loader> loader)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(loader))) {
  impl_->thread = std::thread([this] { impl_->Run(); });
}

ModelManager::~ModelManager() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stop = true;
  }
  impl_->wake.notify_all();
  impl_->thread.join();
}

void ModelManager::SetAspiredVersions(std::vector<AspiredVersion> aspired) {
  std::sort(aspired.begin(), aspired.end(), [](const AspiredVersion& a, const AspiredVersion& b) {
    return std::tie(a.model, a.version) < std::tie(b.model, b.version);
  });
  {
    std::lock_guard lock(impl_->mu);
    impl_->aspired = std::move(aspired);
    ++impl_->aspired_seq;
  }
  impl_->wake.notify_all();
}

std::shared_ptr<const RoutingTable> ModelManager::Routes() const {
  // A few managers per process at most (tests make several): a small array per thread, the
  // least recently refreshed slot reused. An entry keeps its table (and the versions in it)
  // alive until this thread asks that manager again or the slot is reused.
  struct Entry {
    uint64_t manager = 0;
    uint64_t generation = 0;
    std::shared_ptr<const RoutingTable> table;
  };
  thread_local std::array<Entry, 4> cache;
  thread_local size_t next_slot = 0;
  const uint64_t generation = impl_->generation.load(std::memory_order_acquire);
  Entry* entry = nullptr;
  for (Entry& e : cache) {
    if (e.manager == impl_->id) entry = &e;
  }
  if (entry != nullptr && entry->table && entry->generation == generation) return entry->table;
  if (entry == nullptr) {
    entry = &cache[next_slot];
    next_slot = (next_slot + 1) % cache.size();
  }
  std::shared_ptr<const RoutingTable> table;
  {
    std::lock_guard lock(impl_->table_mu);
    table = impl_->table;
  }
  // The table's own generation: it may be newer than the one read above, never older.
  *entry = Entry{impl_->id, table->generation, table};
  return table;
}

bool ModelManager::WaitIdle(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  return impl_->idle.wait_for(lock, timeout,
                              [&] { return impl_->handled_seq == impl_->aspired_seq; });
}

bool ModelManager::initial_load_done() const {
  std::lock_guard lock(impl_->mu);
  return impl_->initial_done;
}

const ManagerStats& ModelManager::stats() const { return impl_->stats; }

}  // namespace hone::serve
