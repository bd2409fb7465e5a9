#include "hone/server/tokens.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "hone/core/digest.h"

namespace hone::server {
namespace {

Result<std::string> RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    return Fail(ErrorCode::kInternal, "the system's random generator failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : raw) {
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 15]);
  }
  return hex;
}

bool IsLowerHex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

Result<MintedToken> MintToken(std::string_view name, store::Role role) {
  MintedToken t;
  HONE_ASSIGN_OR_RETURN(t.stored.id, RandomHex(8));
  HONE_ASSIGN_OR_RETURN(t.stored.salt, RandomHex(16));
  HONE_ASSIGN_OR_RETURN(std::string secret, RandomHex(16));
  t.stored.name = std::string(name);
  t.stored.role = role;
  t.stored.hash = HashSecret(t.stored.salt, secret);
  t.text = "hone_" + t.stored.id + "_" + secret;
  return t;
}

Result<TokenParts> SplitToken(std::string_view text) {
  // hone_ + 16 + _ + 32
  if (text.size() != 5 + 16 + 1 + 32 || !text.starts_with("hone_") || text[21] != '_' ||
      !IsLowerHex(text.substr(5, 16)) || !IsLowerHex(text.substr(22))) {
    return Fail(ErrorCode::kPermissionDenied, "the token is not a hone token (hone_<id>_<secret>)");
  }
  return TokenParts{std::string(text.substr(5, 16)), std::string(text.substr(22))};
}

std::string HashSecret(std::string_view salt, std::string_view secret) {
  core::Sha256 sha;
  sha.Update(salt);
  sha.Update(secret);
  return core::ToHex(sha.Finish());
}

bool SecretMatches(const store::ApiToken& token, std::string_view secret) {
  const std::string hash = HashSecret(token.salt, secret);
  return hash.size() == token.hash.size() &&
         CRYPTO_memcmp(hash.data(), token.hash.data(), hash.size()) == 0;
}

}  // namespace hone::server
