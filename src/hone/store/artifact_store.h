// Content-addressed blobs in a folder: model bundles, data snapshots and run artifacts, each
// stored once under the SHA-256 of its bytes and checked against it whenever it is read.
#ifndef HONE_STORE_ARTIFACT_STORE_H_
#define HONE_STORE_ARTIFACT_STORE_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "hone/core/error.h"
#include "hone/core/file.h"

namespace hone::store {

/// Whether `text` is a digest as the store names blobs: 64 lower-case hexadecimal characters.
bool IsDigest(std::string_view text);

/// Where blobs live when the folder is a local cache of another's (a hone server's): what
/// ArtifactStore::WithRemote consults. Implementations are thread-safe.
class BlobRemote {
 public:
  virtual ~BlobRemote() = default;
  virtual Result<bool> Has(std::string_view digest) const = 0;
  /// The blob's bytes (the caller checks them against `digest`); kNotFound when it has none.
  virtual Result<std::string> Download(std::string_view digest) const = 0;
  virtual Result<void> Upload(std::string_view digest, std::string_view bytes) const = 0;
};

/// Blobs under `root`, each a read-only file named by the lower-case hex SHA-256 of its bytes
/// in two levels of folders (`ab/cd/abcd…`), as git and DVC lay out theirs. A blob is written
/// to a temporary file, fsynced and renamed into place, so a reader sees all of it or nothing;
/// several processes (or machines sharing the folder) may put the same blob at once. Cheap to
/// copy; safe to use from many threads.
class ArtifactStore {
 public:
  /// The store in folder `root`, created if missing. A `root` that exists but is not a folder
  /// is kInvalidArgument.
  static Result<ArtifactStore> Open(const std::filesystem::path& root);

  const std::filesystem::path& root() const { return root_; }
  /// Where the blob with `digest` lives (whether or not it is there).
  std::filesystem::path PathOf(std::string_view digest) const;

  /// The same folder as a cache of `remote`: Put also uploads a blob the remote lacks, Get and
  /// Contains fall back to the remote and keep what they fetch. List, Verify and RemoveExcept
  /// stay local.
  ArtifactStore WithRemote(std::shared_ptr<const BlobRemote> remote) const;

  /// Stores `bytes`; returns their digest. A blob already present and intact is not written
  /// again; a damaged one is replaced.
  Result<std::string> Put(std::string_view bytes) const;
  /// Stores the bytes of the file at `path`.
  Result<std::string> PutFile(const std::filesystem::path& path) const;

  /// The blob's bytes, verified: a digest that is not one is kInvalidArgument, a missing blob
  /// kNotFound, and bytes that no longer hash to their name kCorrupt, naming the blob's file.
  Result<core::FileBytes> Get(std::string_view digest) const;
  bool Contains(std::string_view digest) const;

  /// Every blob's digest, in ascending order. Files that are not blobs (temporary files of an
  /// interrupted write) are not listed.
  Result<std::vector<std::string>> List() const;
  /// The digests of blobs whose bytes no longer match their name.
  Result<std::vector<std::string>> Verify() const;

  /// Records that the store `store_id` keeps blobs here (in the folder's `stores` file), once.
  /// Appends are atomic, so concurrent writers never lose each other's line.
  Result<void> Claim(std::string_view store_id) const;
  /// The stores that have put blobs here, as Claim recorded them.
  Result<std::set<std::string, std::less<>>> Claimants() const;

  struct Removed {
    size_t blobs = 0;
    size_t temp_files = 0;  // left by writes that were interrupted
    uint64_t bytes = 0;
  };
  /// Removes every blob whose digest is not in `keep`, and the temporary files of interrupted
  /// writes (the garbage collection of `hone gc`). Files written less than `grace` ago are
  /// spared: a registration puts its blob before it commits the version that refers to it, and
  /// Put refreshes the time of a blob that was already there.
  Result<Removed> RemoveExcept(const std::set<std::string, std::less<>>& keep,
                               std::chrono::seconds grace = std::chrono::seconds(0)) const;

 private:
  explicit ArtifactStore(std::filesystem::path root) : root_(std::move(root)) {}
  Result<std::string> PutLocal(std::string_view bytes) const;
  Result<core::FileBytes> GetLocal(std::string_view digest) const;

  std::filesystem::path root_;
  std::shared_ptr<const BlobRemote> remote_;
};

}  // namespace hone::store

#endif  // HONE_STORE_ARTIFACT_STORE_H_
