// The artifact blobs of a hone server, for an ArtifactStore that caches them locally
// (ArtifactStore::WithRemote): GET, PUT and exists under /api/hone/v1/artifacts/DIGEST.
#ifndef HONE_STORE_REMOTE_REMOTE_BLOBS_H_
#define HONE_STORE_REMOTE_REMOTE_BLOBS_H_

#include <memory>
#include <string_view>

#include "hone/store/artifact_store.h"
#include "hone/store/remote/http_client.h"

namespace hone::store::remote {

/// A thread-safe BlobRemote over one connection to the server at `url`, with the token
/// `options` carry (TokenFromEnvironment when empty).
Result<std::shared_ptr<const BlobRemote>> OpenServerBlobs(std::string_view url,
                                                          ClientOptions options = {});

/// The local folder blobs from hone servers are cached in: $XDG_CACHE_HOME/hone/artifacts, or
/// ~/.cache/hone/artifacts. Blobs are named by their digest, so servers can share it.
std::filesystem::path BlobCacheFolder();

}  // namespace hone::store::remote

#endif  // HONE_STORE_REMOTE_REMOTE_BLOBS_H_
