#include "hone/serve/model_manager.h"

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/core/test_temp_dir.h"
#include "hone/registry/registry.h"
#include "hone/serve/registry_source.h"
#include "hone/serve/testing/trained_models.h"

namespace hone::serve {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr auto kLoadTimeout = 60s;  // loads under the sanitizers on a busy machine

/// Polls `done` until it holds or `timeout` passes; returns whether it held.
template <typename Done>
bool Eventually(Done done, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

/// Three different bundles of the houses price model, trained once per process.
const std::string& BundleBytes(int which) {
  static const std::vector<std::string> bundles = [] {
    std::vector<std::string> b;
    for (uint64_t seed : {1, 2, 3}) {
      b.push_back(learn::EncodeBundle(testing::TrainHouses("price", "random_forest", seed)));
    }
    return b;
  }();
  return bundles.at(static_cast<size_t>(which));
}

/// The real registry loader, with a gate: loads of blocked versions wait until released.
class GatedLoader : public Loader {
 public:
  explicit GatedLoader(std::unique_ptr<Loader> inner) : inner_(std::move(inner)) {}

  void Block(int64_t version) {
    std::lock_guard lock(mu_);
    blocked_.insert(version);
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      blocked_.clear();
    }
    cv_.notify_all();
  }
  int loads() const {
    std::lock_guard lock(mu_);
    return loads_;
  }

  Result<std::shared_ptr<Servable>> Load(std::string_view model, int64_t version) override {
    {
      std::unique_lock lock(mu_);
      ++loads_;
      cv_.wait(lock, [&] { return !blocked_.contains(version); });
    }
    return inner_->Load(model, version);
  }

 private:
  std::unique_ptr<Loader> inner_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::set<int64_t> blocked_;
  int loads_ = 0;
};

class ModelManagerTest : public core::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    where_ = {.store = (dir_ / ".hone").string(), .create = true};
    auto opened = store::OpenStore(where_);
    ASSERT_TRUE(opened) << opened.error().message();
    store_ = std::make_unique<store::Store>(std::move(*opened));
    registry_ =
        std::make_unique<registry::Registry>(*store_->meta, store_->artifacts, store::Actor{"ana"});
  }

  StoreOpener Opener() const {
    return [where = where_]() {
      auto options = where;
      options.create = false;
      return store::OpenStore(options);
    };
  }

  /// Registers the next version of `model` with bundle `which` (0, 1, 2).
  store::ModelVersion Register(const std::string& model, int which) {
    auto v = registry_->Register(store::NewVersion{.model = model}, BundleBytes(which));
    EXPECT_TRUE(v) << v.error().message();
    return v.value_or(store::ModelVersion{});
  }

  /// A manager over the registry loader behind a gate (`gate_`).
  std::unique_ptr<ModelManager> MakeManager(ManagerOptions options = {}) {
    auto gated = std::make_unique<GatedLoader>(MakeRegistryLoader(Opener(), 4));
    gate_ = gated.get();
    return std::make_unique<ModelManager>(std::move(options), std::move(gated));
  }

  static const ModelRoutes* Find(const RoutingTable& table, const std::string& model) {
    auto it = table.models.find(model);
    return it == table.models.end() ? nullptr : &it->second;
  }
  static const VersionStatus* State(const ModelRoutes& routes, int64_t version) {
    for (const VersionStatus& s : routes.states) {
      if (s.version == version) return &s;
    }
    return nullptr;
  }
  static int64_t DefaultOf(const ModelManager& m, const std::string& model) {
    auto table = m.Routes();
    const ModelRoutes* routes = Find(*table, model);
    return routes && routes->default_version ? routes->default_version->version : 0;
  }

  store::StoreOptions where_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<registry::Registry> registry_;
  GatedLoader* gate_ = nullptr;
};

