#include "hone/core/file.h"

#include <cstdio>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "hone/core/test_temp_dir.h"

namespace hone::core {
namespace {

namespace fs = std::filesystem;

using FileTest = testing::TempDirTest;

TEST_F(FileTest, WriteThenReadRoundTrips) {
  std::string bytes("a\0b\nc", 5);
  ASSERT_TRUE(WriteFileAtomic(dir_ / "f.bin", bytes).has_value());
  auto back = ReadFile(dir_ / "f.bin");
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, bytes);
}

TEST_F(FileTest, OverwriteReplacesWholeContentAndLeavesNoTemporaries) {
  ASSERT_TRUE(WriteFileAtomic(dir_ / "f.txt", "a much longer first version").has_value());
  ASSERT_TRUE(WriteFileAtomic(dir_ / "f.txt", "short").has_value());
  EXPECT_EQ(*ReadFile(dir_ / "f.txt"), "short");
  size_t entries = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST_F(FileTest, MissingFileIsNotFound) {
  auto r = ReadFile(dir_ / "nope.csv");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(r.error().message().find("nope.csv"), std::string::npos);
}

TEST_F(FileTest, DirectoryIsRejected) {
  auto r = ReadFile(dir_);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("directory"), std::string::npos);
}

TEST_F(FileTest, ReadFileBytesHoldsSmallAndLargeFilesWhole) {
  // Below and above the size from which the bytes go to their own mapping, and one byte past
  // a huge page so the mapping's rounding shows.
  for (size_t size : {size_t{0}, size_t{1}, size_t{1} << 20, (size_t{2} << 20) + 1}) {
    std::string bytes(size, '\0');
    for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 131) % 251);
    ASSERT_TRUE(WriteFileAtomic(dir_ / "f.bin", bytes).has_value());
    auto back = ReadFileBytes(dir_ / "f.bin");
    ASSERT_TRUE(back.has_value()) << size;
    EXPECT_TRUE(back->view() == bytes) << size;
    // Moving keeps the bytes; the moved-from object is empty.
    FileBytes moved = std::move(*back);
    EXPECT_TRUE(moved.view() == bytes) << size;
    FileBytes assigned;
    assigned = std::move(moved);
    EXPECT_TRUE(assigned.view() == bytes) << size;
    EXPECT_TRUE(moved.view().empty()) << size;  // NOLINT(bugprone-use-after-move)
  }
}

TEST_F(FileTest, ReadFileBytesReadsAPipeToItsEnd) {
  fs::path fifo = dir_ / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string bytes(300'000, 'x');
  std::thread writer([&] {
    std::FILE* f = std::fopen(fifo.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  });
  auto back = ReadFileBytes(fifo);
  writer.join();
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->view().size(), bytes.size());
}

TEST_F(FileTest, ReadFileBytesErrorsAsReadFile) {
  auto missing = ReadFileBytes(dir_ / "nope.csv");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message().find("nope.csv"), std::string::npos);
  auto dir = ReadFileBytes(dir_);
  ASSERT_FALSE(dir.has_value());
  EXPECT_NE(dir.error().message().find("directory"), std::string::npos);
}

TEST_F(FileTest, WriteIntoMissingFolderFailsCleanly) {
  auto r = WriteFileAtomic(dir_ / "no" / "such" / "f.txt", "x");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kIo);
}

}  // namespace
}  // namespace hone::core
