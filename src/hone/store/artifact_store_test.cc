#include "hone/store/artifact_store.h"

#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hone/core/digest.h"
#include "hone/core/test_temp_dir.h"

namespace hone::store {
namespace {

namespace fs = std::filesystem;

class ArtifactStoreTest : public core::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    root_ = dir_ / "artifacts";  // not there yet: Open creates it
  }
  ArtifactStore Open() {
    auto s = ArtifactStore::Open(root_);
    EXPECT_TRUE(s) << s.error().message();
    return *s;
  }
  fs::path root_;
};

TEST(IsDigestTest, OnlyLowerCaseHexOf64) {
  EXPECT_TRUE(IsDigest(std::string(64, 'a')));
  EXPECT_TRUE(IsDigest(core::Sha256Hex("x")));
  EXPECT_FALSE(IsDigest(std::string(63, 'a')));
  EXPECT_FALSE(IsDigest(std::string(64, 'A')));
  EXPECT_FALSE(IsDigest(std::string(62, 'a') + "/."));
  EXPECT_FALSE(IsDigest(""));
}

TEST_F(ArtifactStoreTest, PutThenGetByDigestInTwoLevelsOfFolders) {
  ArtifactStore s = Open();
  auto d = s.Put("hello");
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(*d, core::Sha256Hex("hello"));
  EXPECT_EQ(s.PathOf(*d), root_ / d->substr(0, 2) / d->substr(2, 2) / *d);
  EXPECT_TRUE(fs::is_regular_file(s.PathOf(*d)));
  EXPECT_TRUE(s.Contains(*d));
  auto bytes = s.Get(*d);
  ASSERT_TRUE(bytes) << bytes.error().message();
  EXPECT_EQ(bytes->view(), "hello");
  // The same bytes again: same digest, one blob.
  EXPECT_EQ(*s.Put("hello"), *d);
  EXPECT_EQ(s.List()->size(), 1u);
  // Empty bytes are a blob like any other.
  auto empty = s.Put("");
  ASSERT_TRUE(empty);
  EXPECT_EQ(s.Get(*empty)->view(), "");
}

TEST_F(ArtifactStoreTest, LargeBlobFromAFile) {
  ArtifactStore s = Open();
  fs::create_directories(root_);
  fs::path file = root_ / "input.bin";
  std::string big(3 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 2654435761u >> 13);
  std::ofstream(file, std::ios::binary) << big;
  auto d = s.PutFile(file);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(*d, core::Sha256Hex(big));
  EXPECT_EQ(s.Get(*d)->view(), big);
  EXPECT_FALSE(s.PutFile(root_ / "missing.bin"));
}

TEST_F(ArtifactStoreTest, AlteredBlobIsCorruptAndNamed) {
  ArtifactStore s = Open();
  std::string d = *s.Put("the model");
  fs::permissions(s.PathOf(d), fs::perms::owner_write, fs::perm_options::add);
  std::ofstream(s.PathOf(d), std::ios::binary) << "the modem";
  auto r = s.Get(d);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kCorrupt);
  EXPECT_NE(r.error().message().find(s.PathOf(d).string()), std::string::npos)
      << r.error().message();
  EXPECT_EQ(*s.Verify(), std::vector<std::string>{d});
  // Putting the true bytes again repairs it.
  EXPECT_EQ(*s.Put("the model"), d);
  EXPECT_TRUE(s.Get(d));
  EXPECT_TRUE(s.Verify()->empty());
}

TEST_F(ArtifactStoreTest, BadDigestsAndMissingBlobs) {
  ArtifactStore s = Open();
  auto bad = s.Get("../../etc/passwd");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(s.Contains("../../etc/passwd"));
  auto missing = s.Get(core::Sha256Hex("never stored"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message().find(root_.string()), std::string::npos);
}

TEST_F(ArtifactStoreTest, RootThatIsAFileIsRefused) {
  fs::create_directories(root_);
  std::ofstream(root_ / "file") << "x";
  auto s = ArtifactStore::Open(root_ / "file");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kInvalidArgument);
}

