#include "hone/serve/registry_source.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "hone/core/process.h"
#include "hone/core/test_postgres.h"
#include "hone/core/test_temp_dir.h"

namespace hone::serve {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

/// A real MetaStore that counts the ListModels calls made through it (the expensive read the
/// source must only make when the change counter moved).
class CountingMetaStore final : public store::MetaStore {
 public:
  CountingMetaStore(std::unique_ptr<store::MetaStore> inner, std::atomic<int>& list_models)
      : inner_(std::move(inner)), list_models_(list_models) {}

  std::string Describe() const override { return inner_->Describe(); }
  Result<std::string> CreateRun(const store::RunStart& s) override { return inner_->CreateRun(s); }
  Result<void> EndRun(std::string_view id, store::RunStatus st, store::TimeMs t) override {
    return inner_->EndRun(id, st, t);
  }
  Result<void> LogParams(std::string_view id,
                         const std::map<std::string, std::string>& p) override {
    return inner_->LogParams(id, p);
  }
  Result<void> SetTags(std::string_view id, const std::map<std::string, std::string>& t) override {
    return inner_->SetTags(id, t);
  }
  Result<void> LogMetrics(std::string_view id, std::span<const store::Metric> m) override {
    return inner_->LogMetrics(id, m);
  }
  Result<void> LogArtifact(std::string_view id, const store::RunArtifact& a) override {
    return inner_->LogArtifact(id, a);
  }
  Result<store::Run> GetRun(std::string_view id) override { return inner_->GetRun(id); }
  Result<std::vector<store::Run>> ListRuns(const store::RunQuery& q) override {
    return inner_->ListRuns(q);
  }
  Result<store::ModelVersion> CreateVersion(const store::NewVersion& v,
                                            const store::Actor& a) override {
    return inner_->CreateVersion(v, a);
  }
  Result<std::vector<store::Model>> ListModels() override {
    list_models_.fetch_add(1);
    return inner_->ListModels();
  }
  Result<store::Model> GetModel(std::string_view name) override { return inner_->GetModel(name); }
  Result<store::ModelVersion> GetVersion(std::string_view m, int64_t v) override {
    return inner_->GetVersion(m, v);
  }
  Result<std::vector<store::ModelVersion>> ListVersions(std::string_view m,
                                                        const store::VersionQuery& q) override {
    return inner_->ListVersions(m, q);
  }
  Result<int64_t> ResolveAlias(std::string_view m, std::string_view a) override {
    return inner_->ResolveAlias(m, a);
  }
  Result<store::AliasMove> MoveAlias(const store::AliasChange& c) override {
    return inner_->MoveAlias(c);
  }
  Result<std::vector<store::AliasMove>> AliasHistory(std::string_view m,
                                                     std::string_view a) override {
    return inner_->AliasHistory(m, a);
  }
  Result<int64_t> AliasChangeCounter() override { return inner_->AliasChangeCounter(); }
  Result<bool> WaitForAliasChange(std::chrono::milliseconds timeout) override {
    return inner_->WaitForAliasChange(timeout);
  }
  Result<std::vector<store::AuditRecord>> ListAudit(const store::AuditQuery& q) override {
    return inner_->ListAudit(q);
  }
  Result<std::optional<store::AuditHead>> GetAuditHead() override { return inner_->GetAuditHead(); }
  Result<std::string> StoreId() override { return inner_->StoreId(); }
  Result<std::set<std::string, std::less<>>> ReferencedDigests() override {
    return inner_->ReferencedDigests();
  }
  Result<store::AuditRecord> AppendAudit(std::string_view a, std::string_view s, std::string_view b,
                                         std::string_view f, const store::Actor& actor) override {
    return inner_->AppendAudit(a, s, b, f, actor);
  }
  Result<store::Lease> AcquireLease(std::string_view n, std::string_view h,
                                    std::chrono::milliseconds t) override {
    return inner_->AcquireLease(n, h, t);
  }
  Result<store::ApiToken> CreateToken(const store::ApiToken& t, const store::Actor& a) override {
    return inner_->CreateToken(t, a);
  }
  Result<std::vector<store::ApiToken>> ListTokens() override { return inner_->ListTokens(); }
  Result<store::ApiToken> GetToken(std::string_view id) override { return inner_->GetToken(id); }
  Result<store::ApiToken> RevokeToken(std::string_view n, const store::Actor& a) override {
    return inner_->RevokeToken(n, a);
  }
  Result<void> ReleaseLease(std::string_view n, std::string_view h) override {
    return inner_->ReleaseLease(n, h);
  }
  Result<void> AppendMonitorWindows(std::span<const store::MonitorWindow> w) override {
    return inner_->AppendMonitorWindows(w);
  }
  Result<std::vector<store::MonitorWindow>> ListMonitorWindows(
      const store::WindowQuery& q) override {
    return inner_->ListMonitorWindows(q);
  }
  Result<uint64_t> PruneMonitorWindows(std::string_view model, store::TimeMs before) override {
    return inner_->PruneMonitorWindows(model, before);
  }
  Result<void> LogPredictions(std::span<const store::PredictionRecord> r, size_t k) override {
    return inner_->LogPredictions(r, k);
  }
  Result<store::FeedbackResult> RecordFeedback(std::string_view m,
                                               std::span<const store::Feedback> f) override {
    return inner_->RecordFeedback(m, f);
  }
  Result<std::vector<store::LabelledPrediction>> ListLabelledPredictions(
      const store::WindowQuery& q) override {
    return inner_->ListLabelledPredictions(q);
  }
  Result<std::pair<uint64_t, uint64_t>> CountPredictions(const store::WindowQuery& q) override {
    return inner_->CountPredictions(q);
  }

