// The conformance suite's part for API tokens (team mode). A backend's test file instantiates
// it beside MetaStoreConformance with the same Backend type:
//
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, TokenStoreConformance, MyBackend);
#ifndef HONE_STORE_TESTING_TOKEN_STORE_CONFORMANCE_H_
#define HONE_STORE_TESTING_TOKEN_STORE_CONFORMANCE_H_

#include <string>
#include <vector>

#include "hone/store/testing/meta_store_conformance.h"

namespace hone::store::testing {

template <typename Backend>
class TokenStoreConformance : public MetaStoreConformance<Backend> {
 protected:
  /// A well-formed token whose id, salt and hash are `fill` repeated.
  static ApiToken Token(std::string name, Role role, char fill = 'a') {
    return ApiToken{.id = std::string(16, fill),
                    .name = std::move(name),
                    .role = role,
                    .salt = std::string(32, fill),
                    .hash = std::string(64, fill)};
  }
};

TYPED_TEST_SUITE_P(TokenStoreConformance);

TYPED_TEST_P(TokenStoreConformance, TokensAreKeptWithTheirHashAndAudited) {
  MetaStore& s = *this->store_;
  auto created = s.CreateToken(this->Token("ci", Role::kTrainer, 'a'), {"root"});
  ASSERT_TRUE(created) << created.error().message();
  EXPECT_GT(created->created_ms, 0);
  EXPECT_EQ(created->created_by, this->Recorded("root"));
  ASSERT_TRUE(s.CreateToken(this->Token("deploy-bot", Role::kDeployer, 'b'), {"root"}));

  auto got = s.GetToken(std::string(16, 'a'));
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(got->name, "ci");
  EXPECT_EQ(got->role, Role::kTrainer);
  EXPECT_EQ(got->salt, std::string(32, 'a'));
  EXPECT_EQ(got->hash, std::string(64, 'a'));
  EXPECT_EQ(got->revoked_ms, std::nullopt);
  EXPECT_EQ(s.GetToken(std::string(16, 'f')).error().code(), ErrorCode::kNotFound);

  auto all = s.ListTokens();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "ci");
  EXPECT_EQ((*all)[1].name, "deploy-bot");
  EXPECT_EQ((*all)[1].role, Role::kDeployer);

  auto audit = s.ListAudit({});
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->size(), 2u);
  EXPECT_EQ((*audit)[0].action, "token-create");
  EXPECT_EQ((*audit)[0].subject, "token:ci");
  EXPECT_EQ((*audit)[0].actor, this->Recorded("root"));
  EXPECT_THAT((*audit)[0].after, ::testing::HasSubstr("\"role\":\"trainer\""));
  // The hash is the token's secret's only trace: it stays out of the audit log.
  EXPECT_THAT((*audit)[0].after, ::testing::Not(::testing::HasSubstr(std::string(64, 'a'))));
  EXPECT_THAT(VerifyAuditChain(*audit, s.GetAuditHead().value()), ::testing::IsEmpty());
}

TYPED_TEST_P(TokenStoreConformance, ANameIsFreeAgainOnlyOnceRevoked) {
  MetaStore& s = *this->store_;
  ASSERT_TRUE(s.CreateToken(this->Token("ci", Role::kTrainer, 'a'), {"root"}));
  auto twice = s.CreateToken(this->Token("ci", Role::kViewer, 'b'), {"root"});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code(), ErrorCode::kConflict);
  auto same_id = s.CreateToken(this->Token("other", Role::kViewer, 'a'), {"root"});
  ASSERT_FALSE(same_id);
  EXPECT_EQ(same_id.error().code(), ErrorCode::kConflict);

  auto revoked = s.RevokeToken("ci", {"root"});
  ASSERT_TRUE(revoked) << revoked.error().message();
  EXPECT_TRUE(revoked->revoked_ms.has_value());
  EXPECT_TRUE(s.GetToken(std::string(16, 'a'))->revoked_ms.has_value());
  auto again = s.RevokeToken("ci", {"root"});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ErrorCode::kNotFound);
  ASSERT_TRUE(s.CreateToken(this->Token("ci", Role::kAdmin, 'c'), {"root"}));
  EXPECT_THAT(s.RevokeToken("nobody", {"root"}).error().message(),
              ::testing::HasSubstr("live tokens: ci"));

  auto audit = s.ListAudit({});
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->size(), 3u);
  EXPECT_EQ((*audit)[1].action, "token-revoke");
  EXPECT_EQ((*audit)[1].after, "null");
  EXPECT_EQ(s.ListTokens()->size(), 2u);  // the revoked one stays listed
}

TYPED_TEST_P(TokenStoreConformance, MalformedTokensAreRefused) {
  MetaStore& s = *this->store_;
  ApiToken bad_name = this->Token("no spaces", Role::kViewer);
  ApiToken bad_id = this->Token("ci", Role::kViewer);
  bad_id.id = "ABC";
  ApiToken bad_hash = this->Token("ci", Role::kViewer);
  bad_hash.hash = std::string(64, 'z');
  ApiToken bad_salt = this->Token("ci", Role::kViewer);
  bad_salt.salt = "";
  for (const ApiToken& t : {bad_name, bad_id, bad_hash, bad_salt}) {
    auto r = s.CreateToken(t, {"root"});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument) << r.error().message();
  }
  EXPECT_TRUE(s.ListTokens()->empty());
}

REGISTER_TYPED_TEST_SUITE_P(TokenStoreConformance, TokensAreKeptWithTheirHashAndAudited,
                            ANameIsFreeAgainOnlyOnceRevoked, MalformedTokensAreRefused);

}  // namespace hone::store::testing

#endif  // HONE_STORE_TESTING_TOKEN_STORE_CONFORMANCE_H_
