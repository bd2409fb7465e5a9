// hone server: the team's tracking and registry server (hone's JSON API, tokens and roles)
// until SIGTERM or SIGINT. hone token: create, list and revoke its API tokens.
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include <sys/stat.h>

#include "hone/cli/commands.h"
#include "hone/cli/daemon.h"
#include "hone/cli/report.h"
#include "hone/cli/store_report.h"
#include "hone/core/file.h"
#include "hone/core/log.h"
#include "hone/registry/registry.h"
#include "hone/server/static_files.h"
#include "hone/server/team_server.h"
#include "hone/server/tokens.h"
#include "hone/store/open_store.h"
#include "hone/store/postgres/postgres_meta_store.h"

namespace hone::cli {
namespace {

struct ServerFlags {
  server::TeamServerOptions options;
  std::vector<std::string> protected_aliases = {"production"};
  std::string port_file;
  std::string admin_token_file;
  std::string store_password_file;
  std::string ui_dir;
  bool no_ui = false;
  bool insecure_listen = false;
};

/// Starts the server and writes its port to `port_file` (when given); the server is stopped
/// again when the file cannot be written.
Result<std::unique_ptr<server::TeamServer>> StartServer(const server::TeamServerOptions& o,
                                                        const std::string& port_file) {
  HONE_ASSIGN_OR_RETURN(auto started, server::TeamServer::Start(o));
  if (!port_file.empty()) {
    if (auto written = WritePortFile(port_file, started->port()); !written) {
      started->Stop();
      return Fail(written.error());
    }
  }
  return started;
}

/// The dashboard's folder: --ui-dir, else where FindDashboardFiles looks; empty with --no-ui
/// or when there is none (the server then says so at /ui/).
std::string DashboardFolder(const ServerFlags& f) {
  if (f.no_ui) return "";
  if (!f.ui_dir.empty()) return f.ui_dir;
  return server::FindDashboardFiles().string();
}

std::string EnvOr(const std::string& flag, const char* name) {
  if (!flag.empty()) return flag;
  const char* value = std::getenv(name);
  return value ? value : "";
}

int RunServer(Io& io, ServerFlags f) {
  StopSignals stop_signals;  // before any thread starts
  if (!f.store_password_file.empty()) {
    // Read where the store is opened (PostgresMetaStore::Open), in every pooled connection.
    ::setenv(store::postgres::kStorePasswordFileVariable, f.store_password_file.c_str(), 1);
  }

  server::TeamServerOptions& o = f.options;
  o.store = EnvOr(o.store, "HONE_STORE");
  o.artifacts = EnvOr(o.artifacts, "HONE_ARTIFACTS");
  if (store::IsServerUrl(o.store)) {
    return ReportError(io, "server",
                       Error(ErrorCode::kInvalidArgument,
                             "hone server keeps its own store: give it an SQLite file or a "
                             "postgresql:// URL, not another server"),
                       false);
  }
  o.protected_aliases = {f.protected_aliases.begin(), f.protected_aliases.end()};
  const bool tls = !o.http.tls_cert_file.empty();
  o.insecure_listen = f.insecure_listen;
  if (!f.admin_token_file.empty()) {
    auto text = core::ReadFile(f.admin_token_file);
    if (!text) return ReportError(io, "server", text.error(), false);
    std::string line = text->substr(0, text->find_first_of("\r\n"));
    auto admin = server::ExtraAdminToken("admin", line);
    if (!admin) {
      return ReportError(io, "server",
                         admin.error().WithContext("--admin-token-file " + f.admin_token_file),
                         false);
    }
    o.extra_tokens.push_back(*admin);
  }
  o.ui_dir = DashboardFolder(f);
  auto started = StartServer(o, f.port_file);
  if (!started) return ReportError(io, "server", started.error(), false);
  const uint16_t port = (*started)->port();
  core::LogInfo("hone server: listening on " + std::string(tls ? "https://" : "http://") +
                o.http.host + ":" + std::to_string(port) + " (hone API under /api/hone/v1" +
                (o.ui_dir.empty() ? ", no dashboard" : ", dashboard under /ui/ from " + o.ui_dir) +
                ")");
  core::LogInfo(std::string("hone server: ") + stop_signals.Wait() +
                ", draining requests in flight");
  (*started)->Stop();
  core::LogInfo("hone server: stopped");
  return kExitOk;
}

// --- hone ui ---

struct UiFlags {
  StoreFlags store;
  ServerFlags server;
};

// The dashboard on a store of this machine: a hone server on loopback whose only token is one
// made for this session (kept in memory, an admin's, named after the user), given in the URL
// printed.
int RunUi(Io& io, UiFlags f) {
  StopSignals stop_signals;  // before any thread starts
  auto store = OpenStoreFrom(f.store, /*create=*/false);
  if (!store) return ReportError(io, "ui", store.error(), false);
  if (store::IsServerUrl(store->location)) {
    return ReportError(
        io, "ui",
        Error(ErrorCode::kInvalidArgument, "the store is a hone server: open its dashboard at " +
                                               store->location + "/ui/ with your token"),
        false);
  }
  server::TeamServerOptions& o = f.server.options;
  o.store = store->location;
  o.artifacts = store->artifacts.root().string();
  o.ui_dir = DashboardFolder(f.server);
  if (o.ui_dir.empty()) {
    return ReportError(io, "ui",
                       Error(ErrorCode::kNotFound,
                             "no dashboard files: build them (cd web && npm ci && npm run "
                             "build) and pass --ui-dir web/dist, or set HONE_UI_DIR"),
                       false);
  }
  o.protected_aliases = {f.server.protected_aliases.begin(), f.server.protected_aliases.end()};
  const std::string user = registry::DefaultActor().name;
  auto minted = server::MintToken(user.empty() ? "ui" : user, store::Role::kAdmin);
  if (!minted) return ReportError(io, "ui", minted.error(), false);
  o.extra_tokens.push_back(minted->stored);
  store->meta.reset();
  auto started = StartServer(o, f.server.port_file);
  if (!started) return ReportError(io, "ui", started.error(), false);
  const uint16_t port = (*started)->port();
  const bool v6 = o.http.host.find(':') != std::string::npos;
  io.out << "hone ui: open http://" << (v6 ? "[" + o.http.host + "]" : o.http.host) << ":" << port
         << "/ui/?token=" << minted->text << std::endl;
  core::LogInfo(std::string("hone ui: ") + stop_signals.Wait() + ", stopping");
  (*started)->Stop();
  return kExitOk;
}

// --- hone token ---

struct TokenFlags {
  StoreFlags store;
  std::string name;
  std::string role = "viewer";
  std::string out_file;
  bool json = false;
};

// `create`: a first token may be made before the server first opened its store.
Result<std::unique_ptr<store::MetaStore>> OpenTokenStore(const StoreFlags& flags, bool create) {
  const std::string url = EnvOr(flags.store, "HONE_STORE");
  if (!url.empty()) return store::OpenMetaStore(url, create);
  HONE_ASSIGN_OR_RETURN(store::Store s, OpenStoreFrom(flags, create));
  return std::move(s.meta);
}

nlohmann::json TokenJson(const store::ApiToken& t) {
  nlohmann::json j = {{"name", t.name},
                      {"id", t.id},
                      {"role", store::RoleName(t.role)},
                      {"created_ms", t.created_ms},
                      {"created_by", t.created_by}};
  j["revoked_ms"] = t.revoked_ms ? nlohmann::json(*t.revoked_ms) : nlohmann::json(nullptr);
  return j;
}

int RunToken(Io& io, CLI::App* cmd, const TokenFlags& f) {
  const std::string sub = cmd->get_subcommands().front()->get_name();
  const std::string name = "token " + sub;
  auto meta = OpenTokenStore(f.store, sub == "create");
  if (!meta) return ReportError(io, name, meta.error(), f.json);
  const store::Actor actor = registry::DefaultActor();
  if (sub == "create") {
    auto role = store::ParseRole(f.role);
    if (!role) return ReportError(io, name, role.error(), f.json);
    auto minted = server::MintToken(f.name, *role);
    if (!minted) return ReportError(io, name, minted.error(), f.json);
    auto stored = (*meta)->CreateToken(minted->stored, actor);
    if (!stored) return ReportError(io, name, stored.error(), f.json);
    if (!f.out_file.empty()) {
      // Readable by its owner only from its first byte (the CLI has one thread here).
      const mode_t old_mask = ::umask(077);
      auto written = core::WriteFileAtomic(f.out_file, minted->text + "\n");
      ::umask(old_mask);
      if (!written) return ReportError(io, name, written.error(), f.json);
    }
    if (f.json) {
      nlohmann::json j = TokenJson(*stored);
      if (f.out_file.empty()) j["token"] = minted->text;
      io.out << DumpJson(j) << "\n";
    } else if (f.out_file.empty()) {
      io.out << minted->text << "\n";
      io.err << "token '" << stored->name << "' (" << store::RoleName(stored->role)
             << ") created; it is shown this once and kept only as a salted hash\n";
    } else {
      io.out << "token '" << stored->name << "' (" << store::RoleName(stored->role)
             << ") written to " << f.out_file << "\n";
    }
    return kExitOk;
  }
  if (sub == "list") {
    auto tokens = (*meta)->ListTokens();
    if (!tokens) return ReportError(io, name, tokens.error(), f.json);
    if (f.json) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& t : *tokens) list.push_back(TokenJson(t));
      io.out << DumpJson({{"tokens", list}}) << "\n";
      return kExitOk;
    }
    for (const auto& t : *tokens) {
      io.out << t.name << "\t" << store::RoleName(t.role) << "\t" << t.id << "\t"
             << (t.revoked_ms ? "revoked" : "live") << "\tcreated by " << t.created_by << "\n";
    }
    return kExitOk;
  }
  auto revoked = (*meta)->RevokeToken(f.name, actor);
  if (!revoked) return ReportError(io, name, revoked.error(), f.json);
  if (f.json) {
    io.out << DumpJson(TokenJson(*revoked)) << "\n";
  } else {
    io.out << "token '" << revoked->name << "' revoked\n";
  }
  return kExitOk;
}

}  // namespace

