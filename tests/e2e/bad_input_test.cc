// Bad input through the real binary: one clear error naming the file, line and column, exit
// code 2, and nothing left behind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hone_runner.h"

namespace hone::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

struct Case {
  const char* name;
  const char* csv;
  std::vector<std::string> extra;
  std::vector<const char*> expected;  // substrings of the error
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class BadInputTest : public ::testing::TestWithParam<Case> {};

TEST_P(BadInputTest, FailsCleanly) {
  const Case& c = GetParam();
  Workspace ws;
  ws.Write("data.csv", c.csv);
  std::vector<std::string> args = {"train", "--data", "data.csv",  "--target",
                                   "price", "--out",  "model.hone"};
  args.insert(args.end(), c.extra.begin(), c.extra.end());
  RunResult r = ws.Hone(args);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  for (const char* text : c.expected) EXPECT_THAT(r.err, HasSubstr(text));
  EXPECT_THAT(ws.Files(), UnorderedElementsAre("data.csv")) << "no partial output";
  // With --json the same error arrives as an object on stdout.
  args.push_back("--json");
  RunResult j = ws.Hone(args);
  EXPECT_EQ(j.exit_code, 2);
  auto parsed = nlohmann::json::parse(j.out, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << j.out;
  EXPECT_TRUE(parsed["error"]["message"].is_string());
}

INSTANTIATE_TEST_SUITE_P(
    Train, BadInputTest,
    ::testing::Values(
        Case{"ragged_row",
             "size,price\n1,2\n3,4,5\n6,7\n",
             {},
             {"data.csv:3", "3 fields", "expected 2"}},
        Case{"unterminated_quote",
             "size,city,price\n1,\"paris,2\n3,rome,4\n",
             {},
             {"data.csv:2", "column 'city'", "never closed"}},
        Case{"missing_target",
             "size,cost\n1,2\n3,4\n",
             {},
             {"target column 'price' is not in the data", "size, cost"}},
        Case{"text_target_for_regression",
             "size,price\n1,2\n3,cheap\n5,6\n",
             {"--task", "regression"},
             {"data.csv:3", "'price'", "'cheap' is not a number"}},
        Case{"empty_file", "", {}, {"data.csv", "empty"}},
        Case{"header_only", "size,price\n", {}, {"data.csv:1", "not followed by any data rows"}},
        Case{"target_all_missing",
             "size,price\n1,\n2,NA\n3,null\n",
             {},
             {"'price'", "all 3 rows are missing"}},
        Case{"unknown_parameter",
             "size,price\n1,2\n3,4\n",
             {"--param", "depth=3"},
             {"unknown parameter 'depth'", "max_depth"}},
        Case{"out_of_range_parameter",
             "size,price\n1,2\n3,4\n",
             {"--param", "n_estimators=0"},
             {"n_estimators", "outside [1, 100000]"}},
        Case{
            "unknown_model", "size,price\n1,2\n3,4\n", {"--model", "svm"}, {"unknown model 'svm'"}},
        Case{"bad_split",
             "size,price\n1,2\n3,4\n",
             {"--split", "time:when"},
             {"time column 'when'"}}),
    [](const auto& test) { return std::string(test.param.name); });

TEST(BadInputTest, MissingFileAndFlags) {
  Workspace ws;
  RunResult r = ws.Hone({"train", "--data", "nope.csv", "--target", "y", "--out", "m.hone"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("nope.csv"));
  RunResult no_target = ws.Hone({"train", "--data", "nope.csv", "--out", "m.hone"});
  EXPECT_EQ(no_target.exit_code, 2);
  EXPECT_THAT(no_target.err, HasSubstr("--target is required"));
  RunResult bad_flag = ws.Hone({"train", "--frobnicate"});
  EXPECT_EQ(bad_flag.exit_code, 2);
  RunResult no_command = ws.Hone({});
  EXPECT_EQ(no_command.exit_code, 2);
}

TEST(BadInputTest, AlteredBundleIsRejected) {
  Workspace ws;
  ws.Write("houses.csv", HousesCsv(200, 1));
  ASSERT_EQ(ws.Hone({"train", "--data", "houses.csv", "--target", "price", "--out", "m.hone",
                     "--param", "n_estimators=5"})
                .exit_code,
            0);
  std::string bytes = ws.Read("m.hone");
  bytes[bytes.size() / 2] ^= 0x20;
  ws.Write("m.hone", bytes);
  RunResult r = ws.Hone({"eval", "--model", "m.hone", "--data", "houses.csv"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("bundle 'm.hone' is corrupt or was altered"));
  ws.Write("notes.txt", "hello");
  RunResult not_bundle = ws.Hone({"predict", "--model", "notes.txt", "--data", "houses.csv"});
  EXPECT_EQ(not_bundle.exit_code, 2);
  EXPECT_THAT(not_bundle.err, HasSubstr("not a hone model bundle"));
}

TEST(BadInputTest, ScoringDataMustFitTheModel) {
  Workspace ws;
  ws.Write("houses.csv", HousesCsv(200, 2));
  ASSERT_EQ(ws.Hone({"train", "--data", "houses.csv", "--target", "price", "--out", "m.hone",
                     "--param", "n_estimators=5"})
                .exit_code,
            0);
  ws.Write("no_size.csv", "rooms,district,built\n3,north,1990\n");
  RunResult missing =
      ws.Hone({"predict", "--model", "m.hone", "--data", "no_size.csv", "--out", "p.csv"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("'size'"));
  EXPECT_FALSE(ws.Exists("p.csv"));
  ws.Write("text_size.csv", "size,rooms,district,built\n100,3,north,1990\nbig,2,south,1980\n");
  RunResult text = ws.Hone({"predict", "--model", "m.hone", "--data", "text_size.csv"});
  EXPECT_EQ(text.exit_code, 2);
  EXPECT_THAT(text.err, HasSubstr("text_size.csv:3"));
  EXPECT_THAT(text.err, HasSubstr("'big' is not a number"));
  ws.Write("no_price.csv", "size,rooms,district,built\n100,3,north,1990\n");
  RunResult no_target = ws.Hone({"eval", "--model", "m.hone", "--data", "no_price.csv"});
  EXPECT_EQ(no_target.exit_code, 2);
  EXPECT_THAT(no_target.err, HasSubstr("'price'"));
}

}  // namespace
}  // namespace hone::e2e
