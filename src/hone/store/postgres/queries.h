// What the two halves of PostgresMetaStore (runs, registry) both need: the check that a run
// exists, array parameters, and the lists in messages.
#ifndef HONE_STORE_POSTGRES_QUERIES_H_
#define HONE_STORE_POSTGRES_QUERIES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hone/core/error.h"
#include "hone/store/meta_store.h"
#include "hone/store/postgres/connection.h"

namespace hone::store::postgres {

/// kNotFound "unknown run '…'" unless a run has exactly this id, which then stays until the
/// transaction ends. For write transactions only.
Result<void> RequireRun(pqxx::transaction_base& tx, std::string_view run_id);

/// Appends `record` (seq, prev_hash and hash filled in here) to the audit chain and moves the
/// head; returns it as stored. The caller's write transaction holds the store lock.
AuditRecord ChainAudit(pqxx::transaction_base& tx, AuditRecord record);

/// CreateVersion's work inside the caller's write transaction, which holds the store lock.
Result<ModelVersion> InsertVersion(pqxx::transaction_base& tx, const NewVersion& nv,
                                   const Actor& actor);

/// A text[] literal ({"a","b\"c"}) for one parameter that carries many values: a batch is one
/// statement (`unnest($1::text[])`, `= ANY($1::text[])`), not one round trip per value.
std::string TextArray(const std::vector<std::string>& values);
/// A bigint[] literal ({1,-2,3}), as TextArray.
std::string IntArray(const std::vector<int64_t>& values);
/// Appends one quoted element of a text[] literal to `out`.
void AppendArrayText(std::string& out, std::string_view value);

/// A LIMIT or OFFSET value: size_t may exceed bigint.
int64_t SqlCount(size_t n);

}  // namespace hone::store::postgres

#endif  // HONE_STORE_POSTGRES_QUERIES_H_
