// Who is calling `hone server`: the bearer token (or HTTP basic auth with the token as the
// password, as MLflow clients may send it) checked against the store, with a short cache so
// a busy client does not cost a store read per request, and a limit on wrong tokens per client
// address so guessing is slow and shows in the log.
#ifndef HONE_SERVER_AUTH_H_
#define HONE_SERVER_AUTH_H_

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "hone/core/error.h"
#include "hone/store/meta_store.h"

namespace hone::server {

/// The caller a request acts for.
struct Principal {
  std::string name;  // the token's name: the audit log's actor
  store::Role role = store::Role::kViewer;
};

struct AuthOptions {
  /// A checked token is trusted this long before the store is asked again (so a revocation
  /// takes effect within it).
  std::chrono::milliseconds cache_ttl{2000};
  /// Wrong tokens from one address within `failure_window` beyond which it is answered 429.
  size_t max_failures = 10;
  std::chrono::milliseconds failure_window{60000};
  /// The answer to a request that carries no token (401).
  std::string no_token_message =
      "this hone server needs a token: send 'Authorization: Bearer <token>' (HONE_TOKEN for "
      "hone, MLFLOW_TRACKING_TOKEN for MLflow clients)";
};

/// The outcome of checking a request's credentials.
struct AuthResult {
  int status = 200;  // 200: `principal` is set; 401 no or wrong token; 429 too many wrong ones
  std::string message;
  Principal principal;
};

/// Thread-safe.
class Authenticator {
 public:
  /// A token's record by its id (kNotFound when there is none).
  using Lookup = std::function<Result<store::ApiToken>(std::string_view id)>;
  /// Who a whole token is. kPermissionDenied or kNotFound: the token is wrong or revoked (the
  /// request is refused with 401 and counted against its address); any other error: it cannot
  /// be checked now (503).
  using Verify = std::function<Result<Principal>(std::string_view token)>;
  struct VerifiedBy {
    Verify verify;
  };

  /// Tokens checked against their records' salted hashes (`hone server` and its store).
  explicit Authenticator(Lookup lookup, AuthOptions options = {});
  /// Tokens checked by another party (`hone serve` asks the hone server that is its store).
  explicit Authenticator(VerifiedBy verified_by, AuthOptions options = {})
      : verify_(std::move(verified_by.verify)), options_(options) {}

  /// Checks the Authorization header `authorization` of a request from `remote` (an address).
  AuthResult Check(std::string_view authorization, std::string_view remote);

  /// Wrong tokens refused so far, for /metrics.
  uint64_t failures() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Cached {
    Principal principal;
    Clock::time_point until;
  };
  AuthResult Refuse(std::string_view remote, std::string message);
  bool Throttled(std::string_view remote, Clock::time_point now);

  Verify verify_;
  AuthOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Cached> cache_;  // by token text
  std::unordered_map<std::string, std::deque<Clock::time_point>> failures_by_address_;
  uint64_t failures_ = 0;
};

/// The token text in an Authorization header: "Bearer T", or "Basic base64(user:T)". Empty
/// when the header carries neither.
std::string TokenFromAuthorization(std::string_view header);

}  // namespace hone::server

#endif  // HONE_SERVER_AUTH_H_