  // MLflow compatibility
  Result<store::Experiment> CreateExperiment(const store::Experiment& e) override {
    return inner_->CreateExperiment(e);
  }
  Result<std::vector<store::Experiment>> ListExperiments() override {
    return inner_->ListExperiments();
  }
  Result<void> PutMlflowRun(const store::MlflowRunInfo& i) override {
    return inner_->PutMlflowRun(i);
  }
  Result<store::MlflowRunInfo> GetMlflowRun(std::string_view id) override {
    return inner_->GetMlflowRun(id);
  }
  Result<std::vector<store::MlflowRunInfo>> ListMlflowRuns() override {
    return inner_->ListMlflowRuns();
  }
  Result<void> SetRunDeleted(std::string_view id, bool d, const store::Actor& a) override {
    return inner_->SetRunDeleted(id, d, a);
  }
  Result<store::Model> CreateModel(const store::ModelDetails& d, const store::Actor& a) override {
    return inner_->CreateModel(d, a);
  }
  Result<store::ModelDetails> GetModelDetails(std::string_view m) override {
    return inner_->GetModelDetails(m);
  }
  Result<store::ModelDetails> PutModelDetails(const store::ModelDetails& d,
                                              const store::Actor& a) override {
    return inner_->PutModelDetails(d, a);
  }
  Result<void> DeleteModel(std::string_view m, const store::Actor& a) override {
    return inner_->DeleteModel(m, a);
  }
  Result<store::ModelVersion> CreateSourceVersion(const store::NewVersion& v,
                                                  const store::VersionDetails& d,
                                                  const store::Actor& a) override {
    return inner_->CreateSourceVersion(v, d, a);
  }
  Result<store::VersionDetails> GetVersionDetails(std::string_view m, int64_t v) override {
    return inner_->GetVersionDetails(m, v);
  }
  Result<store::VersionDetails> PutVersionDetails(const store::VersionDetails& d,
                                                  const store::Actor& a) override {
    return inner_->PutVersionDetails(d, a);
  }
  Result<void> DeleteVersion(std::string_view m, int64_t v, const store::Actor& a) override {
    return inner_->DeleteVersion(m, v, a);
  }

 private:
  std::unique_ptr<store::MetaStore> inner_;
  std::atomic<int>& list_models_;
};

/// Collects what the source calls its target with.
class Target {
 public:
  AspiredCallback Callback() {
    return [this](std::vector<AspiredVersion> aspired) {
      {
        std::lock_guard lock(mu_);
        sets_.push_back({Clock::now(), std::move(aspired)});
      }
      cv_.notify_all();
    };
  }
  size_t calls() const {
    std::lock_guard lock(mu_);
    return sets_.size();
  }
  std::vector<AspiredVersion> last() const {
    std::lock_guard lock(mu_);
    return sets_.empty() ? std::vector<AspiredVersion>() : sets_.back().second;
  }
  /// Waits up to `timeout` for call number `n` (1-based); returns when it came.
  std::optional<Clock::time_point> WaitForCall(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, timeout, [&] { return sets_.size() >= n; })) return std::nullopt;
    return sets_[n - 1].first;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<Clock::time_point, std::vector<AspiredVersion>>> sets_;
};