TEST_F(ArtifactStoreTest, ListSkipsTemporaryAndStrayFiles) {
  ArtifactStore s = Open();
  std::string a = *s.Put("a"), b = *s.Put("b");
  // What an interrupted write leaves, and files that are not blobs.
  fs::path folder = s.PathOf(a).parent_path();
  std::ofstream(folder / ("." + a + ".tmp.Xy12Zq")) << "partial";
  std::ofstream(root_ / "README") << "x";
  std::ofstream(folder / core::Sha256Hex("misplaced")) << "misplaced";
  std::vector<std::string> expected = {a, b};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(*s.List(), expected);
}

TEST_F(ArtifactStoreTest, RemoveExceptKeepsWhatIsReferenced) {
  ArtifactStore s = Open();
  std::string keep = *s.Put("kept"), drop1 = *s.Put("dropped"), drop2 = *s.Put("also dropped");
  auto removed = s.RemoveExcept({keep});
  ASSERT_TRUE(removed) << removed.error().message();
  EXPECT_EQ(removed->blobs, 2u);
  EXPECT_EQ(removed->bytes, std::string("dropped").size() + std::string("also dropped").size());
  EXPECT_EQ(*s.List(), std::vector<std::string>{keep});
  EXPECT_TRUE(s.Get(keep));
  EXPECT_FALSE(s.Contains(drop1));
}

TEST_F(ArtifactStoreTest, RemoveExceptSparesRecentWritesAndClearsStaleTempFiles) {
  ArtifactStore s = Open();
  std::string young = *s.Put("young"), old = *s.Put("old");
  fs::path temp = s.PathOf(old).parent_path() / ("." + old + ".tmp.a1b2c3");
  { std::ofstream(temp) << "half a blob"; }
  const auto long_ago = fs::file_time_type::clock::now() - std::chrono::hours(3);
  fs::permissions(s.PathOf(old), fs::perms::owner_write, fs::perm_options::add);
  fs::last_write_time(s.PathOf(old), long_ago);
  fs::last_write_time(temp, long_ago);
  auto removed = s.RemoveExcept({}, std::chrono::hours(1));
  ASSERT_TRUE(removed) << removed.error().message();
  EXPECT_EQ(removed->blobs, 1u);
  EXPECT_EQ(removed->temp_files, 1u);
  EXPECT_EQ(*s.List(), std::vector<std::string>{young});
  EXPECT_FALSE(fs::exists(temp));

  // Putting a blob that is already there makes it young again.
  ASSERT_TRUE(s.Put("old"));
  fs::last_write_time(s.PathOf(young), long_ago);
  ASSERT_TRUE(s.Put("young"));
  removed = s.RemoveExcept({}, std::chrono::hours(1));
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->blobs, 0u);
  EXPECT_EQ(s.List()->size(), 2u);
}

// Writers in several processes putting the same and different blobs at once: every blob ends
// whole, none is lost, and no temporary file is left behind.
TEST_F(ArtifactStoreTest, ConcurrentWritersInProcessesAndThreads) {
  ArtifactStore s = Open();
  auto blob = [](int i) { return std::string(100000 + i * 7, static_cast<char>('a' + i % 26)); };
  std::vector<pid_t> children;
  for (int p = 0; p < 4; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      bool ok = true;
      std::vector<std::thread> threads;
      for (int t = 0; t < 2; ++t) {
        threads.emplace_back([&, t] {
          for (int i = 0; i < 20; ++i) ok &= static_cast<bool>(s.Put(blob((i + t + p) % 30)));
        });
      }
      for (auto& th : threads) th.join();
      ::_exit(ok ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto all = s.List();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 24u);  // (i + t + p) % 30 for i < 20, t < 2, p < 4 covers 0..23
  EXPECT_TRUE(s.Verify()->empty());
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(root_)) files += e.is_regular_file();
  EXPECT_EQ(files, 24u);
}

}  // namespace
}  // namespace hone::store
