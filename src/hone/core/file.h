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

/// Writes `bytes` so that `path` holds either its old content or all of `bytes`, never a part:
/// a temporary file in the same folder, fsync, rename over `path`, fsync of the folder.
Result<void> WriteFileAtomic(const std::filesystem::path& path, std::string_view bytes);

}  // namespace hone::core

#endif  // HONE_CORE_FILE_H_
