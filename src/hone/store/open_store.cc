#include "hone/store/open_store.h"

#include <array>
#include <functional>

#include "hone/store/postgres/postgres_meta_store.h"
#include "hone/store/remote/remote_blobs.h"
#include "hone/store/remote/remote_meta_store.h"
#include "hone/store/sqlite/sqlite_meta_store.h"

namespace hone::store {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kStoreFolder = ".hone";
constexpr std::string_view kDatabaseFile = "hone.db";
constexpr std::string_view kArtifactFolder = "artifacts";

struct Scheme {
  std::string_view prefix;
  std::function<Result<std::unique_ptr<MetaStore>>(const std::string&)> open;
};

Result<std::unique_ptr<MetaStore>> OpenRemote(const std::string& url) {
  HONE_ASSIGN_OR_RETURN(auto store, remote::RemoteMetaStore::Open(url));
  return std::unique_ptr<MetaStore>(std::move(store));
}

const std::array<Scheme, 4>& Schemes() {
  static const std::array<Scheme, 4> schemes = {
      Scheme{"http://", OpenRemote},
      Scheme{"https://", OpenRemote},
      Scheme{"postgresql://",
             [](const std::string& url) { return postgres::PostgresMetaStore::Open(url); }},
      Scheme{"postgres://",
             [](const std::string& url) { return postgres::PostgresMetaStore::Open(url); }},
  };
  return schemes;
}

const Scheme* SchemeOf(std::string_view url) {
  for (const Scheme& s : Schemes()) {
    if (url.starts_with(s.prefix)) return &s;
  }
  return nullptr;
}

/// The `.hone` folder in `cwd` or its nearest parent that has one.
std::optional<fs::path> FindStoreFolder(const fs::path& cwd) {
  std::error_code ec;
  for (fs::path dir = cwd; !dir.empty(); dir = dir.parent_path()) {
    if (fs::is_directory(dir / kStoreFolder, ec)) return dir / kStoreFolder;
    if (dir == dir.parent_path()) break;
  }
  return std::nullopt;
}

Result<std::unique_ptr<MetaStore>> OpenSqlite(const fs::path& db, bool create) {
  HONE_ASSIGN_OR_RETURN(auto store, sqlite::SqliteMetaStore::Open(db, !create));
  return std::unique_ptr<MetaStore>(std::move(store));
}

/// A URL whose scheme no backend has is a mistake, not a folder named "mysql:".
Result<void> CheckScheme(std::string_view url) {
  const size_t colon = url.find("://");
  if (colon == std::string_view::npos || SchemeOf(url) != nullptr) return {};
  return Fail(ErrorCode::kInvalidArgument, "store '" + std::string(url) +
                                               "' has an unknown scheme '" +
                                               std::string(url.substr(0, colon)) +
                                               "'; use a folder, a .db file, postgresql://, "
                                               "postgres://, http:// or https:// (a hone server)");
}

}  // namespace

bool IsStoreUrl(std::string_view store) { return SchemeOf(store) != nullptr; }

Result<std::unique_ptr<MetaStore>> OpenMetaStore(const std::string& url, bool create) {
  if (const Scheme* scheme = SchemeOf(url)) return scheme->open(url);
  HONE_TRY(CheckScheme(url));
  return OpenSqlite(url, create);
}

Result<Store> OpenStore(const StoreOptions& options) {
  const fs::path cwd = options.cwd.empty() ? fs::current_path() : options.cwd;
  std::error_code ec;
  fs::path folder;  // the store folder, when there is one
  std::unique_ptr<MetaStore> meta;
  std::string location;
  if (IsServerUrl(options.store)) {
    // A hone server keeps the blobs; this machine caches them.
    HONE_ASSIGN_OR_RETURN(meta, OpenMetaStore(options.store, options.create));
    HONE_ASSIGN_OR_RETURN(auto remote, remote::OpenServerBlobs(options.store));
    const fs::path cache =
        options.artifacts.empty() ? remote::BlobCacheFolder() : fs::path(options.artifacts);
    HONE_ASSIGN_OR_RETURN(ArtifactStore blobs, ArtifactStore::Open(cache));
    return Store{std::move(meta), blobs.WithRemote(std::move(remote)), options.store};
  }
  if (SchemeOf(options.store) != nullptr) {
    HONE_ASSIGN_OR_RETURN(meta, OpenMetaStore(options.store, options.create));
    location = options.store;
    if (options.artifacts.empty()) {
      auto found = FindStoreFolder(cwd);
      if (!found && !options.create) {
        return Fail(ErrorCode::kNotFound,
                    "no artifact folder for store " + meta->Describe() +
                        ": pass --artifacts DIR (or set HONE_ARTIFACTS) to the folder the "
                        "store's bundles are kept in");
      }
      folder = found ? *found : cwd / kStoreFolder;
    }
  } else {
    fs::path db;
    if (options.store.empty()) {
      auto found = FindStoreFolder(cwd);
      if (!found && !options.create) {
        return Fail(ErrorCode::kNotFound,
                    "no hone store in '" + cwd.string() +
                        "' or any folder above it: register a model first (hone train ... "
                        "--register NAME) or pass --store PATH (or set HONE_STORE)");
      }
      folder = found ? *found : cwd / kStoreFolder;
      db = folder / kDatabaseFile;
    } else if (fs::is_regular_file(options.store, ec)) {
      db = options.store;  // the database file itself
      folder = db.parent_path();
    } else {
      HONE_TRY(CheckScheme(options.store));
      folder = options.store;
      if (!fs::is_directory(folder, ec) && !options.create) {
        return Fail(ErrorCode::kNotFound, "no hone store at '" + options.store + "'");
      }
      db = folder / kDatabaseFile;
    }
    if (!fs::exists(db, ec)) {
      if (!options.create) {
        return Fail(ErrorCode::kInvalidData, "'" + folder.string() +
                                                 "' is not a hone store (it has no " +
                                                 std::string(kDatabaseFile) + ")");
      }
      fs::create_directories(folder, ec);
      if (ec) {
        return Fail(ErrorCode::kIo,
                    "cannot create store folder '" + folder.string() + "': " + ec.message());
      }
    }
    HONE_ASSIGN_OR_RETURN(meta, OpenSqlite(db, options.create));
    location = fs::absolute(db, ec).string();
  }
  fs::path artifacts =
      options.artifacts.empty() ? folder / kArtifactFolder : fs::path(options.artifacts);
  HONE_ASSIGN_OR_RETURN(ArtifactStore blobs, ArtifactStore::Open(artifacts));
  return Store{std::move(meta), std::move(blobs), std::move(location)};
}

}  // namespace hone::store