/// Polls `done` until it holds or `timeout` passes.
template <typename Done>
bool Eventually(Done done, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

store::AliasChange Promote(std::string model, std::string alias, int64_t version) {
  return store::AliasChange{std::move(model), std::move(alias), version,
                            std::nullopt,     "promote",        store::Actor{"ana"}};
}

class RegistrySourceTest : public core::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    where_ = {.store = (dir_ / ".hone").string(), .create = true};
    auto opened = store::OpenStore(where_);
    ASSERT_TRUE(opened) << opened.error().message();
    store_ = std::make_unique<store::Store>(std::move(*opened));
  }

  /// Opens the store through a CountingMetaStore.
  StoreOpener Opener() {
    return [this]() -> Result<store::Store> {
      HONE_ASSIGN_OR_RETURN(store::Store s, store::OpenStore(where_));
      s.meta = std::make_unique<CountingMetaStore>(std::move(s.meta), list_models_);
      return s;
    };
  }

  void Register(const std::string& model, int versions) {
    for (int i = 0; i < versions; ++i) {
      auto v = store_->meta->CreateVersion(
          store::NewVersion{.model = model, .bundle_digest = std::string(64, 'a')}, {"ana"});
      ASSERT_TRUE(v) << v.error().message();
    }
  }

  store::StoreOptions where_;
  std::unique_ptr<store::Store> store_;
  std::atomic<int> list_models_{0};
};

TEST_F(RegistrySourceTest, StartCallsTheTargetWithTheServedAliasesBeforeReturning) {
  Register("houses", 3);
  Register("flats", 1);
  Register("boats", 1);
  ASSERT_TRUE(store_->meta->MoveAlias(Promote("houses", "production", 2)));
  ASSERT_TRUE(store_->meta->MoveAlias(Promote("houses", "canary", 3)));
  ASSERT_TRUE(store_->meta->MoveAlias(Promote("houses", "staging", 1)));  // not served
  ASSERT_TRUE(store_->meta->MoveAlias(Promote("flats", "canary", 1)));
  ASSERT_TRUE(store_->meta->MoveAlias(Promote("flats", "production", 1)));
  ASSERT_TRUE(store_->meta->MoveAlias(Promote("boats", "production", 1)));
  Target target;
  RegistrySourceOptions options;
  options.models = {"houses", "flats"};
  auto source = RegistrySource::Start(options, Opener(), target.Callback());
  ASSERT_TRUE(source) << source.error().message();
  ASSERT_EQ(target.calls(), 1u);
  EXPECT_EQ(target.last(), (std::vector<AspiredVersion>{{"flats", 1, {"production", "canary"}},
                                                        {"houses", 2, {"production"}},
                                                        {"houses", 3, {"canary"}}}));
  (*source)->Stop();
  (*source)->Stop();  // idempotent
}

TEST_F(RegistrySourceTest, AStoreThatCannotBeOpenedFailsTheStart) {
  Target target;
  auto source = RegistrySource::Start(
      {},
      [&]() -> Result<store::Store> {
        return store::OpenStore({.store = (dir_ / "nowhere").string()});
      },
      target.Callback());
  ASSERT_FALSE(source);
  EXPECT_EQ(target.calls(), 0u);
}

TEST_F(RegistrySourceTest, NoticesAPromotionOnSqliteAndRereadsOnlyWhenTheCounterMoved) {
  Register("houses", 2);
  ASSERT_TRUE(store_->meta->MoveAlias(Promote("houses", "production", 1)));
  Target target;
  RegistrySourceOptions options;
  options.poll_interval = 200ms;
  auto source = RegistrySource::Start(options, Opener(), target.Callback());
  ASSERT_TRUE(source) << source.error().message();
  ASSERT_EQ(target.calls(), 1u);
  EXPECT_EQ(list_models_.load(), 1);

  // Polls that find the counter where it was read nothing else.
  const uint64_t checks = (*source)->checks();
  ASSERT_TRUE(Eventually([&] { return (*source)->checks() >= checks + 3; }));
  EXPECT_EQ(list_models_.load(), 1);
  EXPECT_EQ(target.calls(), 1u);

  // A move of an alias that is not served: the models are read again, the target not called.
  ASSERT_TRUE(store_->meta->MoveAlias(Promote("houses", "staging", 2)));
  ASSERT_TRUE(Eventually([&] { return list_models_.load() == 2; }));
  const uint64_t after_staging = (*source)->checks();
  ASSERT_TRUE(Eventually([&] { return (*source)->checks() >= after_staging + 2; }));
  EXPECT_EQ(list_models_.load(), 2);
  EXPECT_EQ(target.calls(), 1u);

  // A promotion arrives within a poll interval or so (bound generous for loaded machines).
  const Clock::time_point promoted = Clock::now();
  ASSERT_TRUE(store_->meta->MoveAlias(Promote("houses", "production", 2)));
  auto arrived = target.WaitForCall(2, 5s);
  ASSERT_TRUE(arrived) << "the promotion never reached the target";
  EXPECT_LT(*arrived - promoted, 5s);
  EXPECT_EQ(target.last(), (std::vector<AspiredVersion>{{"houses", 2, {"production"}}}));

  // Removing the alias empties the set.
  ASSERT_TRUE(store_->meta->MoveAlias(
      {"houses", "production", std::nullopt, std::nullopt, "alias-delete", {"ana"}}));
  ASSERT_TRUE(target.WaitForCall(3, 5s));
  EXPECT_TRUE(target.last().empty());
  (*source)->Stop();
}

