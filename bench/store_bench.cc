// The store's speed: logging metrics (one per call, and in batches), registering a version,
// resolving NAME@production, listing a model's 10,000 versions. On SQLite (a store folder in a
// temporary folder: a real file in WAL mode) always, and on PostgreSQL when HONE_BENCH_PG_URL is
// set (postgresql://user:pass@host:port/db; each benchmark gets a schema of its own, dropped at
// the end). See bench/README.md, "Store".
//
// Every benchmark sets its store up the first time Google Benchmark calls it (untimed, outside
// the loop) and keeps it for the later calls; the timed loop holds only the operation.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <unistd.h>

#include "hone/core/random.h"
#include "hone/registry/registry.h"
#include "hone/store/open_store.h"

namespace hone::bench {
namespace {

namespace fs = std::filesystem;
using core::Rng;
using store::Store;

constexpr std::string_view kModel = "churn";

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "store_bench: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T Must(Result<T> result, const std::string& what) {
  if (!result) Die(what + ": " + result.error().message());
  return std::move(*result);
}

/// Where the benchmarks' stores go: one folder per store under a temporary folder on disk,
/// and for PostgreSQL one schema per store as well.
class Backend {
 public:
  Backend(std::string name, fs::path root, std::optional<std::string> pg_url)
      : name_(std::move(name)), root_(std::move(root)), pg_url_(std::move(pg_url)) {}

  const std::string& name() const { return name_; }
  const std::optional<std::string>& pg_url() const { return pg_url_; }

