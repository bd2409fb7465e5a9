#include "hone/store/artifact_store.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hone/core/digest.h"

namespace hone::store {
namespace fs = std::filesystem;

namespace {

Result<void> CheckDigest(std::string_view digest) {
  if (IsDigest(digest)) return {};
  return Fail(ErrorCode::kInvalidArgument,
              "'" + std::string(digest) +
                  "' is not an artifact digest (64 lower-case hexadecimal characters)");
}

}  // namespace

bool IsDigest(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Result<ArtifactStore> ArtifactStore::Open(const fs::path& root) {
  std::error_code ec;
  if (fs::exists(root, ec) && !fs::is_directory(root, ec)) {
    return Fail(ErrorCode::kInvalidArgument,
                "artifact store '" + root.string() + "' is not a folder");
  }
  fs::create_directories(root, ec);
  if (ec) {
    return Fail(ErrorCode::kIo,
                "cannot create artifact store '" + root.string() + "': " + ec.message());
  }
  return ArtifactStore(root);
}

fs::path ArtifactStore::PathOf(std::string_view digest) const {
  std::string d(digest);
  return root_ / d.substr(0, 2) / d.substr(2, 2) / d;
}

ArtifactStore ArtifactStore::WithRemote(std::shared_ptr<const BlobRemote> remote) const {
  ArtifactStore copy = *this;
  copy.remote_ = std::move(remote);
  return copy;
}

Result<std::string> ArtifactStore::Put(std::string_view bytes) const {
  HONE_ASSIGN_OR_RETURN(std::string digest, PutLocal(bytes));
  if (remote_) {
    HONE_ASSIGN_OR_RETURN(bool there, remote_->Has(digest));
    if (!there) HONE_TRY(remote_->Upload(digest, bytes));
  }
  return digest;
}

Result<core::FileBytes> ArtifactStore::Get(std::string_view digest) const {
  auto local = GetLocal(digest);
  if (local || !remote_ || local.error().code() != ErrorCode::kNotFound) return local;
  HONE_ASSIGN_OR_RETURN(std::string bytes, remote_->Download(digest));
  if (core::Sha256Hex(bytes) != digest) {
    return Fail(ErrorCode::kCorrupt, "artifact " + std::string(digest) +
                                         " came from the server with bytes that do not hash to "
                                         "its name");
  }
  HONE_TRY(PutLocal(bytes));
  return GetLocal(digest);
}

Result<std::string> ArtifactStore::PutLocal(std::string_view bytes) const {
  std::string digest = core::Sha256Hex(bytes);
  fs::path path = PathOf(digest);
  std::error_code ec;
  // A blob already there and intact is left alone; a damaged one is written again.
  if (fs::file_size(path, ec) == bytes.size() && !ec && GetLocal(digest)) {
    // Fresh again: a collector spares blobs younger than its grace period, so one that is
    // about to be referenced (the register in flight that put it) is not removed under it.
    ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);
    return digest;
  }
  fs::create_directories(path.parent_path(), ec);
  if (ec) {
    return Fail(ErrorCode::kIo,
                "cannot create '" + path.parent_path().string() + "': " + ec.message());
  }
  HONE_TRY(core::WriteFileAtomic(path, bytes));
  ::chmod(path.c_str(), 0444);  // blobs are immutable; a failure here loses nothing
  return digest;
}

Result<std::string> ArtifactStore::PutFile(const fs::path& path) const {
  HONE_ASSIGN_OR_RETURN(core::FileBytes bytes, core::ReadFileBytes(path));
  return Put(bytes.view());
}

Result<core::FileBytes> ArtifactStore::GetLocal(std::string_view digest) const {
  HONE_TRY(CheckDigest(digest));
  fs::path path = PathOf(digest);
  auto bytes = core::ReadFileBytes(path);
  if (!bytes) {
    if (bytes.error().code() == ErrorCode::kNotFound) {
      return Fail(ErrorCode::kNotFound,
                  "artifact " + std::string(digest) + " is not in store '" + root_.string() + "'");
    }
    return Fail(bytes.error());
  }
  std::string actual = core::Sha256Hex(bytes->view());
  if (actual != digest) {
    return Fail(ErrorCode::kCorrupt, "artifact '" + path.string() +
                                         "' is corrupt or was altered: its bytes hash to " +
                                         actual.substr(0, 16) + "…, not to its name");
  }
  return std::move(*bytes);
}

bool ArtifactStore::Contains(std::string_view digest) const {
  std::error_code ec;
  if (!IsDigest(digest)) return false;
  if (fs::is_regular_file(PathOf(digest), ec)) return true;
  return remote_ && remote_->Has(digest).value_or(false);
}

Result<std::vector<std::string>> ArtifactStore::List() const {
  std::vector<std::string> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(root_, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (it.depth() != 2 || !it->is_regular_file(ec)) continue;
    std::string name = it->path().filename().string();
    if (IsDigest(name) && PathOf(name) == it->path()) out.push_back(std::move(name));
  }
  if (ec) {
    return Fail(ErrorCode::kIo,
                "cannot list artifact store '" + root_.string() + "': " + ec.message());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<std::string>> ArtifactStore::Verify() const {
  HONE_ASSIGN_OR_RETURN(std::vector<std::string> all, List());
  std::vector<std::string> bad;
  for (const std::string& digest : all) {
    auto bytes = GetLocal(digest);
    if (!bytes) {
      if (bytes.error().code() != ErrorCode::kCorrupt) return Fail(bytes.error());
      bad.push_back(digest);
    }
  }
  return bad;
}

Result<std::set<std::string, std::less<>>> ArtifactStore::Claimants() const {
  std::set<std::string, std::less<>> ids;
  const fs::path path = root_ / "stores";
  std::error_code ec;
  if (!fs::exists(path, ec)) return ids;
  HONE_ASSIGN_OR_RETURN(std::string text, core::ReadFile(path));
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) ids.insert(text.substr(start, end - start));
    start = end + 1;
  }
  return ids;
}

Result<void> ArtifactStore::Claim(std::string_view store_id) const {
  HONE_ASSIGN_OR_RETURN(auto ids, Claimants());
  if (ids.contains(store_id)) return {};
  const fs::path path = root_ / "stores";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Fail(ErrorCode::kIo,
                "cannot record the store in '" + path.string() + "': " + std::strerror(errno));
  }
  const std::string line = std::string(store_id) + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!written || !synced) {
    return Fail(ErrorCode::kIo, "cannot record the store in '" + path.string() + "'");
  }
  return {};
}

