#include "hone/core/file.h"

#include <filesystem>

#include <gtest/gtest.h>

namespace hone::core {
namespace {

namespace fs = std::filesystem;

class FileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("hone_file_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

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

TEST_F(FileTest, WriteIntoMissingFolderFailsCleanly) {
  auto r = WriteFileAtomic(dir_ / "no" / "such" / "f.txt", "x");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kIo);
}

}  // namespace
}  // namespace hone::core
