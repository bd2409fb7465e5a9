// PostgresMetaStore: API tokens for team mode. Creation and revocation append to the audit
// chain, so they take the store lock as the registry's writes do.
#include "hone/store/audit.h"
#include "hone/store/postgres/connection.h"
#include "hone/store/postgres/postgres_meta_store.h"
#include "hone/store/postgres/queries.h"
#include "hone/store/postgres/schema.h"

namespace hone::store::postgres {
namespace {

#define HONE_TOKEN_SELECT \
  "SELECT id, name, role, salt, hash, created_ms, created_by, revoked_ms FROM api_tokens "

constexpr Statement kTokenTaken{
    "token_taken", "SELECT 1 FROM api_tokens WHERE id = $1 OR (name = $2 AND revoked_ms IS NULL)"};
constexpr Statement kInsertToken{"insert_token",
                                 "INSERT INTO api_tokens (id, name, role, salt, hash, created_ms, "
                                 "created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)"};
constexpr Statement kTokens{"tokens", HONE_TOKEN_SELECT "ORDER BY seq"};
constexpr Statement kTokenById{"token_by_id", HONE_TOKEN_SELECT "WHERE id = $1"};
constexpr Statement kLiveToken{"live_token",
                               HONE_TOKEN_SELECT "WHERE name = $1 AND revoked_ms IS NULL"};
constexpr Statement kLiveTokenNames{
    "live_token_names", "SELECT name FROM api_tokens WHERE revoked_ms IS NULL ORDER BY name"};
constexpr Statement kRevokeToken{"revoke_token",
                                 "UPDATE api_tokens SET revoked_ms = $1 WHERE id = $2"};

Result<ApiToken> ReadToken(const pqxx::row& row) {
  ApiToken t;
  t.id = Text(row[0]);
  t.name = Text(row[1]);
  HONE_ASSIGN_OR_RETURN(t.role, ParseRole(Text(row[2])));
  t.salt = Text(row[3]);
  t.hash = Text(row[4]);
  t.created_ms = Int(row[5]);
  t.created_by = Text(row[6]);
  t.revoked_ms = OptInt(row[7]);
  return t;
}

}  // namespace

Result<ApiToken> PostgresMetaStore::CreateToken(const ApiToken& token, const Actor& actor) {
  HONE_TRY(CheckToken(token));
  return conn_->Write([&](pqxx::work& tx) -> Result<ApiToken> {
    StoreLock(tx);
    if (!Exec(tx, kTokenTaken, token.id, token.name).empty()) {
      return Fail(ErrorCode::kConflict,
                  "a live token named '" + token.name + "' (or with its id) exists already");
    }
    ApiToken stored = token;
    if (stored.created_ms == 0) stored.created_ms = NowMs();
    stored.created_by = actor.name;
    stored.revoked_ms.reset();
    Exec(tx, kInsertToken, stored.id, stored.name, std::string(RoleName(stored.role)), stored.salt,
         stored.hash, stored.created_ms, stored.created_by);
    ChainAudit(tx, AuditRecord{.ts_ms = stored.created_ms,
                               .actor = actor.name,
                               .action = "token-create",
                               .subject = "token:" + stored.name,
                               .before = "null",
                               .after = TokenAuditJson(stored)});
    return stored;
  });
}

Result<std::vector<ApiToken>> PostgresMetaStore::ListTokens() {
  return conn_->Read([&](ReadTx& tx) -> Result<std::vector<ApiToken>> {
    std::vector<ApiToken> tokens;
    for (const pqxx::row& row : Exec(tx, kTokens)) {
      HONE_ASSIGN_OR_RETURN(ApiToken t, ReadToken(row));
      tokens.push_back(std::move(t));
    }
    return tokens;
  });
}

Result<ApiToken> PostgresMetaStore::GetToken(std::string_view id) {
  return conn_->Read([&](ReadTx& tx) -> Result<ApiToken> {
    const pqxx::result found = Exec(tx, kTokenById, std::string(id));
    if (found.empty())
      return Fail(ErrorCode::kNotFound, "no token with id '" + std::string(id) + "'");
    return ReadToken(found[0]);
  });
}

Result<ApiToken> PostgresMetaStore::RevokeToken(std::string_view name, const Actor& actor) {
  return conn_->Write([&](pqxx::work& tx) -> Result<ApiToken> {
    StoreLock(tx);
    const pqxx::result found = Exec(tx, kLiveToken, std::string(name));
    if (found.empty()) {
      std::vector<std::string> live;
      for (const pqxx::row& row : Exec(tx, kLiveTokenNames)) live.push_back(Text(row[0]));
      return Fail(UnknownToken(name, live));
    }
    HONE_ASSIGN_OR_RETURN(ApiToken token, ReadToken(found[0]));
    token.revoked_ms = NowMs();
    Exec(tx, kRevokeToken, *token.revoked_ms, token.id);
    ChainAudit(tx, AuditRecord{.ts_ms = *token.revoked_ms,
                               .actor = actor.name,
                               .action = "token-revoke",
                               .subject = "token:" + token.name,
                               .before = TokenAuditJson(token),
                               .after = "null"});
    return token;
  });
}

}  // namespace hone::store::postgres
