// Whole-file reads and crash-safe writes.
#ifndef HONE_CORE_FILE_H_
#define HONE_CORE_FILE_H_

#include <filesystem>
#include <string>
#include <string_view>

#include "hone/core/error.h"

namespace hone::core {

/// The whole file as bytes. A missing file is kNotFound; a read failure kIo.
Result<std::string> ReadFile(const std::filesystem::path& path);

/// A whole file's bytes in memory of their own. Large files go to anonymous memory on
/// transparent huge pages where the kernel offers them, which spares a std::string's zero fill
/// and most page faults: a 150 MB file reads in about a quarter of the time.
class FileBytes {
 public:
  FileBytes() = default;
  FileBytes(FileBytes&& other) noexcept;
  FileBytes& operator=(FileBytes&& other) noexcept;
  FileBytes(const FileBytes&) = delete;
  FileBytes& operator=(const FileBytes&) = delete;
  ~FileBytes();

  std::string_view view() const { return map_ ? std::string_view(data_, size_) : small_; }

 private:
  friend Result<FileBytes> ReadFileBytes(const std::filesystem::path& path);
  void Unmap();

  void* map_ = nullptr;  // the anonymous mapping, when there is one
  size_t map_size_ = 0;
  char* data_ = nullptr;  // inside map_
  size_t size_ = 0;
  std::string small_;  // small files, and files that are not regular
};

/// ReadFile into a FileBytes, with the same errors.
Result<FileBytes> ReadFileBytes(const std::filesystem::path& path);

/// Writes `bytes` so that `path` holds either its old content or all of `bytes`, never a part:
/// a temporary file in the same folder, fsync, rename over `path`, fsync of the folder.
Result<void> WriteFileAtomic(const std::filesystem::path& path, std::string_view bytes);

}  // namespace hone::core

#endif  // HONE_CORE_FILE_H_