TEST_F(ModelManagerTest, LoadsAspiredVersionsAndPublishesThem) {
  Register("houses", 0);
  Register("houses", 1);
  auto manager = MakeManager();
  EXPECT_FALSE(manager->initial_load_done());
  EXPECT_TRUE(manager->Routes()->models.empty());
  manager->SetAspiredVersions(
      {{"houses", 1, {"production"}}, {"houses", 2, {"canary"}}, {"other", 1, {"production"}}});
  ASSERT_TRUE(manager->WaitIdle(kLoadTimeout));
  EXPECT_TRUE(manager->initial_load_done());

  auto table = manager->Routes();
  const ModelRoutes* houses = Find(*table, "houses");
  ASSERT_NE(houses, nullptr);
  ASSERT_NE(houses->default_version, nullptr);
  EXPECT_EQ(houses->default_version->version, 1);
  EXPECT_EQ(houses->default_version->model, "houses");
  EXPECT_EQ(houses->versions.size(), 2u);
  EXPECT_EQ(houses->aliases,
            (std::map<std::string, int64_t, std::less<>>{{"canary", 2}, {"production", 1}}));
  ASSERT_EQ(houses->states.size(), 2u);
  EXPECT_EQ(houses->states[0].state, VersionState::kAvailable);
  EXPECT_EQ(houses->states[0].aliases, std::vector<std::string>{"production"});
  EXPECT_EQ(houses->states[1].aliases, std::vector<std::string>{"canary"});
  // The served bytes are the registered ones, and the model answers.
  const learn::LoadedModel& loaded = houses->versions.at(2)->loaded;
  EXPECT_EQ(loaded.digest, store_->meta->GetVersion("houses", 2)->bundle_digest);
  std::vector<float> row(loaded.bundle.features.size(), 100.0f), out(1);
  EXPECT_TRUE(loaded.model->PredictRow(row, out));
  // A model that is not registered fails to load and is shown so.
  const ModelRoutes* other = Find(*table, "other");
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->default_version, nullptr);
  ASSERT_EQ(other->states.size(), 1u);
  EXPECT_EQ(other->states[0].state, VersionState::kFailed);
  EXPECT_THAT(other->states[0].error, HasSubstr("other"));
  EXPECT_EQ(manager->stats().loads.load(), 2u);
  EXPECT_EQ(manager->stats().load_failures.load(), 1u);
}

TEST_F(ModelManagerTest, RoutesIsTheSameTableUntilASwap) {
  Register("houses", 0);
  Register("houses", 1);
  auto manager = MakeManager();
  manager->SetAspiredVersions({{"houses", 1, {"production"}}});
  ASSERT_TRUE(manager->WaitIdle(kLoadTimeout));
  auto first = manager->Routes();
  EXPECT_EQ(manager->Routes(), first);
  std::shared_ptr<const RoutingTable> elsewhere;
  std::thread([&] { elsewhere = manager->Routes(); }).join();
  EXPECT_EQ(elsewhere, first);
  // The same set again changes nothing, so nothing is published.
  const uint64_t swaps = manager->stats().swaps.load();
  manager->SetAspiredVersions({{"houses", 1, {"production"}}});
  ASSERT_TRUE(manager->WaitIdle(kLoadTimeout));
  EXPECT_EQ(manager->Routes(), first);
  EXPECT_EQ(manager->stats().swaps.load(), swaps);
  // A second manager in the same thread has tables of its own.
  auto second = MakeManager();
  EXPECT_NE(second->Routes(), first);
  EXPECT_EQ(manager->Routes(), first);

  manager->SetAspiredVersions({{"houses", 1, {"production"}}, {"houses", 2, {"canary"}}});
  ASSERT_TRUE(manager->WaitIdle(kLoadTimeout));
  auto after = manager->Routes();
  EXPECT_NE(after, first);
  EXPECT_GT(after->generation, first->generation);
  EXPECT_EQ(Find(*after, "houses")->versions.size(), 2u);
  EXPECT_EQ(Find(*first, "houses")->versions.size(), 1u);  // a published table never changes
}

