// API tokens as users hold them: "hone_<id>_<secret>", shown once when made. The store keeps
// the id, a random salt and SHA-256(salt ‖ secret); a server checks a presented token against
// that in constant time.
#ifndef HONE_SERVER_TOKENS_H_
#define HONE_SERVER_TOKENS_H_

#include <string>
#include <string_view>

#include "hone/core/error.h"
#include "hone/store/meta_store.h"

namespace hone::server {

/// A new token: what the store keeps (no secret) and the text to show the user once.
struct MintedToken {
  store::ApiToken stored;
  std::string text;  // hone_<16 hex id>_<32 hex secret>
};

/// Makes a token named `name` with `role` from the OS's random generator (128-bit secret).
Result<MintedToken> MintToken(std::string_view name, store::Role role);

/// The id and secret of token text; kPermissionDenied (without echoing the text) when it is not
/// shaped like a hone token.
struct TokenParts {
  std::string id;
  std::string secret;
};
Result<TokenParts> SplitToken(std::string_view text);

/// SHA-256 (hex) of salt ‖ secret.
std::string HashSecret(std::string_view salt, std::string_view secret);

/// Whether `secret` matches `token`'s hash, compared in constant time.
bool SecretMatches(const store::ApiToken& token, std::string_view secret);

}  // namespace hone::server

#endif  // HONE_SERVER_TOKENS_H_
