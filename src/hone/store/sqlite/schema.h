// The embedded store's schema as numbered migrations, applied when a store is opened.
#ifndef HONE_STORE_SQLITE_SCHEMA_H_
#define HONE_STORE_SQLITE_SCHEMA_H_

#include <filesystem>
#include <span>
#include <string_view>

#include "hone/core/error.h"
#include "hone/store/sqlite/sqlite.h"

namespace hone::store::sqlite {

/// Migration i (1-based) takes the schema from version i-1 to i. Released migrations are
/// never edited, only appended to.
std::span<const std::string_view> Migrations();
/// The schema version this binary writes: Migrations().size().
int SchemaVersion();

/// Opens the store database at `path` (creating it unless `must_exist`) and brings its schema
/// up to date in one transaction, so concurrent openers apply each migration once. A store
/// with a newer schema than this binary knows is kUnsupported; an SQLite database that is not
/// a hone store, or a file that is not a database, is kInvalidData.
Result<Database> OpenStoreDatabase(const std::filesystem::path& path, bool must_exist = false);

}  // namespace hone::store::sqlite

#endif  // HONE_STORE_SQLITE_SCHEMA_H_