TEST_F(ModelManagerTest, SwapServesTheOldVersionUntilTheNewIsReadyAndFreesItAfterItsLastRequest) {
  Register("houses", 0);
  Register("houses", 1);
  auto manager = MakeManager();
  manager->SetAspiredVersions({{"houses", 1, {"production"}}});
  ASSERT_TRUE(manager->WaitIdle(kLoadTimeout));
  ServableHandle request = Find(*manager->Routes(), "houses")->default_version;  // in flight
  ASSERT_NE(request, nullptr);
  std::weak_ptr<const Servable> old = request;

  gate_->Block(2);
  manager->SetAspiredVersions({{"houses", 2, {"production"}}});
  ASSERT_TRUE(Eventually([&] {
    const ModelRoutes* r = Find(*manager->Routes(), "houses");
    const VersionStatus* s = r ? State(*r, 2) : nullptr;
    return s && s->state == VersionState::kLoading;
  }));
  EXPECT_FALSE(manager->WaitIdle(0ms));
  {
    auto loading = manager->Routes();
    const ModelRoutes* r = Find(*loading, "houses");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->default_version.get(), request.get());  // the old one answers meanwhile
    EXPECT_TRUE(r->versions.contains(1));
    EXPECT_EQ(r->aliases.at("production"), 2);
  }

  gate_->Release();
  ASSERT_TRUE(manager->WaitIdle(kLoadTimeout));
  auto swapped = manager->Routes();
  const ModelRoutes* r = Find(*swapped, "houses");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->default_version->version, 2);
  EXPECT_FALSE(r->versions.contains(1));
  ASSERT_EQ(r->states.size(), 1u);
  // The request still holds version 1, which still works.
  EXPECT_EQ(request->version, 1);
  std::vector<float> row(request->loaded.bundle.features.size(), 1.0f), out(1);
  EXPECT_TRUE(request->loaded.model->PredictRow(row, out));
  EXPECT_FALSE(old.expired());
  request.reset();  // the request ends; the manager frees the version on its own thread
  EXPECT_TRUE(Eventually([&] { return old.expired(); }));
}

TEST_F(ModelManagerTest, ACorruptBundleFailsAndTheVersionBeforeKeepsServing) {
  Register("houses", 0);
  const store::ModelVersion second = Register("houses", 1);
  auto manager = MakeManager();
  manager->SetAspiredVersions({{"houses", 1, {"production"}}});
  ASSERT_TRUE(manager->WaitIdle(kLoadTimeout));

  const fs::path blob = store_->artifacts.PathOf(second.bundle_digest);
  fs::permissions(blob, fs::perms::owner_write, fs::perm_options::add);
  {
    std::fstream file(blob, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(100);
    char byte = 0;
    file.get(byte);
    file.seekp(100);
    file.put(static_cast<char>(byte ^ 0x01));
  }
  manager->SetAspiredVersions({{"houses", 2, {"production"}}});
  ASSERT_TRUE(manager->WaitIdle(kLoadTimeout));
  auto table = manager->Routes();
  const ModelRoutes* r = Find(*table, "houses");
  ASSERT_NE(r, nullptr);
  ASSERT_NE(r->default_version, nullptr);
  EXPECT_EQ(r->default_version->version, 1);
  const VersionStatus* failed = State(*r, 2);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->state, VersionState::kFailed);
  EXPECT_THAT(failed->error, HasSubstr("houses/2"));
  EXPECT_THAT(failed->error, HasSubstr("corrupt"));
  EXPECT_EQ(manager->stats().load_failures.load(), 1u);
  // Not retried while the aspired set stays the same.
  const int loads = gate_->loads();
  manager->SetAspiredVersions({{"houses", 2, {"production"}}});
  ASSERT_TRUE(manager->WaitIdle(kLoadTimeout));
  EXPECT_EQ(gate_->loads(), loads);
  EXPECT_EQ(manager->stats().load_failures.load(), 1u);
  EXPECT_EQ(DefaultOf(*manager, "houses"), 1);
}

