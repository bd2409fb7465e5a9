#include "hone/server/team_server.h"

#include <mutex>
#include <optional>
#include <vector>

#include "hone/core/log.h"
#include "hone/server/hone_api.h"
#include "hone/server/mlflow_api.h"
#include "hone/server/request_target.h"
#include "hone/server/static_files.h"
#include "hone/server/tokens.h"
#include "hone/store/audit.h"
#include "hone/store/open_store.h"
#include "hone/store/remote/wire.h"

namespace hone::server {
namespace {

constexpr std::string_view kHoneApi = "/api/hone/v1/";

/// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past
/// U+10FFFF). Answers and error messages echo names taken from the URL, and JSON holds only
/// UTF-8: a URL that is not is refused before anything echoes it.
bool IsUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t n = 0;
    char32_t cp = 0, min = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (i + n >= text.size()) return false;  // cut short
    for (size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

bool IsUtf8(const ApiRequest& request) {
  for (const std::string& segment : request.path) {
    if (!IsUtf8(segment)) return false;
  }
  for (const auto& [key, value] : request.query) {
    if (!IsUtf8(key) || !IsUtf8(value)) return false;
  }
  return true;
}

/// Open MetaStores, one lent to each request being answered (a MetaStore is not thread-safe).
class StorePool {
 public:
  explicit StorePool(std::string url) : url_(std::move(url)) {}

  Result<std::unique_ptr<store::MetaStore>> Take() {
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        auto s = std::move(idle_.back());
        idle_.pop_back();
        return s;
      }
    }
    return store::OpenMetaStore(url_, /*create=*/true);
  }
  /// Returns a store for reuse, unless the request failed in a way that may have broken its
  /// connection.
  void Give(std::unique_ptr<store::MetaStore> s, bool healthy) {
    if (!healthy) return;
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(s));
  }

 private:
  std::string url_;
  std::mutex mu_;
  std::vector<std::unique_ptr<store::MetaStore>> idle_;
};

class Server final : public TeamServer {
 public:
  Server(TeamServerOptions options, store::ArtifactStore artifacts, std::optional<StaticFiles> ui)
      : options_(std::move(options)),
        artifacts_(std::move(artifacts)),
        ui_(std::move(ui)),
        pool_(options_.store),
        auth_([this](std::string_view id) { return LookupToken(id); }, options_.auth) {}

  Result<void> Listen() {
    HONE_ASSIGN_OR_RETURN(
        http_, serve::HttpServer::Start(
                   options_.http, [this](const serve::HttpRequest& rq, serve::HttpResponse& rs) {
                     Handle(rq, rs);
                   }));
    return {};
  }

  uint16_t port() const override { return http_ ? http_->port() : 0; }
  std::string url() const override {
    const bool tls = !options_.http.tls_cert_file.empty();
    return std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port());
  }
  void Stop() override {
    if (http_) http_->Stop();
  }
  ~Server() override { Stop(); }

  void Handle(const serve::HttpRequest& rq, serve::HttpResponse& rs) override {
    std::string_view target = rq.target;
    if (target == "/health" || target == "/health/ready") {
      Answer(rs, 200, R"({"status":"ok"})");
      return;
    }
    if (!IsUtf8(target)) {
      AnswerError(rs, Error(ErrorCode::kInvalidArgument, "the request's URL is not UTF-8"));
      return;
    }
    const std::string_view path = target.substr(0, target.find('?'));
    if (path == "/" || path == "/ui" || path.starts_with("/ui/")) {
      ServeDashboard(rq.method, path, rs);
      return;
    }
    const size_t mlflow = MlflowApiPrefix(target);  // MLflow's REST API: docs/mlflow-api.md
    if (!target.starts_with(kHoneApi) && mlflow == 0) {
      AnswerError(rs,
                  Error(ErrorCode::kNotFound, "no endpoint " + std::string(rq.method) + " " +
                                                  std::string(target.substr(0, target.find('?')))));
      return;
    }
    AuthResult who = auth_.Check(rq.header("authorization"), rq.remote_address);
    if (who.status != 200) {
      Answer(rs, who.status,
             mlflow ? MlflowAuthErrorBody(who.status, who.message)
                    : store::wire::ErrorBody(Error(ErrorCode::kPermissionDenied, who.message)));
      if (who.status == 401) rs.headers.emplace_back("WWW-Authenticate", R"(Bearer realm="hone")");
      return;
    }
    // Failures before the API's handler answer in the API's own shape too.
    auto fail = [&](const Error& e) {
      if (mlflow) {
        ApiReply r = MlflowErrorReply(e);
        Answer(rs, r.status, std::move(r.body));
      } else {
        AnswerError(rs, e);
      }
    };
    ApiRequest request{.method = rq.method, .body = rq.body, .principal = who.principal};
    if (auto split = SplitTarget(target.substr(mlflow ? mlflow : kHoneApi.size()), request.path,
                                 request.query);
        !split) {
      fail(split.error());
      return;
    }
    if (!IsUtf8(request)) {
      fail(Error(ErrorCode::kInvalidArgument, "the request's URL is not UTF-8 once %-decoded"));
      return;
    }
    auto meta = pool_.Take();
    if (!meta) {
      fail(meta.error());
      return;
    }
    ApiContext ctx{**meta, artifacts_, options_.protected_aliases};
    auto reply = mlflow ? HandleMlflowApi(ctx, request) : HandleHoneApi(ctx, request);
    // A store that failed with an I/O or internal error may have a broken connection: it is
    // not reused. (MLflow's handler answers those as 500.)
    const bool healthy = reply ? reply->status != 500
                               : reply.error().code() != ErrorCode::kIo &&
                                     reply.error().code() != ErrorCode::kInternal;
    pool_.Give(std::move(*meta), healthy);
    if (!reply) {
      AnswerError(rs, reply.error());
      return;
    }
    rs.status = reply->status;
    rs.content_type = std::move(reply->content_type);
    rs.body = std::move(reply->body);
  }

 private:
  void ServeDashboard(std::string_view method, std::string_view path, serve::HttpResponse& rs) {
    if (!ui_) {
      AnswerError(rs, Error(ErrorCode::kNotFound,
                            "this hone server has no dashboard: build it (cd web && npm ci && "
                            "npm run build) and start the server with --ui-dir web/dist"));
      return;
    }
    if (path == "/" || path == "/ui") {
      rs.status = 302;
      rs.headers.emplace_back("Location", "/ui/");
      return;
    }
    ui_->Serve(method, path.substr(4), rs);
  }

  Result<store::ApiToken> LookupToken(std::string_view id) {
    for (const store::ApiToken& t : options_.extra_tokens) {
      if (t.id == id) return t;
    }
    HONE_ASSIGN_OR_RETURN(auto meta, pool_.Take());
    auto token = meta->GetToken(id);
    pool_.Give(std::move(meta), token || token.error().code() == ErrorCode::kNotFound);
    return token;
  }

  static void Answer(serve::HttpResponse& rs, int status, std::string body) {
    rs.status = status;
    rs.content_type = "application/json";
    rs.body = std::move(body);
  }
  static void AnswerError(serve::HttpResponse& rs, const Error& e) {
    Answer(rs, store::wire::HttpStatusOf(e.code()), store::wire::ErrorBody(e));
  }

  TeamServerOptions options_;
  store::ArtifactStore artifacts_;
  std::optional<StaticFiles> ui_;
  StorePool pool_;
  Authenticator auth_;
  std::unique_ptr<serve::HttpServer> http_;
};

}  // namespace

