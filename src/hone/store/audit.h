// The audit log's hash chain and the JSON its records carry, shared by every MetaStore backend
// so that a log written by one verifies the same way whichever backend reads it.
#ifndef HONE_STORE_AUDIT_H_
#define HONE_STORE_AUDIT_H_

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
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

/// A search of the audit log: whitespace-separated terms, each of which must occur, ignoring
/// ASCII case, in a record's action, actor or subject ("watch. churn" finds the loop's
/// decisions about churn; "rollback alice" alice's rollbacks).
struct AuditSearch {
  std::vector<std::string> terms;  // lower case
  static AuditSearch Parse(std::string_view text);
  bool empty() const { return terms.empty(); }
  bool Matches(const AuditRecord& record) const;
};

/// One page of a search, and where the next starts: the `seq` to pass as `before_seq` (newest
/// first) or `after_seq` (oldest first); nullopt once the log has been read to its end.
struct AuditPage {
  std::vector<AuditRecord> records;
  std::optional<int64_t> next_seq;
  size_t scanned = 0;  // records read
};

/// The records `query` bounds and orders that match `search`, at most `query.limit` (0: no
/// limit). An empty search is one ListAudit. Otherwise the log is read `chunk` records at a time
/// and at most `max_scanned` records in all (each at least 1), so that a rare term costs a
/// bounded time per page; the page then ends early with next_seq set.
inline constexpr size_t kAuditSearchChunk = 1000;
Result<AuditPage> SearchAudit(MetaStore& meta, AuditQuery query, const AuditSearch& search,
                              size_t max_scanned, size_t chunk = kAuditSearchChunk);

}  // namespace hone::store

#endif  // HONE_STORE_AUDIT_H_