TEST_F(ModelManagerTest, RemovingTheAliasesRemovesTheModel) {
  Register("houses", 0);
  Register("flats", 1);
  auto manager = MakeManager();
  manager->SetAspiredVersions({{"houses", 1, {"production"}}, {"flats", 1, {"production"}}});
  ASSERT_TRUE(manager->WaitIdle(kLoadTimeout));
  ASSERT_EQ(manager->Routes()->models.size(), 2u);
  std::weak_ptr<const Servable> flats = Find(*manager->Routes(), "flats")->default_version;
  manager->SetAspiredVersions({{"houses", 1, {"production"}}});
  ASSERT_TRUE(manager->WaitIdle(kLoadTimeout));
  auto table = manager->Routes();
  EXPECT_EQ(Find(*table, "flats"), nullptr);
  EXPECT_NE(Find(*table, "houses"), nullptr);
  EXPECT_TRUE(Eventually([&] { return flats.expired(); }));
  manager->SetAspiredVersions({});
  ASSERT_TRUE(manager->WaitIdle(kLoadTimeout));
  EXPECT_TRUE(manager->Routes()->models.empty());
}

TEST_F(ModelManagerTest, DefaultVersionFollowsTheAliasOrder) {
  for (int i = 0; i < 3; ++i) Register("houses", 0);
  auto manager = MakeManager();
  // Only a canary: it answers.
  manager->SetAspiredVersions({{"houses", 1, {"canary"}}});
  ASSERT_TRUE(manager->WaitIdle(kLoadTimeout));
  EXPECT_EQ(DefaultOf(*manager, "houses"), 1);
  // A production version comes first once it is available.
  manager->SetAspiredVersions({{"houses", 1, {"canary"}}, {"houses", 2, {"production"}}});
  ASSERT_TRUE(manager->WaitIdle(kLoadTimeout));
  EXPECT_EQ(DefaultOf(*manager, "houses"), 2);
  // An alias that is not served is not a default.
  manager->SetAspiredVersions({{"houses", 3, {"staging"}}});
  ASSERT_TRUE(manager->WaitIdle(kLoadTimeout));
  EXPECT_EQ(DefaultOf(*manager, "houses"), 0);
  EXPECT_TRUE(Find(*manager->Routes(), "houses")->versions.contains(3));

  // Another order of preference.
  auto canary_first = MakeManager({.aliases = {"canary", "production"}});
  canary_first->SetAspiredVersions({{"houses", 1, {"canary"}}, {"houses", 2, {"production"}}});
  ASSERT_TRUE(canary_first->WaitIdle(kLoadTimeout));
  EXPECT_EQ(DefaultOf(*canary_first, "houses"), 1);
  // While the preferred alias's new version loads, the default before it keeps answering,
  // rather than the next alias.
  gate_->Block(3);
  canary_first->SetAspiredVersions({{"houses", 3, {"canary"}}, {"houses", 2, {"production"}}});
  ASSERT_TRUE(Eventually([&] {
    const ModelRoutes* r = Find(*canary_first->Routes(), "houses");
    return r && r->aliases.contains("canary") && r->aliases.at("canary") == 3;
  }));
  EXPECT_EQ(DefaultOf(*canary_first, "houses"), 1);
  gate_->Release();
  ASSERT_TRUE(canary_first->WaitIdle(kLoadTimeout));
  EXPECT_EQ(DefaultOf(*canary_first, "houses"), 3);
}

