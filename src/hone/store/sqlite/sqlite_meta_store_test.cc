#include "hone/store/sqlite/sqlite_meta_store.h"

#include <atomic>
#include <filesystem>

#include <unistd.h>

#include "hone/store/testing/audit_query_conformance.h"
#include "hone/store/testing/concurrency_conformance.h"
#include "hone/store/testing/meta_store_conformance.h"
#include "hone/store/testing/mlflow_store_conformance.h"
#include "hone/store/testing/monitor_log_conformance.h"
#include "hone/store/testing/monitor_store_conformance.h"
#include "hone/store/testing/token_store_conformance.h"

namespace hone::store::sqlite {
namespace {

namespace fs = std::filesystem;

/// A fresh store file per test, in a folder of its own.
struct SqliteBackend {
  void SetUp() {
    static std::atomic<int> counter{0};
    dir = fs::temp_directory_path() /
          ("hone_sqlite_meta_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() { fs::remove_all(dir); }
  std::optional<std::string> SkipReason() const { return std::nullopt; }
  Result<std::unique_ptr<MetaStore>> Open() {
    HONE_ASSIGN_OR_RETURN(auto store, SqliteMetaStore::Open(dir / "hone.db"));
    return std::unique_ptr<MetaStore>(std::move(store));
  }
  fs::path dir;
  static constexpr bool kNotifiesAliasMoves = false;  // WaitForAliasChange only sleeps
};

}  // namespace
}  // namespace hone::store::sqlite

namespace hone::store::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, MetaStoreConformance, sqlite::SqliteBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, MetaStoreConcurrencyConformance, sqlite::SqliteBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, AuditQueryConformance, sqlite::SqliteBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, MonitorStoreConformance, sqlite::SqliteBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, MonitorLogConformance, sqlite::SqliteBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, TokenStoreConformance, sqlite::SqliteBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, MlflowStoreConformance, sqlite::SqliteBackend);
}  // namespace hone::store::testing
