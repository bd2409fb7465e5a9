// For tests that touch the file system: a fresh folder per test, removed afterwards.
// Test-only (GoogleTest); include it from *_test.cc files.
#ifndef HONE_CORE_TEST_TEMP_DIR_H_
#define HONE_CORE_TEST_TEMP_DIR_H_

#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

namespace hone::core::testing {

/// A fixture whose `dir_` is an empty folder of its own, named by process, suite and test so
/// that tests running in parallel never share one.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() / ("hone_" + std::to_string(::getpid()) + "_" +
                                                     info->test_suite_name() + "_" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
};

}  // namespace hone::core::testing

#endif  // HONE_CORE_TEST_TEMP_DIR_H_
