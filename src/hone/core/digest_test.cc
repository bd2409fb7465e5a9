#include "hone/core/digest.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "hone/core/table.h"

namespace hone::core {
namespace {

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, IncrementalEqualsOneShot) {
  Sha256 h;
  h.Update("a");
  h.Update("bc");
  EXPECT_EQ(ToHex(h.Finish()), Sha256Hex("abc"));
}

TEST(Sha256Test, PeekGivesTheDigestSoFarAndTheStreamGoesOn) {
  Sha256 h;
  h.Update("ab");
  EXPECT_EQ(ToHex(h.Peek()), Sha256Hex("ab"));
  EXPECT_EQ(ToHex(h.Peek()), Sha256Hex("ab"));
  h.Update("c");
  EXPECT_EQ(ToHex(h.Finish()), Sha256Hex("abc"));
}

TEST(Sha256Test, FileDigestMatchesBytes) {
  auto path = std::filesystem::temp_directory_path() / "hone_digest_test.txt";
  std::ofstream(path) << "abc";
  auto d = FileDigest(path);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(ToHex(*d), Sha256Hex("abc"));
  std::filesystem::remove(path);
  auto missing = FileDigest(path);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
}

Table MakeTable(std::vector<std::string> dictionary, std::vector<int32_t> codes) {
  std::vector<Column> cols;
  cols.push_back(Column::Numeric("x", {1.0f, NAN, -2.5f}));
  cols.push_back(Column::Categorical("c", std::move(codes), std::move(dictionary)));
  return *Table::Create(std::move(cols));
}

TEST(TableDigestTest, IndependentOfDictionaryOrder) {
  Table a = MakeTable({"red", "blue"}, {0, 1, kMissingCode});
  Table b = MakeTable({"blue", "red"}, {1, 0, kMissingCode});
  EXPECT_EQ(TableDigest(a), TableDigest(b));
}

TEST(TableDigestTest, ChangesWithAnyCell) {
  Table a = MakeTable({"red", "blue"}, {0, 1, kMissingCode});
  Table b = MakeTable({"red", "blue"}, {0, 1, 1});
  Table c = MakeTable({"red", "blue"}, {0, 0, kMissingCode});
  EXPECT_NE(TableDigest(a), TableDigest(b));
  EXPECT_NE(TableDigest(a), TableDigest(c));
}

TEST(TableDigestTest, NamesAreFramed) {
  auto t1 = *Table::Create({Column::Categorical("c", {0}, {"ab"})});
  auto t2 = *Table::Create({Column::Categorical("ca", {0}, {"b"})});
  EXPECT_NE(TableDigest(t1), TableDigest(t2));
}

}  // namespace
}  // namespace hone::core
