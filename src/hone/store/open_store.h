// Finding and opening the store a command works on: the MetaStore backend chosen by URL scheme
// (a table, as ccache chooses its storage backends) and the ArtifactStore beside it.
#ifndef HONE_STORE_OPEN_STORE_H_
#define HONE_STORE_OPEN_STORE_H_

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "hone/store/artifact_store.h"
#include "hone/store/meta_store.h"

namespace hone::store {

/// Where the store is, as the user said it.
struct StoreOptions {
  /// `--store` or HONE_STORE: a store folder (`.hone`), its database file, or
  /// `postgresql://user:pass@host:port/db`. Empty: the `.hone` folder in `cwd` or the nearest
  /// parent that has one, as git finds `.git`.
  std::string store;
  /// `--artifacts` or HONE_ARTIFACTS: the artifact folder, possibly shared by several machines.
  /// Empty: `artifacts/` in the store folder; for PostgreSQL, in the `.hone` folder found (or
  /// made, with `create`) as above.
  std::string artifacts;
  /// Make the store when there is none (commands that write); otherwise a missing store is
  /// kNotFound.
  bool create = false;
  std::filesystem::path cwd;  // empty: the current directory
};

/// An open store. Not thread-safe (see MetaStore).
struct Store {
  std::unique_ptr<MetaStore> meta;
  ArtifactStore artifacts;
  /// What opens the same MetaStore from another process or machine (as --store): the database
  /// file's absolute path, or the postgresql:// URL as given (with its password: never print
  /// it). Empty when the store was not opened by OpenStore.
  std::string location;
};

/// Opens the store `options` name. A path that is not a hone store is kInvalidData; an
/// unknown URL scheme is kInvalidArgument naming the known ones.
Result<Store> OpenStore(const StoreOptions& options);

/// Whether `url` names a hone server (http:// or https://) rather than a database.
inline bool IsServerUrl(std::string_view url) {
  return url.starts_with("http://") || url.starts_with("https://");
}

/// Whether `store` is a URL of a kind OpenMetaStore opens (postgresql://, postgres://, http://,
/// https://) rather than a path.
bool IsStoreUrl(std::string_view store);

/// Opens only the MetaStore at `url` (a database file path or a postgresql:// URL).
Result<std::unique_ptr<MetaStore>> OpenMetaStore(const std::string& url, bool create);

}  // namespace hone::store

#endif  // HONE_STORE_OPEN_STORE_H_
