// For the server's tests: a real `hone server` on loopback whose store holds one token per role,
// as a team would set it up with `hone token create`.
#ifndef HONE_SERVER_TESTING_ROLE_SERVER_H_
#define HONE_SERVER_TESTING_ROLE_SERVER_H_

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "hone/core/error.h"
#include "hone/server/team_server.h"
#include "hone/server/tokens.h"
#include "hone/store/open_store.h"

namespace hone::server::testing {

struct RoleServer {
  std::unique_ptr<TeamServer> server;
  std::map<store::Role, std::string> tokens;  // each role's token text
  const std::string& token(store::Role role) const { return tokens.at(role); }
};

/// Makes the store `options.store` (an SQLite file or a postgresql:// URL), puts a token per
/// role in it named RoleName + `suffix` ("viewer-bot") and created by "setup", and starts a
/// server on it on a free loopback port (`options.http.port` is set to 0).
inline Result<RoleServer> StartRoleServer(TeamServerOptions options,
                                          const std::string& suffix = "-bot") {
  RoleServer started;
  {
    HONE_ASSIGN_OR_RETURN(auto meta, store::OpenMetaStore(options.store, /*create=*/true));
    for (store::Role role : {store::Role::kViewer, store::Role::kTrainer, store::Role::kDeployer,
                             store::Role::kAdmin}) {
      HONE_ASSIGN_OR_RETURN(MintedToken minted,
                            MintToken(std::string(store::RoleName(role)) + suffix, role));
      HONE_TRY(meta->CreateToken(minted.stored, {"setup"}));
      started.tokens[role] = minted.text;
    }
  }
  options.http.port = 0;
  HONE_ASSIGN_OR_RETURN(started.server, TeamServer::Start(options));
  return started;
}

}  // namespace hone::server::testing

#endif  // HONE_SERVER_TESTING_ROLE_SERVER_H_
