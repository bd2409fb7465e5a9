#include "hone/server/serve_guard.h"

#include <memory>

#include "hone/serve/infer_codec.h"
#include "hone/server/hone_api.h"
#include "hone/store/remote/remote_meta_store.h"

namespace hone::server {

serve::InferenceService::WriteGuard TokenWriteGuard(std::string store_url, store::Role needed,
                                                    AuthOptions options) {
  options.no_token_message =
      "this model server's store is a hone server: writes need a token; send "
      "'Authorization: Bearer <token>'";
  auto auth = std::make_shared<Authenticator>(
      Authenticator::VerifiedBy{
          [url = std::move(store_url)](std::string_view token) -> Result<Principal> {
            HONE_ASSIGN_OR_RETURN(store::remote::TokenOwner owner,
                                  store::remote::AskTokenOwner(url, token));
            return Principal{std::move(owner.name), owner.role};
          }},
      options);
  return [auth, needed](const serve::HttpRequest& request, serve::HttpResponse& response) {
    const AuthResult who = auth->Check(request.header("authorization"), request.remote_address);
    int status = who.status;
    std::string refusal = who.message;
    if (status == 200) {
      auto allowed = RequireRole(
          who.principal, needed,
          "write to " + std::string(request.target.substr(0, request.target.find('?'))));
      if (allowed) return true;
      status = 403;
      refusal = allowed.error().message();
    } else if (status == 401) {
      response.headers.emplace_back("WWW-Authenticate", R"(Bearer realm="hone")");
    }
    response.status = status;
    response.content_type = "application/json";
    response.body = serve::ErrorBody(refusal);
    return false;
  };
}

}  // namespace hone::server