Result<ArtifactStore::Removed> ArtifactStore::RemoveExcept(
    const std::set<std::string, std::less<>>& keep, std::chrono::seconds grace) const {
  const auto cutoff = fs::file_time_type::clock::now() - grace;
  auto old_enough = [&](const fs::path& path) {
    std::error_code ec;
    auto written = fs::last_write_time(path, ec);
    return !ec && written < cutoff;
  };
  Removed removed;
  std::error_code ec;
  fs::recursive_directory_iterator it(root_, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::error_code file_ec;
    if (it.depth() != 2 || !it->is_regular_file(file_ec)) continue;
    const fs::path& path = it->path();
    const std::string name = path.filename().string();
    const bool blob = IsDigest(name) && PathOf(name) == path;
    // The temporary file of an interrupted write: `.<digest>.tmp.XXXXXX`.
    const bool temp = !blob && name.starts_with(".") && name.find(".tmp.") != std::string::npos;
    if ((!blob && !temp) || (blob && keep.contains(name)) || !old_enough(path)) continue;
    uint64_t size = fs::file_size(path, file_ec);
    if (file_ec) size = 0;
    if (!fs::remove(path, file_ec) || file_ec) {
      if (file_ec) {
        return Fail(ErrorCode::kIo, "cannot remove '" + path.string() + "': " + file_ec.message());
      }
      continue;  // already gone: another collector got there first
    }
    ++(blob ? removed.blobs : removed.temp_files);
    removed.bytes += size;
  }
  if (ec) {
    return Fail(ErrorCode::kIo,
                "cannot list artifact store '" + root_.string() + "': " + ec.message());
  }
  return removed;
}

}  // namespace hone::store
