// hone server over HTTPS: the remote store trusts the server's certificate through its CA
// file, refuses a server it cannot verify, and the server refuses plain HTTP off loopback.
#include <atomic>
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "hone/serve/testing/tls_test_cert.h"
#include "hone/server/team_server.h"
#include "hone/server/tokens.h"
#include "hone/store/remote/remote_meta_store.h"

namespace hone::server {
namespace {

namespace fs = std::filesystem;
using store::remote::RemoteMetaStore;
using ::testing::HasSubstr;

class ServerTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("hone_server_tls_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto cert = serve::testing::WriteSelfSignedCert(dir_);
    ASSERT_TRUE(cert) << cert.error().message();
    cert_ = *cert;
    auto minted = MintToken("root", store::Role::kAdmin);
    ASSERT_TRUE(minted);
    token_ = minted->text;
    options_.store = (dir_ / "hone.db").string();
    options_.http.port = 0;
    options_.http.threads = 2;
    auto admin = ExtraAdminToken("root", token_);
    ASSERT_TRUE(admin);
    options_.extra_tokens = {*admin};
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  serve::testing::TestCertificate cert_;
  std::string token_;
  TeamServerOptions options_;
};

TEST_F(ServerTlsTest, TheRemoteStoreWorksOverHttpsAndVerifiesTheServer) {
  options_.http.tls_cert_file = cert_.cert_path;
  options_.http.tls_key_file = cert_.key_path;
  auto server = TeamServer::Start(options_);
  ASSERT_TRUE(server) << server.error().message();
  ASSERT_THAT((*server)->url(), ::testing::StartsWith("https://"));

  auto trusted =
      RemoteMetaStore::Open((*server)->url(), {.token = token_, .ca_file = cert_.cert_path});
  ASSERT_TRUE(trusted) << trusted.error().message();
  auto run = (*trusted)->CreateRun({.command = "over tls"});
  ASSERT_TRUE(run) << run.error().message();
  EXPECT_EQ((*trusted)->GetRun(*run)->start.command, "over tls");

  // The system's authorities do not know the test certificate: the client refuses the server.
  auto untrusted = RemoteMetaStore::Open((*server)->url(), {.token = token_});
  ASSERT_FALSE(untrusted);
  EXPECT_EQ(untrusted.error().code(), ErrorCode::kIo);
  // Plain HTTP to the TLS port gets nowhere.
  std::string plain = (*server)->url();
  plain.replace(0, 5, "http");
  EXPECT_FALSE(RemoteMetaStore::Open(plain, {.token = token_}));
}

TEST_F(ServerTlsTest, PlainHttpOffLoopbackIsRefused) {
  options_.http.host = "0.0.0.0";
  auto server = TeamServer::Start(options_);
  ASSERT_FALSE(server);
  EXPECT_THAT(server.error().message(), HasSubstr("--insecure-listen"));
}

}  // namespace
}  // namespace hone::server
