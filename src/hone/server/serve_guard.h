// The tokens of `hone serve` when its store is a hone server: its write endpoints (feedback)
// take the same tokens and roles as the server, checked by asking the server, so that a model
// server never holds a list of tokens of its own.
#ifndef HONE_SERVER_SERVE_GUARD_H_
#define HONE_SERVER_SERVE_GUARD_H_

#include <string>

#include "hone/serve/service.h"
#include "hone/server/auth.h"

namespace hone::server {

/// A write guard admitting requests whose token (Bearer, or basic auth with the token as the
/// password) the hone server at `store_url` knows with at least `needed`. Answers 401 (no or
/// wrong token, logged with the client's address), 403 (a lesser role), 429 (too many wrong
/// tokens from one address) or 503 (the server cannot be asked), each with a JSON error. A
/// good token is trusted for `options.cache_ttl` before the server is asked again.
serve::InferenceService::WriteGuard TokenWriteGuard(std::string store_url, store::Role needed,
                                                    AuthOptions options = {});

}  // namespace hone::server

#endif  // HONE_SERVER_SERVE_GUARD_H_