TEST_F(ModelManagerTest, PublishesTheCanaryItsWeightAndTheShadow) {
  for (int i = 0; i < 3; ++i) Register("houses", i);
  auto manager = MakeManager();
  manager->SetAspiredVersions({{"houses", 1, {"production"}},
                               {"houses", 2, {"canary"}, {{"canary", 0.3}}},
                               {"houses", 3, {"shadow"}}});
  ASSERT_TRUE(manager->WaitIdle(kLoadTimeout));
  auto first = manager->Routes();
  const ModelRoutes* r = Find(*first, "houses");
  ASSERT_NE(r, nullptr);
  ASSERT_NE(r->default_version, nullptr);
  EXPECT_EQ(r->default_version->version, 1);
  EXPECT_EQ(r->default_alias, "production");
  ASSERT_NE(r->canary, nullptr);
  EXPECT_EQ(r->canary->version, 2);
  EXPECT_EQ(r->canary_alias, "canary");
  EXPECT_DOUBLE_EQ(r->canary_weight, 0.3);
  ASSERT_NE(r->shadow, nullptr);
  EXPECT_EQ(r->shadow->version, 3);
  EXPECT_TRUE(r->shadow_reads_default_rows);  // the same features, trained on other rows
  EXPECT_EQ(r->versions.size(), 3u);
  EXPECT_EQ(r->aliases.at("shadow"), 3);

  // A new weight alone publishes a new table over the same loaded versions.
  const int loads = gate_->loads();
  manager->SetAspiredVersions({{"houses", 1, {"production"}},
                               {"houses", 2, {"canary"}, {{"canary", 0.75}}},
                               {"houses", 3, {"shadow"}}});
  ASSERT_TRUE(manager->WaitIdle(kLoadTimeout));
  auto second = manager->Routes();
  EXPECT_NE(second, first);
  EXPECT_DOUBLE_EQ(Find(*second, "houses")->canary_weight, 0.75);
  EXPECT_EQ(Find(*second, "houses")->canary, r->canary);
  EXPECT_EQ(gate_->loads(), loads);
  // Weights out of range are held to [0, 1]; NaN and no weight are 0.
  for (auto [weight, share] : std::vector<std::pair<double, double>>{
           {1.7, 1.0}, {-0.2, 0.0}, {std::nan(""), 0.0}, {0.5, 0.5}}) {
    manager->SetAspiredVersions(
        {{"houses", 1, {"production"}}, {"houses", 2, {"canary"}, {{"canary", weight}}}});
    ASSERT_TRUE(manager->WaitIdle(kLoadTimeout));
    EXPECT_DOUBLE_EQ(Find(*manager->Routes(), "houses")->canary_weight, share) << weight;
  }
  manager->SetAspiredVersions({{"houses", 1, {"production"}}, {"houses", 2, {"canary"}}});
  ASSERT_TRUE(manager->WaitIdle(kLoadTimeout));
  auto unweighted = manager->Routes();
  EXPECT_EQ(Find(*unweighted, "houses")->canary_weight, 0.0);
  EXPECT_EQ(Find(*unweighted, "houses")->shadow, nullptr);  // the shadow alias is gone
  EXPECT_EQ(Find(*unweighted, "houses")->default_version->version, 1);
}

TEST_F(ModelManagerTest, TheCanaryAnswersWithoutProductionAndTheShadowNever) {
  for (int i = 0; i < 2; ++i) Register("houses", i);
  auto manager = MakeManager();
  manager->SetAspiredVersions({{"houses", 2, {"canary"}, {{"canary", 0.1}}}});
  ASSERT_TRUE(manager->WaitIdle(kLoadTimeout));
  {
    auto table = manager->Routes();
    const ModelRoutes* r = Find(*table, "houses");
    ASSERT_NE(r->default_version, nullptr);
    EXPECT_EQ(r->default_version, r->canary);
    EXPECT_EQ(r->default_alias, "canary");
  }
  // Canary is not among the default aliases here, and still answers when alone.
  auto production_only = MakeManager({.aliases = {"production"}});
  production_only->SetAspiredVersions({{"houses", 2, {"canary"}}});
  ASSERT_TRUE(production_only->WaitIdle(kLoadTimeout));
  EXPECT_EQ(DefaultOf(*production_only, "houses"), 2);

  // A shadow alone answers nothing, even when listed among the default aliases.
  auto shadow_listed = MakeManager({.aliases = {"shadow", "production"}});
  shadow_listed->SetAspiredVersions({{"houses", 1, {"shadow"}}});
  ASSERT_TRUE(shadow_listed->WaitIdle(kLoadTimeout));
  {
    auto table = shadow_listed->Routes();
    const ModelRoutes* r = Find(*table, "houses");
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->default_version, nullptr);
    ASSERT_NE(r->shadow, nullptr);
    EXPECT_EQ(r->shadow->version, 1);
    EXPECT_FALSE(r->shadow_reads_default_rows);  // nothing to read rows from
  }
  // A shadow on the production version is no shadow.
  shadow_listed->SetAspiredVersions({{"houses", 1, {"production", "shadow"}}});
  ASSERT_TRUE(shadow_listed->WaitIdle(kLoadTimeout));
  EXPECT_EQ(Find(*shadow_listed->Routes(), "houses")->shadow, nullptr);
  EXPECT_EQ(DefaultOf(*shadow_listed, "houses"), 1);
}