  /// A fresh, empty store named `tag`: SQLite in `root/tag/`, or a PostgreSQL schema with its
  /// artifact folder in `root/tag/artifacts`.
  Store Fresh(const std::string& tag) {
    store::StoreOptions options;
    options.create = true;
    options.cwd = root_;
    options.store = (root_ / tag).string();
    if (pg_url_) {
      const std::string schema = "hone_bench_" + std::to_string(::getpid()) + "_" + tag;
      Admin("DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema);
      schemas_.push_back(schema);
      options.store = *pg_url_ + (pg_url_->find('?') == std::string::npos ? "?" : "&") +
                      "options=-c%20search_path%3D" + schema;
      options.artifacts = (root_ / tag / "artifacts").string();
    }
    return Must(store::OpenStore(options), name_ + " store " + tag);
  }

  /// Drops the schemas and removes the folder.
  void Cleanup() {
    for (const std::string& schema : schemas_)
      Admin("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    schemas_.clear();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

 private:
  /// Runs SQL on a connection of its own, outside any store (as the PostgreSQL tests do).
  void Admin(const std::string& sql) const {
    try {
      pqxx::connection conn(*pg_url_);
      pqxx::nontransaction tx(conn);
      tx.exec("SET client_min_messages = warning");
      tx.exec(sql);
    } catch (const std::exception& e) {
      Die("PostgreSQL at HONE_BENCH_PG_URL: " + std::string(e.what()));
    }
  }

  std::string name_;
  fs::path root_;
  std::optional<std::string> pg_url_;
  std::vector<std::string> schemas_;
};

/// What a benchmark set up on its first call, kept for its later calls.
struct Fixture {
  Store store;
  std::string run_id;
  std::string bundle_digest;
};

/// Every fixture made so far, by backend and key.
std::map<std::string, std::unique_ptr<Fixture>>& Fixtures() {
  static std::map<std::string, std::unique_ptr<Fixture>> fixtures;
  return fixtures;
}

/// The fixture `key` of `backend`, made by `setup` the first time it is asked for.
Fixture& Cached(Backend& backend, const std::string& key,
                const std::function<void(Fixture&)>& setup) {
  std::unique_ptr<Fixture>& slot = Fixtures()[backend.name() + "/" + key];
  if (!slot) {
    slot = std::make_unique<Fixture>(Fixture{backend.Fresh(key), "", ""});
    setup(*slot);
  }
  return *slot;
}

/// Seconds per operation, shown as e.g. "41.2us".
benchmark::Counter PerOp() {
  return benchmark::Counter(
      1, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

std::string RandomBytes(Rng& rng, size_t size) {
  std::string bytes(size, '\0');
  for (size_t i = 0; i < size; i += 8) {
    const uint64_t word = rng.Next();
    for (size_t j = 0; j < 8 && i + j < size; ++j)
      bytes[i + j] = static_cast<char>(word >> (8 * j));
  }
  return bytes;
}

/// A version as `hone train --register` makes one: a few parameters and metrics.
store::NewVersion SampleVersion(const std::string& digest) {
  store::NewVersion v;
  v.model = std::string(kModel);
  v.bundle_digest = digest;
  v.data_digest = std::string(64, 'd');
  v.code_commit = std::string(40, 'c');
  v.code_dirty = false;
  v.params = {{"max_depth", "12"}, {"n_trees", "100"}, {"seed", "42"}};
  v.metrics = {{"auc", 0.912}, {"accuracy", 0.871}, {"log_loss", 0.301}};
  v.description = "nightly retrain";
  return v;
}

/// `count` versions of kModel registered straight through CreateVersion, all naming one blob,
/// with `production` on the one before last.
void RegisterVersions(Fixture& f, int count, size_t bundle_bytes) {
  Rng rng(7);
  f.bundle_digest = Must(f.store.artifacts.Put(RandomBytes(rng, bundle_bytes)), "put bundle");
  const store::Actor actor{"bench"};
  for (int i = 0; i < count; ++i) {
    Must(f.store.meta->CreateVersion(SampleVersion(f.bundle_digest), actor), "create version");
  }
  store::AliasChange promote{std::string(kModel), "production", count - 1,
                             std::nullopt,        "promote",    actor};
  Must(f.store.meta->MoveAlias(promote), "promote");
}

void NewRun(Fixture& f) {
  store::RunStart start;
  start.command = "hone train churn.csv --target churned";
  start.start_ms = store::NowMs();
  start.host = "bench";
  start.user = "bench";
  f.run_id = Must(f.store.meta->CreateRun(start), "create run");
}

// --- 1, 2: metric logging ---

/// One metric per LogMetrics call, each its own transaction.
void BM_LogMetricSingle(benchmark::State& state, Backend* backend) {
  Fixture& f = Cached(*backend, "log_single", NewRun);
  store::Metric m{"loss", 0.5, 0, 0};
  for (auto _ : state) {
    m.step++;
    m.value *= 0.999;
    if (auto logged = f.store.meta->LogMetrics(f.run_id, {&m, 1}); !logged) {
      state.SkipWithError(logged.error().message().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["per_call"] = PerOp();
}

/// Batches of state.range(0) metrics per call (one transaction each): 4 keys × steps.
void BM_LogMetricsBatch(benchmark::State& state, Backend* backend) {
  const auto batch = static_cast<size_t>(state.range(0));
  Fixture& f = Cached(*backend, "log_batch_" + std::to_string(batch), NewRun);
  const char* keys[] = {"loss", "val_loss", "accuracy", "learning_rate"};
  std::vector<store::Metric> metrics(batch);
  for (size_t i = 0; i < batch; ++i) {
    const auto step = static_cast<int64_t>(i / 4);
    metrics[i] = {keys[i % 4], 1.0 / static_cast<double>(step + 1), step, 0};
  }
  const auto steps = static_cast<int64_t>(batch / 4);
  for (auto _ : state) {
    for (store::Metric& m : metrics) m.step += steps;  // the next steps: microseconds
    if (auto logged = f.store.meta->LogMetrics(f.run_id, metrics); !logged) {
      state.SkipWithError(logged.error().message().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["per_call"] = PerOp();
}

// --- 3: registering a version ---

/// Registry::Register of a 10 KB bundle, different each time: the blob is hashed, written,
/// fsynced and renamed into place, then the version is committed with its audit record.
void BM_Register(benchmark::State& state, Backend* backend) {
  Fixture& f = Cached(*backend, "register", [](Fixture&) {});
  registry::Registry reg(*f.store.meta, f.store.artifacts, store::Actor{"bench"});
  static Rng rng(11);
  std::string bundle = RandomBytes(rng, 10 * 1024);
  for (auto _ : state) {
    const uint64_t salt = rng.Next();  // a new blob every time
    for (int j = 0; j < 8; ++j) bundle[j] = static_cast<char>(salt >> (8 * j));
    if (auto v = reg.Register(SampleVersion(""), bundle); !v) {
      state.SkipWithError(v.error().message().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["per_op"] = PerOp();
}

/// CreateVersion alone: the metadata transaction of a registration (numbering, the version's
/// row, the audit record), without the artifact put.
void BM_CreateVersion(benchmark::State& state, Backend* backend) {
  Fixture& f = Cached(*backend, "create_version", [](Fixture& fx) {
    fx.bundle_digest = Must(fx.store.artifacts.Put("bundle"), "put bundle");
  });
  const store::NewVersion version = SampleVersion(f.bundle_digest);
  const store::Actor actor{"bench"};
  for (auto _ : state) {
    if (auto v = f.store.meta->CreateVersion(version, actor); !v) {
      state.SkipWithError(v.error().message().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["per_op"] = PerOp();
}

// --- 4: resolving churn@production ---

void SetUpResolve(Fixture& f) { RegisterVersions(f, 1000, 100 * 1024); }

/// MetaStore::ResolveAlias on a model with 1000 versions.
void BM_ResolveAlias(benchmark::State& state, Backend* backend) {
  Fixture& f = Cached(*backend, "resolve", SetUpResolve);
  for (auto _ : state) {
    auto version = f.store.meta->ResolveAlias(kModel, "production");
    if (!version || *version != 999) {
      state.SkipWithError(version ? "production is not version 999"
                                  : version.error().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(*version);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["per_op"] = PerOp();
}

/// Registry::Resolve("churn@production"): the alias, the version's record, and its 100 KB
/// bundle read and checked against its SHA-256 (from the page cache: it was just written).
void BM_RegistryResolve(benchmark::State& state, Backend* backend) {
  Fixture& f = Cached(*backend, "resolve", SetUpResolve);
  registry::Registry reg(*f.store.meta, f.store.artifacts, store::Actor{"bench"});
  for (auto _ : state) {
    auto model = reg.Resolve("churn@production");
    if (!model || model->bundle.view().size() != 100 * 1024) {
      state.SkipWithError(model ? "wrong bundle" : model.error().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(model->bundle.view().data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["per_op"] = PerOp();
}

// --- 5: listing 10,000 versions ---

void SetUpList(Fixture& f) { RegisterVersions(f, 10000, 1024); }

/// Every version (oldest first) of a model with 10,000.
void BM_ListVersionsAll(benchmark::State& state, Backend* backend) {
  Fixture& f = Cached(*backend, "list", SetUpList);
  for (auto _ : state) {
    auto versions = f.store.meta->ListVersions(kModel, {});
    if (!versions || versions->size() != 10000) {
      state.SkipWithError(versions ? "not 10000 versions" : versions.error().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(versions->data());
  }
  state.SetItemsProcessed(state.iterations() * 10000);
  state.counters["per_list"] = PerOp();
}

/// The newest 100 of the 10,000 (`hone models versions churn --newest-first --limit 100`).
void BM_ListVersionsPage(benchmark::State& state, Backend* backend) {
  Fixture& f = Cached(*backend, "list", SetUpList);
  store::VersionQuery page;
  page.limit = 100;
  page.newest_first = true;
  for (auto _ : state) {
    auto versions = f.store.meta->ListVersions(kModel, page);
    if (!versions || versions->size() != 100 || versions->front().version != 10000) {
      state.SkipWithError(versions ? "wrong page" : versions.error().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(versions->data());
  }
  state.SetItemsProcessed(state.iterations() * 100);
  state.counters["per_page"] = PerOp();
}

// --- the floor under the PostgreSQL figures ---

/// One `SELECT 1` on an open connection: the round trip every statement pays.
void BM_PgRoundTrip(benchmark::State& state, Backend* backend) {
  try {
    pqxx::connection conn(*backend->pg_url());
    for (auto _ : state) {
      pqxx::nontransaction tx(conn);
      benchmark::DoNotOptimize(tx.exec("SELECT 1"));
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["per_op"] = PerOp();
}

void RegisterAll(Backend* b) {
  const std::string n = "/" + b->name();
  benchmark::RegisterBenchmark(("LogMetricSingle" + n).c_str(), BM_LogMetricSingle, b)
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark(("LogMetricsBatch" + n).c_str(), BM_LogMetricsBatch, b)
      ->Arg(1000)
      ->Arg(10000)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark(("Register" + n).c_str(), BM_Register, b)
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark(("CreateVersion" + n).c_str(), BM_CreateVersion, b)
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark(("ResolveAlias" + n).c_str(), BM_ResolveAlias, b)
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark(("RegistryResolve" + n).c_str(), BM_RegistryResolve, b)
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark(("ListVersionsAll" + n).c_str(), BM_ListVersionsAll, b)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark(("ListVersionsPage" + n).c_str(), BM_ListVersionsPage, b)
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  if (b->pg_url()) {
    benchmark::RegisterBenchmark(("RoundTrip" + n).c_str(), BM_PgRoundTrip, b)
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
  }
}

}  // namespace
}  // namespace hone::bench

int main(int argc, char** argv) {
  using hone::bench::Backend;
  namespace fs = std::filesystem;
  std::string tmpl = (fs::temp_directory_path() / "hone-store-bench-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) hone::bench::Die("cannot make a folder in " + tmpl);
  const fs::path root = tmpl;

  std::vector<std::unique_ptr<Backend>> backends;
  backends.push_back(std::make_unique<Backend>("sqlite", root / "sqlite", std::nullopt));
  if (const char* url = std::getenv("HONE_BENCH_PG_URL"); url != nullptr && *url != '\0') {
    backends.push_back(std::make_unique<Backend>("postgres", root / "postgres", url));
  } else {
    std::fprintf(stderr, "store_bench: HONE_BENCH_PG_URL is not set: SQLite only\n");
  }
  for (auto& b : backends) hone::bench::RegisterAll(b.get());

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  hone::bench::Fixtures().clear();  // close the stores before their schemas and folders go
  for (auto& b : backends) b->Cleanup();
  fs::remove_all(root);
  return 0;
}
