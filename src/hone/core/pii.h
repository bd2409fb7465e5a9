// Columns that hold personal data (hone.yaml's `pii:`): dropped, or replaced by a keyed hash,
// before anything else sees the data. Training, the reference profile, the data checks, the
// snapshot kept in the artifact store, and (through the policy a bundle records) every row a
// server or `hone predict` reads and the prediction log all see the transformed values only.
//
// A hashed value is "h:" and the first 16 hex digits of HMAC-SHA256(key, raw text): the same
// raw value gives the same category wherever the same key is used, and without the key the raw
// value cannot be found from it. The prefix keeps the value a category: it never reads as a
// number. Missing stays missing.
//
// The key comes from the environment (HONE_PII_KEY), from a file the environment names
// (HONE_PII_KEY_FILE) or from a file hone.yaml names (pii_key_file). It is never printed,
// logged or stored; a bundle records only a check value (a keyed hash of a fixed text) by which
// a server knows it holds the key the model was trained with.
#ifndef HONE_CORE_PII_H_
#define HONE_CORE_PII_H_

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "hone/core/digest.h"
#include "hone/core/error.h"
#include "hone/core/table.h"

namespace hone::core {

inline constexpr char kPiiKeyEnv[] = "HONE_PII_KEY";
inline constexpr char kPiiKeyFileEnv[] = "HONE_PII_KEY_FILE";
/// The shortest key accepted, in bytes: a short key lets anyone holding a hashed value try
/// every key.
inline constexpr size_t kPiiMinKeyBytes = 16;

enum class PiiMode { kDrop, kHash };
/// "drop" or "hash".
const char* PiiModeName(PiiMode mode);
/// Parses "drop" / "hash"; the error names both.
Result<PiiMode> ParsePiiMode(std::string_view text);

struct PiiColumn {
  std::string name;
  PiiMode mode = PiiMode::kDrop;
  /// Where it is declared ("hone.yaml:7:3"), for errors; empty when read from a bundle.
  std::string where;

  bool operator==(const PiiColumn& o) const { return name == o.name && mode == o.mode; }
};

/// The columns to transform, in the order declared. Empty: nothing to do.
struct PiiPolicy {
  std::vector<PiiColumn> columns;

  bool empty() const { return columns.empty(); }
  bool HasHash() const;
  const PiiColumn* Find(std::string_view name) const;
  /// {"email": "drop", "customer_id": "hash"}.
  nlohmann::json ToJson() const;
  /// The inverse of ToJson; the error names the bad entry.
  static Result<PiiPolicy> FromJson(const nlohmann::json& json);

  bool operator==(const PiiPolicy&) const = default;
};

/// The secret of `hash` columns. Keeps only the HMAC states derived from it, in memory; nothing
/// prints them. Cheap to copy; thread-safe.
class PiiKey {
 public:
  /// Fails when `secret` is shorter than kPiiMinKeyBytes (the message says so, never the key).
  static Result<PiiKey> Create(std::string secret, std::string_view source);

  /// "h:" + 16 hex digits of HMAC-SHA256(key, text).
  std::string Hash(std::string_view text) const;
  /// The value a bundle records to recognise this key: Hash of a fixed text.
  std::string Check() const;
  /// Where the key came from ("HONE_PII_KEY", "the file /run/secrets/pii"), for messages.
  const std::string& source() const { return source_; }

 private:
  PiiKey(std::shared_ptr<const HmacSha256> hmac, std::string source)
      : hmac_(std::move(hmac)), source_(std::move(source)) {}
  std::shared_ptr<const HmacSha256> hmac_;
  std::string source_;
};

/// The key, from HONE_PII_KEY, else the file HONE_PII_KEY_FILE names, else `spec_file` (hone.yaml's
/// pii_key_file, already resolved), else nullopt. One trailing newline of a file is not part of
/// the key. Both environment variables set is an error (which one is meant is unclear).
Result<std::optional<PiiKey>> LoadPiiKey(const std::optional<std::filesystem::path>& spec_file);

/// The error for a `hash` column without a key: names the column and the ways to give one.
Error MissingPiiKey(std::string_view column, std::string_view where);

/// `table` with the policy's `drop` columns removed and its `hash` columns replaced by
/// categorical columns of hashed values (a numeric column is hashed by its cells' text). Fails
/// when a column is absent (naming it, where it is declared and the table's columns), or when
/// a `hash` column is given and `key` is null.
Result<Table> ApplyPii(const Table& table, const PiiPolicy& policy, const PiiKey* key);

}  // namespace hone::core

#endif  // HONE_CORE_PII_H_