Action AddServerCommand(CLI::App& app) {
  auto f = std::make_shared<ServerFlags>();
  f->options.http.threads = 8;
  // Bundles and data snapshots arrive as one request body each.
  f->options.http.max_body_bytes = size_t{1} << 30;
  CLI::App* cmd = app.add_subcommand(
      "server",
      "The team's tracking and registry server: hone's JSON API under /api/hone/v1 for every "
      "run and registry command (hone --store http://HOST:PORT), API tokens with roles, "
      "protected aliases");
  cmd->add_option("--store", f->options.store,
                  "The store it keeps: an SQLite file or .hone folder, or postgresql://… "
                  "(default: HONE_STORE)");
  cmd->add_option("--artifacts", f->options.artifacts,
                  "Artifact folder (default: beside an SQLite store; required for PostgreSQL)");
  cmd->add_option("--host", f->options.http.host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", f->options.http.port, "Port to listen on (0: any free port)")
      ->capture_default_str();
  cmd->add_option("--port-file", f->port_file, "Write the port listened on to this file");
  CLI::Option* cert = cmd->add_option("--tls-cert", f->options.http.tls_cert_file,
                                      "Serve HTTPS (TLS 1.2+) with this PEM certificate chain");
  CLI::Option* key = cmd->add_option("--tls-key", f->options.http.tls_key_file,
                                     "The PEM private key of --tls-cert (not encrypted)");
  cert->needs(key);
  key->needs(cert);
  cmd->add_flag("--insecure-listen", f->insecure_listen,
                "Allow plain HTTP on an address other than loopback");
  cmd->add_option("--threads", f->options.http.threads,
                  "Threads answering requests (each may wait on the database)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1024u));
  cmd->add_option("--max-body-bytes", f->options.http.max_body_bytes,
                  "Largest request body, so largest artifact (413 above)")
      ->capture_default_str();
  cmd->add_option("--protected-alias", f->protected_aliases,
                  "An alias only a deployer may move, and only to a blessed version "
                  "(repeatable)")
      ->capture_default_str();
  cmd->add_option("--store-password-file", f->store_password_file,
                  "A file whose first line is the PostgreSQL store's password, for a URL "
                  "without one (default: HONE_STORE_PASSWORD_FILE; libpq's PGPASSWORD and "
                  "PGPASSFILE work too)");
  cmd->add_option("--ui-dir", f->ui_dir,
                  "The dashboard's built files, served under /ui/ (default: HONE_UI_DIR, "
                  "share/hone/ui beside the binary, or the checkout's web/dist)");
  cmd->add_flag("--no-ui", f->no_ui, "Serve no dashboard");
  cmd->add_option("--admin-token-file", f->admin_token_file,
                  "A file holding an admin token (made by hone token create --out) the server "
                  "accepts without it being in the store: for a first deployment");
  return [f](Io& io) { return RunServer(io, *f); };
}

Action AddUiCommand(CLI::App& app) {
  auto f = std::make_shared<UiFlags>();
  f->server.options.http.threads = 4;
  CLI::App* cmd = app.add_subcommand(
      "ui",
      "The web dashboard on this machine's store: runs, models, releases, live traffic and "
      "the audit log; prints the address to open (with a token for this session)");
  AddStoreFlags(cmd, f->store);
  cmd->add_option("--host", f->server.options.http.host, "Address to listen on")
      ->capture_default_str();
  cmd->add_option("--port", f->server.options.http.port, "Port to listen on (0: any free port)")
      ->capture_default_str();
  cmd->add_option("--port-file", f->server.port_file, "Write the port listened on to this file");
  cmd->add_option("--ui-dir", f->server.ui_dir,
                  "The dashboard's built files (default: HONE_UI_DIR, share/hone/ui beside the "
                  "binary, or the checkout's web/dist)");
  cmd->add_option("--protected-alias", f->server.protected_aliases,
                  "An alias only a deployer may move, and only to a blessed version "
                  "(repeatable)")
      ->capture_default_str();
  return [f](Io& io) { return RunUi(io, *f); };
}

Action AddTokenCommand(CLI::App& app) {
  auto f = std::make_shared<TokenFlags>();
  CLI::App* cmd =
      app.add_subcommand("token", "API tokens for hone server: create (shown once), list, revoke");
  cmd->require_subcommand(1);
  CLI::App* create = cmd->add_subcommand("create", "Make a token; prints it once");
  AddStoreCommandFlags(create, f->store, f->json);
  create->add_option("--name", f->name, "The token's name (the audit log's actor)")->required();
  create->add_option("--role", f->role, "viewer, trainer, deployer or admin")
      ->capture_default_str()
      ->check(CLI::IsMember({"viewer", "trainer", "deployer", "admin"}));
  create->add_option("--out", f->out_file,
                     "Write the token to this file (mode 600) instead of printing it");
  CLI::App* list = cmd->add_subcommand("list", "Every token: name, role, id, live or revoked");
  AddStoreCommandFlags(list, f->store, f->json);
  CLI::App* revoke = cmd->add_subcommand("revoke", "Revoke the live token NAME");
  AddStoreCommandFlags(revoke, f->store, f->json);
  revoke->add_option("name", f->name, "The token's name")->required();
  return [f, cmd](Io& io) { return RunToken(io, cmd, *f); };
}

}  // namespace hone::cli