Result<store::ApiToken> ExtraAdminToken(std::string_view name, std::string_view text) {
  HONE_ASSIGN_OR_RETURN(TokenParts parts, SplitToken(text));
  HONE_ASSIGN_OR_RETURN(MintedToken salt_source, MintToken(name, store::Role::kAdmin));
  store::ApiToken t = salt_source.stored;
  t.id = parts.id;
  t.hash = HashSecret(t.salt, parts.secret);
  HONE_TRY(store::CheckToken(t));
  return t;
}

namespace {

Result<std::unique_ptr<TeamServer>> Make(TeamServerOptions options, bool listen) {
  if (options.store.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "hone server needs --store (a file or postgresql://)");
  }
  const bool postgres =
      options.store.starts_with("postgresql://") || options.store.starts_with("postgres://");
  if (options.artifacts.empty()) {
    if (postgres) {
      return Fail(ErrorCode::kInvalidArgument,
                  "hone server with a PostgreSQL store needs --artifacts FOLDER");
    }
    // Beside the database, as a .hone folder keeps them.
    const std::filesystem::path db(options.store);
    std::error_code ec;
    const std::filesystem::path folder = std::filesystem::is_directory(db, ec) ? db
                                         : db.has_parent_path()                ? db.parent_path()
                                                                : std::filesystem::path(".");
    options.artifacts = (folder / "artifacts").string();
  }
  // Opening once here applies migrations and fails early on a bad store.
  HONE_ASSIGN_OR_RETURN(auto meta, store::OpenMetaStore(options.store, /*create=*/true));
  HONE_ASSIGN_OR_RETURN(std::string store_id, meta->StoreId());
  HONE_ASSIGN_OR_RETURN(store::ArtifactStore artifacts,
                        store::ArtifactStore::Open(options.artifacts));
  HONE_TRY(artifacts.Claim(store_id));
  if (listen) {
    HONE_TRY(serve::CheckListenAddress(options.http.host, !options.http.tls_cert_file.empty(),
                                       options.insecure_listen));
  }
  std::optional<StaticFiles> ui;
  if (!options.ui_dir.empty()) {
    HONE_ASSIGN_OR_RETURN(ui, StaticFiles::Load(options.ui_dir));
  }
  auto server = std::make_unique<Server>(std::move(options), std::move(artifacts), std::move(ui));
  if (listen) HONE_TRY(server->Listen());
  return std::unique_ptr<TeamServer>(std::move(server));
}

}  // namespace

Result<std::unique_ptr<TeamServer>> TeamServer::Start(TeamServerOptions options) {
  return Make(std::move(options), /*listen=*/true);
}

Result<std::unique_ptr<TeamServer>> TeamServer::Open(TeamServerOptions options) {
  return Make(std::move(options), /*listen=*/false);
}

}  // namespace hone::server