TEST_F(ModelManagerTest, TheCanaryBeforeKeepsItsShareWhileTheNewOneLoads) {
  for (int i = 0; i < 3; ++i) Register("houses", i % 3);
  auto manager = MakeManager();
  manager->SetAspiredVersions(
      {{"houses", 1, {"production"}}, {"houses", 2, {"canary"}, {{"canary", 0.2}}}});
  ASSERT_TRUE(manager->WaitIdle(kLoadTimeout));
  gate_->Block(3);
  manager->SetAspiredVersions(
      {{"houses", 1, {"production"}}, {"houses", 3, {"canary"}, {{"canary", 0.4}}}});
  ASSERT_TRUE(Eventually([&] {
    const ModelRoutes* r = Find(*manager->Routes(), "houses");
    return r && r->aliases.at("canary") == 3;
  }));
  {
    auto table = manager->Routes();
    const ModelRoutes* r = Find(*table, "houses");
    ASSERT_NE(r->canary, nullptr);
    EXPECT_EQ(r->canary->version, 2);
    EXPECT_TRUE(r->versions.contains(2));
    EXPECT_DOUBLE_EQ(r->canary_weight, 0.4);
  }
  gate_->Release();
  ASSERT_TRUE(manager->WaitIdle(kLoadTimeout));
  auto table = manager->Routes();
  const ModelRoutes* r = Find(*table, "houses");
  EXPECT_EQ(r->canary->version, 3);
  EXPECT_FALSE(r->versions.contains(2));
}

TEST_F(ModelManagerTest, TheRegistrysWeightsReachTheRoutingTable) {
  // What RegistrySource hands the manager for models as the store lists them (by name).
  store::Model houses{.name = "houses",
                      .aliases = {{"production", 1}, {"canary", 2}, {"shadow", 3}, {"staging", 1}},
                      .alias_weights = {{"canary", 0.25}, {"staging", 0.5}}};
  store::Model flats{.name = "flats", .aliases = {{"production", 1}, {"canary", 1}}};
  const std::vector<AspiredVersion> aspired = AspiredVersionsOf({flats, houses}, {});
  EXPECT_EQ(aspired, (std::vector<AspiredVersion>{{"flats", 1, {"production", "canary"}},
                                                  {"houses", 1, {"production"}},
                                                  {"houses", 2, {"canary"}, {{"canary", 0.25}}},
                                                  {"houses", 3, {"shadow"}}}));
  EXPECT_EQ(AspiredVersionsOf({houses}, {.shadow_alias = ""}).size(), 2u);
  EXPECT_EQ(AspiredVersionsOf({houses, flats}, {.models = {"flats"}}).size(), 1u);

  for (int i = 0; i < 3; ++i) Register("houses", i);
  auto manager = MakeManager();
  manager->SetAspiredVersions(AspiredVersionsOf({houses}, {}));
  ASSERT_TRUE(manager->WaitIdle(kLoadTimeout));
  auto table = manager->Routes();
  const ModelRoutes* r = Find(*table, "houses");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->default_version->version, 1);
  EXPECT_EQ(r->canary->version, 2);
  EXPECT_DOUBLE_EQ(r->canary_weight, 0.25);
  EXPECT_EQ(r->shadow->version, 3);
}

}  // namespace
}  // namespace hone::serve
