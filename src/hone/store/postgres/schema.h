// hone's tables in PostgreSQL: the same tables and columns as the SQLite store
// (store/sqlite/schema.cc), numbered migrations applied when a store is opened, and the lock
// that serialises every registry write.
#ifndef HONE_STORE_POSTGRES_SCHEMA_H_
#define HONE_STORE_POSTGRES_SCHEMA_H_

#include <span>
#include <string_view>

#include "hone/core/error.h"
#include "hone/store/postgres/connection.h"

namespace hone::store::postgres {

/// The SQL of each migration; migration N is element N-1.
std::span<const std::string_view> Migrations();
/// The newest schema version this build knows (the number of migrations).
int SchemaVersion();

/// Brings the store in the connection's current schema (the first schema of its search_path
/// that exists) up to SchemaVersion(), in one transaction under StoreLock, so processes
/// opening one store at once migrate it once. A database holding other tables is fine; a
/// schema holding a table of the same name as one of hone's is kInvalidData, a store written
/// by a newer hone kUnsupported.
Result<void> Migrate(Connection& conn);

/// Takes the store's transaction-scoped advisory lock: migrations and registry writes hold it
/// until they commit, so version numbers and the audit chain stay sequential across processes.
/// The key is hone's fixed key and the current schema, so stores in different schemas of one
/// database do not wait for each other.
void StoreLock(pqxx::transaction_base& tx);

}  // namespace hone::store::postgres

#endif  // HONE_STORE_POSTGRES_SCHEMA_H_
