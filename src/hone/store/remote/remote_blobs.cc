#include "hone/store/remote/remote_blobs.h"

#include <cstdlib>
#include <mutex>

#include "hone/store/remote/remote_meta_store.h"
#include "hone/store/remote/wire.h"

namespace hone::store::remote {
namespace {

class ServerBlobs final : public BlobRemote {
 public:
  explicit ServerBlobs(std::unique_ptr<HttpClient> client) : client_(std::move(client)) {}

  Result<bool> Has(std::string_view digest) const override {
    HONE_ASSIGN_OR_RETURN(HttpResult r, Send("GET", Target(digest) + "/exists", ""));
    HONE_ASSIGN_OR_RETURN(wire::Json j, wire::Parse(r.body, "the server's answer"));
    return wire::Decoding("blob", [&] { return wire::GetBool(j, "exists", false); });
  }
  Result<std::string> Download(std::string_view digest) const override {
    HONE_ASSIGN_OR_RETURN(HttpResult r, Send("GET", Target(digest), ""));
    return std::move(r.body);
  }
  Result<void> Upload(std::string_view digest, std::string_view bytes) const override {
    HONE_TRY(Send("PUT", Target(digest), bytes));
    return {};
  }

 private:
  static std::string Target(std::string_view digest) {
    return "/api/hone/v1/artifacts/" + std::string(digest);
  }
  Result<HttpResult> Send(std::string_view method, const std::string& target,
                          std::string_view body) const {
    std::lock_guard lock(mu_);
    HONE_ASSIGN_OR_RETURN(HttpResult r,
                          client_->Send(method, target, body, "application/octet-stream"));
    if (r.status < 200 || r.status >= 300) {
      return Fail(wire::ErrorFromResponse(
          r.status, r.body, std::string(method) + " " + client_->Describe() + target));
    }
    return r;
  }

  mutable std::mutex mu_;
  std::unique_ptr<HttpClient> client_;
};

}  // namespace

Result<std::shared_ptr<const BlobRemote>> OpenServerBlobs(std::string_view url,
                                                          ClientOptions options) {
  HONE_ASSIGN_OR_RETURN(Endpoint endpoint, ParseEndpoint(url));
  HONE_ASSIGN_OR_RETURN(options, WithEnvironment(std::move(options)));
  HONE_ASSIGN_OR_RETURN(auto client, HttpClient::Open(endpoint, std::move(options)));
  return std::shared_ptr<const BlobRemote>(std::make_shared<ServerBlobs>(std::move(client)));
}

std::filesystem::path BlobCacheFolder() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
    return std::filesystem::path(xdg) / "hone" / "artifacts";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::filesystem::path(home) / ".cache" / "hone" / "artifacts";
  }
  return std::filesystem::current_path() / ".hone" / "artifacts";
}

}  // namespace hone::store::remote
