// SHA-256 digests: the identity of data files, tables and model bundles.
#ifndef HONE_CORE_DIGEST_H_
#define HONE_CORE_DIGEST_H_

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "hone/core/error.h"

namespace hone::core {

class Table;

using Digest = std::array<uint8_t, 32>;

/// Incremental SHA-256 (OpenSSL EVP). Not thread-safe; one instance per stream.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::span<const uint8_t> bytes);
  void Update(std::string_view bytes);
  /// The digest of the bytes so far; the stream goes on.
  Digest Peek() const;
  /// Ends the stream; the object must not be updated afterwards.
  Digest Finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// HMAC-SHA256 (RFC 2104) under one key, for many messages: the key's padded blocks are
/// hashed once, each message starts from copies of those states. Immutable; Of is thread-safe.
/// The key is not kept, only the two hash states derived from it.
class HmacSha256 {
 public:
  explicit HmacSha256(std::string_view key);
  ~HmacSha256();
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;

  Digest Of(std::string_view message) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Lower-case hexadecimal, 64 characters.
std::string ToHex(const Digest& digest);
Digest Sha256Of(std::string_view bytes);
std::string Sha256Hex(std::string_view bytes);

/// Digest of a file's bytes, streamed.
Result<Digest> FileDigest(const std::filesystem::path& path);

/// Digest of a table's content: column names, types, and cell values in row order. Two tables
/// with the same cells have the same digest however they were read (CSV quoting, CRLF, BOM,
/// column dictionary order all do not matter).
Digest TableDigest(const Table& table);

}  // namespace hone::core

#endif  // HONE_CORE_DIGEST_H_
