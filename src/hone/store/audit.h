// The audit log's hash chain and the JSON its records carry, shared by every MetaStore backend
// so that a log written by one verifies the same way whichever backend reads it.
#ifndef HONE_STORE_AUDIT_H_
#define HONE_STORE_AUDIT_H_

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "hone/store/meta_store.h"

namespace hone::store {

/// The hash of the chain before the first record.
inline constexpr std::string_view kAuditGenesis =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 (hex) over the record's fields, each length-prefixed, including `prev_hash` but not
/// `hash` itself.
std::string AuditHash(const AuditRecord& record);

/// The `before`/`after` JSON of a version (the immutable fields that identify it).
std::string VersionAuditJson(const ModelVersion& version);
/// The `before`/`after` JSON of an alias position: {"version": N}, {"version": N, "weight": W}
/// when the alias carries a weight, or null; "forced": true when an administrator overrode a
/// rule to make the move.
std::string AliasAuditJson(std::optional<int64_t> version,
                           std::optional<double> weight = std::nullopt, bool forced = false);
/// The `after` JSON of a token's creation or revocation: its name, id and role.
std::string TokenAuditJson(const ApiToken& token);
/// Whether `token`'s fields are well formed (see ApiToken); kInvalidArgument naming the field.
Result<void> CheckToken(const ApiToken& token);
Error UnknownToken(std::string_view name, const std::vector<std::string>& live);

/// The head as the store keeps it beside the log: "SEQ HASH".
std::string FormatAuditHead(const AuditHead& head);
/// kCorrupt naming `store` when `text` is not what FormatAuditHead writes.
Result<AuditHead> ParseAuditHead(std::string_view text, std::string_view store);

/// What is wrong with an audit log, one line per problem, naming the record by its sequence
/// number: an edited record (its hash no longer matches), a removed one (a gap, or a
/// `prev_hash` that names another record), records removed from the end (the log ends before
/// `head`). Empty when the chain is intact.
std::vector<std::string> VerifyAuditChain(std::span<const AuditRecord> records,
                                          const std::optional<AuditHead>& head);

}  // namespace hone::store

#endif  // HONE_STORE_AUDIT_H_
