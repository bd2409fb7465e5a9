// SqliteMetaStore: API tokens for team mode.
#include "hone/store/audit.h"
#include "hone/store/sqlite/sqlite_meta_store.h"

namespace hone::store::sqlite {
namespace {

// A literal, so that each query is one string the statement cache keys by address.
#define HONE_TOKEN_SELECT \
  "SELECT id, name, role, salt, hash, created_ms, created_by, revoked_ms FROM api_tokens "

Result<ApiToken> ReadToken(const Statement& s) {
  ApiToken t;
  t.id = s.Text(0);
  t.name = s.Text(1);
  HONE_ASSIGN_OR_RETURN(t.role, ParseRole(s.Text(2)));
  t.salt = s.Text(3);
  t.hash = s.Text(4);
  t.created_ms = s.Int(5);
  t.created_by = s.Text(6);
  t.revoked_ms = s.OptInt(7);
  return t;
}

}  // namespace

Result<std::vector<std::string>> SqliteMetaStore::LiveTokenNames() {
  HONE_ASSIGN_OR_RETURN(
      auto s, db_.Cached("SELECT name FROM api_tokens WHERE revoked_ms IS NULL ORDER BY name"));
  std::vector<std::string> names;
  while (true) {
    HONE_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    names.push_back(s->Text(0));
  }
  return names;
}

Result<ApiToken> SqliteMetaStore::CreateToken(const ApiToken& token, const Actor& actor) {
  HONE_TRY(CheckToken(token));
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  {
    HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("SELECT 1 FROM api_tokens WHERE id = ? OR "
                                             "(name = ? AND revoked_ms IS NULL)"));
    HONE_ASSIGN_OR_RETURN(bool taken, s->Bind(1, token.id).Bind(2, token.name).Step());
    if (taken) {
      return Fail(ErrorCode::kConflict,
                  "a live token named '" + token.name + "' (or with its id) exists already");
    }
  }
  ApiToken stored = token;
  if (stored.created_ms == 0) stored.created_ms = NowMs();
  stored.created_by = actor.name;
  stored.revoked_ms.reset();
  HONE_ASSIGN_OR_RETURN(auto s, db_.Cached("INSERT INTO api_tokens (id, name, role, salt, hash, "
                                           "created_ms, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)"));
  s->Bind(1, stored.id).Bind(2, stored.name).Bind(3, RoleName(stored.role)).Bind(4, stored.salt);
  HONE_TRY(s->Bind(5, stored.hash).Bind(6, stored.created_ms).Bind(7, stored.created_by).Run());
  HONE_TRY(AppendAuditRecord(actor, "token-create", "token:" + stored.name, "null",
                             TokenAuditJson(stored), stored.created_ms));
  HONE_TRY(tx.Commit());
  return stored;
}

Result<std::vector<ApiToken>> SqliteMetaStore::ListTokens() {
  HONE_ASSIGN_OR_RETURN(auto s, db_.Cached(HONE_TOKEN_SELECT "ORDER BY seq"));
  std::vector<ApiToken> tokens;
  while (true) {
    HONE_ASSIGN_OR_RETURN(bool row, s->Step());
    if (!row) break;
    HONE_ASSIGN_OR_RETURN(ApiToken t, ReadToken(*s));
    tokens.push_back(std::move(t));
  }
  return tokens;
}

Result<ApiToken> SqliteMetaStore::GetToken(std::string_view id) {
  HONE_ASSIGN_OR_RETURN(auto s, db_.Cached(HONE_TOKEN_SELECT "WHERE id = ?"));
  HONE_ASSIGN_OR_RETURN(bool found, s->Bind(1, id).Step());
  if (!found) return Fail(ErrorCode::kNotFound, "no token with id '" + std::string(id) + "'");
  return ReadToken(*s);
}

Result<ApiToken> SqliteMetaStore::RevokeToken(std::string_view name, const Actor& actor) {
  HONE_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  HONE_ASSIGN_OR_RETURN(auto s,
                        db_.Cached(HONE_TOKEN_SELECT "WHERE name = ? AND revoked_ms IS NULL"));
  HONE_ASSIGN_OR_RETURN(bool found, s->Bind(1, name).Step());
  if (!found) {
    HONE_ASSIGN_OR_RETURN(std::vector<std::string> live, LiveTokenNames());
    return Fail(UnknownToken(name, live));
  }
  HONE_ASSIGN_OR_RETURN(ApiToken token, ReadToken(*s));
  token.revoked_ms = NowMs();
  HONE_ASSIGN_OR_RETURN(auto update,
                        db_.Cached("UPDATE api_tokens SET revoked_ms = ? WHERE id = ?"));
  HONE_TRY(update->Bind(1, *token.revoked_ms).Bind(2, token.id).Run());
  HONE_TRY(AppendAuditRecord(actor, "token-revoke", "token:" + token.name, TokenAuditJson(token),
                             "null", *token.revoked_ms));
  HONE_TRY(tx.Commit());
  return token;
}

}  // namespace hone::store::sqlite
