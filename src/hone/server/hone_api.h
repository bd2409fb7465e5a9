// hone's own JSON API (/api/hone/v1): every MetaStore operation as one request, with the role
// each needs checked and the caller's token named as the actor of everything it changes.
// Reference: docs/server.md.
#ifndef HONE_SERVER_HONE_API_H_
#define HONE_SERVER_HONE_API_H_

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "hone/core/error.h"
#include "hone/server/auth.h"
#include "hone/store/artifact_store.h"
#include "hone/store/meta_store.h"

namespace hone::server {

/// A request as the API routes it.
struct ApiRequest {
  std::string_view method;
  std::vector<std::string> path;  // the segments after /api/hone/v1/, %-decoded
  std::map<std::string, std::string> query;
  std::string_view body;
  Principal principal;
};

struct ApiReply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

/// What the API works on.
struct ApiContext {
  store::MetaStore& meta;
  const store::ArtifactStore& artifacts;
  /// Aliases only a deployer may move, and only to a blessed version (an admin may force).
  const std::set<std::string, std::less<>>& protected_aliases;
};

/// Answers one request; every failure is an Error (its code chooses the HTTP status).
Result<ApiReply> HandleHoneApi(ApiContext& ctx, const ApiRequest& request);

/// kPermissionDenied unless `principal` has at least `needed`, naming `what` it tried.
Result<void> RequireRole(const Principal& principal, store::Role needed, std::string_view what);

/// Whether version `model`/`version` was blessed by its gate: its run keeps a verdict.json
/// artifact whose "blessed" is true.
Result<bool> IsBlessed(store::MetaStore& meta, const store::ArtifactStore& artifacts,
                       std::string_view model, int64_t version);

}  // namespace hone::server

#endif  // HONE_SERVER_HONE_API_H_
