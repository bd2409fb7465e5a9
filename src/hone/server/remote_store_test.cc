// The remote MetaStore passes the conformance suite every backend passes, through a real
// `hone server` on loopback over a real SQLite store and over a real PostgreSQL store.
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hone/core/test_postgres.h"
#include "hone/server/team_server.h"
#include "hone/server/tokens.h"
#include "hone/store/open_store.h"
#include "hone/store/remote/remote_meta_store.h"
#include "hone/store/testing/audit_query_conformance.h"
#include "hone/store/testing/concurrency_conformance.h"
#include "hone/store/testing/meta_store_conformance.h"
#include "hone/store/testing/monitor_log_conformance.h"
#include "hone/store/testing/monitor_store_conformance.h"
#include "hone/store/testing/token_store_conformance.h"

namespace hone::server {
namespace {

namespace fs = std::filesystem;

/// A fresh store per test behind a server of its own: an SQLite file, or (kPostgres) a schema
/// of its own in the database of HONE_TEST_PG_URL. The suite talks to it with an admin token
/// named "conformance".
template <bool kPostgres>
struct RemoteBackend {
  static constexpr bool kNotifiesAliasMoves = true;  // the client polls the counter

  void SetUp() {
    static std::atomic<int> counter{0};
    const std::string name =
        "hone_remote_meta_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    dir = fs::temp_directory_path() / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    TeamServerOptions options;
    if constexpr (kPostgres) {
      const std::optional<std::string> pg = core::testing::TestPostgresUrl();
      if (!pg) {
        skip_reason = core::testing::kPostgresMissing;
        return;
      }
      schema = std::make_unique<core::testing::PgTestSchema>(*pg, "hone_remote_meta");
      ASSERT_TRUE(schema->ok()) << "cannot make a schema in the database of HONE_TEST_PG_URL";
      options.store = schema->StoreUrl();
      options.artifacts = (dir / "artifacts").string();
    } else {
      options.store = (dir / "hone.db").string();
    }
    auto minted = MintToken("conformance", store::Role::kAdmin);
    ASSERT_TRUE(minted);
    token = minted->text;
    // In memory, so the store's audit log holds only what the suite does; no protected alias,
    // so moves need no gate verdict (the rule has its own tests).
    auto admin = ExtraAdminToken("conformance", token);
    ASSERT_TRUE(admin) << admin.error().message();
    options.extra_tokens = {*admin};
    options.protected_aliases.clear();
    options.http.port = 0;
    options.http.threads = 4;
    // The server runs in a process of its own: the suite forks clients, and a child forked
    // from a process whose server threads hold locks (the allocator's, the resolver's) could
    // wait on them for ever.
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    server_pid = ::fork();
    ASSERT_GE(server_pid, 0);
    if (server_pid == 0) {
      ::close(fds[0]);
      auto started = TeamServer::Start(options);
      const uint16_t port = started ? (*started)->port() : 0;
      if (::write(fds[1], &port, sizeof port) != sizeof port) _exit(1);
      ::close(fds[1]);
      if (!started) _exit(1);
      while (true) ::pause();  // until the parent's SIGKILL
    }
    ::close(fds[1]);
    uint16_t port = 0;
    const bool got = ::read(fds[0], &port, sizeof port) == sizeof port;
    ::close(fds[0]);
    ASSERT_TRUE(got && port != 0) << "the server process did not start";
    url = "http://127.0.0.1:" + std::to_string(port);
  }
  void TearDown() {
    if (server_pid > 0) {
      ::kill(server_pid, SIGKILL);
      ::waitpid(server_pid, nullptr, 0);
      server_pid = -1;
    }
    schema.reset();
    fs::remove_all(dir);
  }
  std::optional<std::string> SkipReason() const { return skip_reason; }
  Result<std::unique_ptr<store::MetaStore>> Open() {
    HONE_ASSIGN_OR_RETURN(auto s, store::remote::RemoteMetaStore::Open(
                                      url, store::remote::ClientOptions{.token = token}));
    return std::unique_ptr<store::MetaStore>(std::move(s));
  }
  std::string RecordedActor(std::string) { return "conformance"; }

  fs::path dir;
  std::string token;
  std::string url;
  pid_t server_pid = -1;
  std::unique_ptr<core::testing::PgTestSchema> schema;
  std::optional<std::string> skip_reason;
};
using RemoteSqliteBackend = RemoteBackend<false>;
using RemotePostgresBackend = RemoteBackend<true>;

}  // namespace
}  // namespace hone::server

namespace hone::store::testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Remote, MetaStoreConformance, server::RemoteSqliteBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Remote, MetaStoreConcurrencyConformance,
                               server::RemoteSqliteBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Remote, AuditQueryConformance, server::RemoteSqliteBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Remote, MonitorStoreConformance, server::RemoteSqliteBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Remote, MonitorLogConformance, server::RemoteSqliteBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(Remote, TokenStoreConformance, server::RemoteSqliteBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(RemotePostgres, MetaStoreConformance, server::RemotePostgresBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(RemotePostgres, MetaStoreConcurrencyConformance,
                               server::RemotePostgresBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(RemotePostgres, AuditQueryConformance,
                               server::RemotePostgresBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(RemotePostgres, MonitorStoreConformance,
                               server::RemotePostgresBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(RemotePostgres, MonitorLogConformance,
                               server::RemotePostgresBackend);
INSTANTIATE_TYPED_TEST_SUITE_P(RemotePostgres, TokenStoreConformance,
                               server::RemotePostgresBackend);
}  // namespace hone::store::testing
