#include "hone/server/auth.h"

#include <openssl/evp.h>

#include "hone/core/log.h"
#include "hone/server/tokens.h"

namespace hone::server {
namespace {

std::string DecodeBase64(std::string_view text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.empty() || text.size() % 4 != 0 || text.size() > 4096) return {};
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return {};
  size_t size = static_cast<size_t>(n);
  // EVP_DecodeBlock counts the padding's zero bytes.
  if (text.ends_with("==")) {
    size -= 2;
  } else if (text.ends_with('=')) {
    size -= 1;
  }
  out.resize(size);
  return out;
}

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

std::string TokenFromAuthorization(std::string_view header) {
  if (StartsWithNoCase(header, "bearer ")) {
    std::string_view t = header.substr(7);
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    return std::string(t);
  }
  if (StartsWithNoCase(header, "basic ")) {
    const std::string decoded = DecodeBase64(header.substr(6));
    const size_t colon = decoded.find(':');
    if (colon == std::string::npos) return {};
    return decoded.substr(colon + 1);
  }
  return {};
}

Authenticator::Authenticator(Lookup lookup, AuthOptions options)
    : Authenticator(
          VerifiedBy{[lookup = std::move(lookup)](std::string_view text) -> Result<Principal> {
            HONE_ASSIGN_OR_RETURN(TokenParts parts, SplitToken(text));
            auto token = lookup(parts.id);
            if (!token) {
              if (token.error().code() == ErrorCode::kNotFound) {
                return Fail(ErrorCode::kNotFound, "token " + parts.id + " is not known");
              }
              return Fail(std::move(token.error()));
            }
            if (!SecretMatches(*token, parts.secret)) {
              return Fail(ErrorCode::kPermissionDenied,
                          "token " + parts.id + " has a wrong secret");
            }
            if (token->revoked_ms) {
              return Fail(ErrorCode::kPermissionDenied, "token '" + token->name + "' is revoked");
            }
            return Principal{token->name, token->role};
          }},
          options) {}

AuthResult Authenticator::Check(std::string_view authorization, std::string_view remote) {
  const auto now = Clock::now();
  {
    std::lock_guard lock(mu_);
    if (Throttled(remote, now)) {
      return AuthResult{
          429, "too many wrong tokens from " + std::string(remote) + "; wait a minute", {}};
    }
  }
  const std::string text = TokenFromAuthorization(authorization);
  if (text.empty()) {
    return AuthResult{401, options_.no_token_message, {}};
  }
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(text);
    if (it != cache_.end() && it->second.until > now) {
      return AuthResult{200, {}, it->second.principal};
    }
  }
  auto principal = verify_(text);
  if (!principal) {
    const ErrorCode code = principal.error().code();
    if (code == ErrorCode::kPermissionDenied || code == ErrorCode::kNotFound) {
      return Refuse(remote, principal.error().message());
    }
    return AuthResult{503, "cannot check the token: " + principal.error().message(), {}};
  }
  std::lock_guard lock(mu_);
  if (cache_.size() > 10000) cache_.clear();
  cache_[text] = Cached{*principal, now + options_.cache_ttl};
  return AuthResult{200, {}, std::move(*principal)};
}

AuthResult Authenticator::Refuse(std::string_view remote, std::string message) {
  core::LogWarning("refused a request from " + std::string(remote) + ": " + message);
  std::lock_guard lock(mu_);
  ++failures_;
  auto& times = failures_by_address_[std::string(remote)];
  times.push_back(Clock::now());
  if (failures_by_address_.size() > 100000) failures_by_address_.clear();
  return AuthResult{401, "the token was refused: " + message, {}};
}

bool Authenticator::Throttled(std::string_view remote, Clock::time_point now) {
  auto it = failures_by_address_.find(std::string(remote));
  if (it == failures_by_address_.end()) return false;
  auto& times = it->second;
  while (!times.empty() && now - times.front() > options_.failure_window) times.pop_front();
  if (times.empty()) {
    failures_by_address_.erase(it);
    return false;
  }
  return times.size() >= options_.max_failures;
}

uint64_t Authenticator::failures() const {
  std::lock_guard lock(mu_);
  return failures_;
}

}  // namespace hone::server
