#include "hone/server/auth.h"

#include <map>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/server/tokens.h"

namespace hone::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(TokensTest, AMintedTokenMatchesOnlyItsOwnSecretAndTheStoreKeepsNoSecret) {
  auto minted = MintToken("ci", store::Role::kTrainer);
  ASSERT_TRUE(minted);
  auto parts = SplitToken(minted->text);
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->id, minted->stored.id);
  EXPECT_TRUE(SecretMatches(minted->stored, parts->secret));
  std::string wrong = parts->secret;
  wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(SecretMatches(minted->stored, wrong));
  EXPECT_EQ(minted->stored.hash.find(parts->secret), std::string::npos);
  EXPECT_EQ(minted->stored.salt.find(parts->secret), std::string::npos);
  auto other = MintToken("ci", store::Role::kTrainer);
  EXPECT_NE(other->stored.salt, minted->stored.salt);
  EXPECT_NE(other->text, minted->text);
  for (std::string_view bad : {"", "hone_", "bearer", "hone_0123456789abcdef_xyz",
                               "HONE_0123456789abcdef_0123456789abcdef0123456789abcdef"}) {
    auto split = SplitToken(bad);
    ASSERT_FALSE(split) << bad;
    EXPECT_EQ(split.error().code(), ErrorCode::kPermissionDenied);
  }
}

TEST(AuthTest, TheTokenComesFromBearerOrFromBasicAuthsPassword) {
  EXPECT_EQ(TokenFromAuthorization("Bearer abc"), "abc");
  EXPECT_EQ(TokenFromAuthorization("bearer   abc  "), "abc");
  // "user:hone_x" in base64.
  EXPECT_EQ(TokenFromAuthorization("Basic dXNlcjpob25lX3g="), "hone_x");
  EXPECT_EQ(TokenFromAuthorization("Basic !!!!"), "");
  EXPECT_EQ(TokenFromAuthorization("Digest abc"), "");
  EXPECT_EQ(TokenFromAuthorization(""), "");
}

class AuthenticatorTest : public ::testing::Test {
 protected:
  std::map<std::string, store::ApiToken> tokens_;
  int lookups_ = 0;
  Authenticator::Lookup lookup_ = [this](std::string_view id) -> Result<store::ApiToken> {
    ++lookups_;
    auto it = tokens_.find(std::string(id));
    if (it == tokens_.end()) return Fail(ErrorCode::kNotFound, "no token");
    return it->second;
  };
  std::string Add(std::string name, store::Role role) {
    auto minted = MintToken(name, role);
    tokens_[minted->stored.id] = minted->stored;
    return minted->text;
  }
};

TEST_F(AuthenticatorTest, AGoodTokenNamesItsHolderAndRoleAndIsCached) {
  Authenticator auth(lookup_);
  const std::string text = Add("deploy-bot", store::Role::kDeployer);
  AuthResult r = auth.Check("Bearer " + text, "127.0.0.1");
  ASSERT_EQ(r.status, 200) << r.message;
  EXPECT_EQ(r.principal.name, "deploy-bot");
  EXPECT_EQ(r.principal.role, store::Role::kDeployer);
  EXPECT_EQ(auth.Check("Bearer " + text, "127.0.0.1").status, 200);
  EXPECT_EQ(lookups_, 1);
}

TEST_F(AuthenticatorTest, MissingWrongAndRevokedTokensAre401AndARevocationLandsAfterTheCache) {
  Authenticator auth(lookup_, AuthOptions{.cache_ttl = std::chrono::milliseconds(50)});
  EXPECT_EQ(auth.Check("", "10.0.0.1").status, 401);
  EXPECT_THAT(auth.Check("", "10.0.0.1").message, HasSubstr("needs a token"));
  const std::string text = Add("ci", store::Role::kTrainer);
  std::string wrong = text;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  AuthResult refused = auth.Check("Bearer " + wrong, "10.0.0.1");
  EXPECT_EQ(refused.status, 401);
  EXPECT_THAT(refused.message, HasSubstr("wrong secret"));
  EXPECT_THAT(refused.message, Not(HasSubstr(wrong.substr(22))));  // the secret is not echoed
  EXPECT_EQ(auth.Check("Bearer hone_ffffffffffffffff_" + std::string(32, 'f'), "10.0.0.1").status,
            401);
  ASSERT_EQ(auth.Check("Bearer " + text, "10.0.0.1").status, 200);
  tokens_.begin()->second.revoked_ms = 1;
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  AuthResult revoked = auth.Check("Bearer " + text, "10.0.0.1");
  EXPECT_EQ(revoked.status, 401);
  EXPECT_THAT(revoked.message, HasSubstr("revoked"));
  EXPECT_EQ(auth.failures(), 3u);
}

TEST_F(AuthenticatorTest, ManyWrongTokensFromOneAddressAreThrottledThatAddressOnly) {
  Authenticator auth(lookup_, AuthOptions{.max_failures = 3});
  const std::string good = Add("ci", store::Role::kTrainer);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(auth.Check("Bearer hone_0000000000000000_" + std::string(32, '0'), "10.0.0.9").status,
              401);
  }
  AuthResult throttled = auth.Check("Bearer " + good, "10.0.0.9");
  EXPECT_EQ(throttled.status, 429);
  EXPECT_THAT(throttled.message, HasSubstr("too many wrong tokens"));
  EXPECT_EQ(auth.Check("Bearer " + good, "10.0.0.10").status, 200);
}

}  // namespace
}  // namespace hone::server