TEST_F(RegistrySourceTest, StopDoesNotWaitForALongPollInterval) {
  Target target;
  RegistrySourceOptions options;
  options.poll_interval = 60s;
  auto source = RegistrySource::Start(options, Opener(), target.Callback());
  ASSERT_TRUE(source) << source.error().message();
  const Clock::time_point start = Clock::now();
  (*source)->Stop();
  EXPECT_LT(Clock::now() - start, 5s);
}

// --- PostgreSQL: notifications ---

/// The test database of HONE_TEST_PG_URL, or why there is none (a failure under CI=true).
/// SQL on the test database through psql, as tests/e2e does (hone's drivers stay in store/).
Result<core::ProcessResult> Psql(const std::string& url, const std::string& sql,
                                 const std::filesystem::path& log) {
  return core::RunProcess(
      {.command = "psql -X -q -v ON_ERROR_STOP=1 -d \"$HONE_PG\" -c \"" + sql + "\"",
       .env = {{"HONE_PG", url}},
       .log = log,
       .timeout_seconds = 30});
}

TEST_F(RegistrySourceTest, APromotionOnPostgresArrivesByNotificationBeforeThePollInterval) {
  const std::optional<std::string> url = core::testing::TestPostgresUrl();
  if (!url) GTEST_SKIP() << core::testing::kPostgresMissing;
  // A schema of the test's own, first on the store's search_path.
  const std::string schema = "hone_src_" + std::to_string(::getpid());
  const std::string model = "houses";
  auto created = Psql(*url, "DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema,
                      dir_ / "psql.log");
  ASSERT_TRUE(created && created->exit_code == 0)
      << (created ? created->log_tail : created.error().message());
  struct DropSchema {
    std::function<void()> drop;
    ~DropSchema() { drop(); }
  } drop_schema{[&] {
    store_.reset();  // its connection first
    (void)Psql(*url, "DROP SCHEMA IF EXISTS " + schema + " CASCADE", dir_ / "drop.log");
  }};
  where_ = {.store = *url + (url->find('?') == std::string::npos ? "?" : "&") +
                     "options=-c%20search_path%3D" + schema,
            .artifacts = (dir_ / "artifacts").string(),
            .create = true};
  auto opened = store::OpenStore(where_);
  ASSERT_TRUE(opened) << opened.error().message();
  store_ = std::make_unique<store::Store>(std::move(*opened));
  Register(model, 2);
  ASSERT_TRUE(store_->meta->MoveAlias(Promote(model, "production", 1)));

  Target target;
  RegistrySourceOptions options;
  options.models = {model};
  options.poll_interval = 5s;
  auto source = RegistrySource::Start(options, Opener(), target.Callback());
  ASSERT_TRUE(source) << source.error().message();
  ASSERT_EQ(target.last(), (std::vector<AspiredVersion>{{model, 1, {"production"}}}));

  const Clock::time_point promoted = Clock::now();
  ASSERT_TRUE(store_->meta->MoveAlias(Promote(model, "production", 2)));
  auto arrived = target.WaitForCall(2, 10s);
  ASSERT_TRUE(arrived) << "the promotion never reached the target";
  EXPECT_LT(*arrived - promoted, 2s);  // the poll interval is 5 s: this was the notification
  EXPECT_EQ(target.last(), (std::vector<AspiredVersion>{{model, 2, {"production"}}}));
  (*source)->Stop();
}

}  // namespace
}  // namespace hone::serve
