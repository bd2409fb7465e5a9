// `hone server`: one tracking and registry server for a team. Training jobs, CI runners, model
// servers and people talk to it over HTTP with a token instead of holding the database's
// password; it checks each token's role, records the token's name as the actor of every
// change, and keeps the facts in an embedded SQLite file or PostgreSQL.
#ifndef HONE_SERVER_TEAM_SERVER_H_
#define HONE_SERVER_TEAM_SERVER_H_

#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "hone/core/error.h"
#include "hone/serve/http_server.h"
#include "hone/server/auth.h"

namespace hone::server {

struct TeamServerOptions {
  /// The store the server keeps: an SQLite database file (or a .hone folder) or a
  /// postgresql:// URL; created when missing.
  std::string store;
  /// The artifact folder (bundles, snapshots, verdicts). Empty: `artifacts/` beside an SQLite
  /// file; required with PostgreSQL.
  std::string artifacts;
  serve::HttpServerOptions http;
  /// Plain HTTP on an address other than loopback (behind a proxy that ends TLS).
  bool insecure_listen = false;
  /// Aliases only a deployer may move, and only to a blessed version.
  std::set<std::string, std::less<>> protected_aliases = {"production"};
  AuthOptions auth;
  /// Tokens the server accepts besides the store's, kept in memory only (as salted hashes):
  /// the admin token of --admin-token-file, so a fresh deployment can be administered before
  /// any token is in the store. Their use is audited under their name like any other.
  std::vector<store::ApiToken> extra_tokens;
  /// The web dashboard's built files (web/dist), served under /ui/ without a token (the page
  /// asks for one; every API call it makes is checked as any other). Empty: no dashboard.
  std::string ui_dir;
};

/// An admin token named `name` whose secret is the token text `text` (hone_<id>_<secret>),
/// for TeamServerOptions::extra_tokens. kPermissionDenied when the text is not a hone token.
Result<store::ApiToken> ExtraAdminToken(std::string_view name, std::string_view text);

/// Thread-safe. Destroying it stops it.
class TeamServer {
 public:
  /// Opens the store (applying migrations), binds and starts serving.
  static Result<std::unique_ptr<TeamServer>> Start(TeamServerOptions options);
  /// Opens the store as Start does but listens nowhere: requests reach it only through
  /// Handle, in the caller's process (the fuzz target). port() is then 0.
  static Result<std::unique_ptr<TeamServer>> Open(TeamServerOptions options);
  virtual ~TeamServer() = default;
  /// Answers one request as the HTTP server hands it over: authentication, routing, the API.
  virtual void Handle(const serve::HttpRequest& request, serve::HttpResponse& response) = 0;
  virtual uint16_t port() const = 0;
  /// "http://127.0.0.1:PORT" (https when TLS is on), for clients in tests.
  virtual std::string url() const = 0;
  virtual void Stop() = 0;
};

}  // namespace hone::server

#endif  // HONE_SERVER_TEAM_SERVER_H_
