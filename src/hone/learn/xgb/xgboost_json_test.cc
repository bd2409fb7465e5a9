#include "hone/learn/xgb/xgboost_json.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hone::learn::xgb {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

Json Read(std::string_view text) {
  Result<Json> doc = ReadXgboostJson(text);
  EXPECT_TRUE(doc) << text << ": " << doc.error().message();
  return doc ? *std::move(doc) : Json();
}

std::string Refusal(std::string_view text) {
  Result<Json> doc = ReadXgboostJson(text);
  if (doc) {
    ADD_FAILURE() << text << " was read as " << doc->dump();
    return "";
  }
  EXPECT_EQ(doc.error().code(), ErrorCode::kInvalidData) << text;
  return doc.error().message();
}

TEST(ReadXgboostJsonTest, ReadsObjectsArraysStringsAndWords) {
  Json doc = Read(
      " {\"a\": [1, {\"b\": \"x\"}, []],\n\t\"c\": true, \"d\": false, \"e\": null,"
      " \"f\": {}}\r\n");
  EXPECT_EQ(doc, Json::parse(R"({"a": [1, {"b": "x"}, []], "c": true, "d": false, "e": null,
                                 "f": {}})"));
  EXPECT_EQ(Read("[]"), Json::array());
  EXPECT_EQ(Read("\"alone\""), "alone");
}

TEST(ReadXgboostJsonTest, TypesNumbersAsXgboostDoes) {
  // Whole numbers stay int64, to their limits.
  Json ints = Read("[0, -0, 42, -9223372036854775808, 9223372036854775807]");
  for (const Json& n : ints) EXPECT_TRUE(n.is_number_integer()) << n;
  EXPECT_EQ(ints[2].get<int64_t>(), 42);
  EXPECT_EQ(ints[3].get<int64_t>(), INT64_MIN);
  EXPECT_EQ(ints[4].get<int64_t>(), INT64_MAX);
  // A fraction or an exponent makes a float32, held as a double.
  Json floats = Read("[0.1, 1e2, 2.5E-1, -3.4028235e38, 1e-40]");
  for (const Json& n : floats) EXPECT_TRUE(n.is_number_float()) << n;
  EXPECT_EQ(floats[0].get<double>(), static_cast<double>(0.1f));
  EXPECT_NE(floats[0].get<double>(), 0.1);
  EXPECT_EQ(floats[1].get<double>(), 100.0);
  EXPECT_EQ(floats[2].get<double>(), 0.25);
  EXPECT_EQ(floats[3].get<double>(), -static_cast<double>(std::numeric_limits<float>::max()));
  EXPECT_EQ(floats[4].get<double>(), static_cast<double>(1e-40f));  // subnormal, kept
}

TEST(ReadXgboostJsonTest, ReadsTheBareWordsXgboostWritesForSpecialNumbers) {
  Json doc = Read("[NaN, Infinity, -Infinity]");
  for (const Json& n : doc) EXPECT_TRUE(n.is_number_float()) << n;
  EXPECT_TRUE(std::isnan(doc[0].get<double>()));
  EXPECT_EQ(doc[1].get<double>(), INFINITY);
  EXPECT_EQ(doc[2].get<double>(), -INFINITY);
  // nlohmann's own parser refuses them, which is why hone reads XGBoost's JSON itself.
  EXPECT_TRUE(Json::parse("[NaN]", nullptr, /*allow_exceptions=*/false).is_discarded());
}

TEST(ReadXgboostJsonTest, DecodesEscapesIncludingSurrogatePairsAsUtf8) {
  EXPECT_EQ(Read(R"("a \"q\" \\ \/ \b\f\n\r\t \u0041\u00e9\u20ac\ud83d\ude00")"),
            "a \"q\" \\ / \b\f\n\r\t A\u00e9\u20ac\U0001F600");
  // Bytes that need no escape are kept as they are, UTF-8 or not.
  EXPECT_EQ(Read("\"caf\xc3\xa9 \xff\"").get<std::string>(), "caf\xc3\xa9 \xff");
}

TEST(ReadXgboostJsonTest, RefusesARepeatedKeyNamingItAndWhereItIs) {
  EXPECT_EQ(Refusal(R"({"a": 1, "a": 2})"),
            "not JSON as XGBoost writes it: the key 'a' appears twice in an object (byte 9)");
  // The same key in two objects is no repeat.
  EXPECT_EQ(Read(R"({"a": {"a": 1}, "b": {"a": 2}})")["b"]["a"], 2);
}

TEST(ReadXgboostJsonTest, RefusesNestingDeeperThan64WithoutRecursingIntoIt) {
  auto nested = [](size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_TRUE(ReadXgboostJson(nested(64)));
  EXPECT_EQ(Refusal(nested(65)),
            "not JSON as XGBoost writes it: objects and arrays nest too deeply (byte 64)");
  EXPECT_THAT(Refusal("{\"a\":" + std::string(1'000'000, '[')), HasSubstr("nest too deeply"));
}

TEST(ReadXgboostJsonTest, RefusesNumbersOutsideTheirType) {
  EXPECT_THAT(Refusal("[9223372036854775808]"), HasSubstr("an integer out of range (byte 1)"));
  EXPECT_THAT(Refusal("[1e39]"), HasSubstr("a number out of float32's range (byte 1)"));
  EXPECT_THAT(Refusal("[1e-50]"), HasSubstr("a number out of float32's range (byte 1)"));
  EXPECT_THAT(Refusal("[1.]"), HasSubstr("a number without digits after its '.' (byte 1)"));
  EXPECT_THAT(Refusal("[1e+]"), HasSubstr("a number without digits in its exponent (byte 1)"));
  for (const char* text : {"[.5]", "[+1]", "[-]", "[nan]", "[-NaN]", "[Inf]"}) {
    EXPECT_THAT(Refusal(text), HasSubstr("expected a value (byte 1)")) << text;
  }
}

TEST(ReadXgboostJsonTest, RefusesMalformedStrings) {
  EXPECT_THAT(Refusal("\"open"), HasSubstr("a string is not closed (byte 0)"));
  EXPECT_THAT(Refusal("\"open\\"), HasSubstr("a string is not closed (byte 0)"));
  EXPECT_THAT(Refusal("\"a\nb\""), HasSubstr("a control byte in a string (byte 2)"));
  EXPECT_THAT(Refusal(R"("\x")"), HasSubstr("an unknown escape in a string (byte 2)"));
  EXPECT_THAT(Refusal(R"("\u12g4")"), HasSubstr("a \\u escape without four hex digits (byte 3)"));
  EXPECT_THAT(Refusal(R"("\u12")"), HasSubstr("a \\u escape without four hex digits"));
  EXPECT_THAT(Refusal(R"("\ud83d")"), HasSubstr("a lone UTF-16 surrogate in a string"));
  EXPECT_THAT(Refusal(R"("\ud83d\u0041")"), HasSubstr("a lone UTF-16 surrogate in a string"));
  EXPECT_THAT(Refusal(R"("\ude00")"), HasSubstr("a lone UTF-16 surrogate in a string"));
}

TEST(ReadXgboostJsonTest, RefusesBrokenStructureAndTrailingText) {
  EXPECT_EQ(Refusal(""), "not JSON as XGBoost writes it: the text ends before a value (byte 0)");
  EXPECT_THAT(Refusal("  "), HasSubstr("the text ends before a value (byte 2)"));
  EXPECT_THAT(Refusal("{} x"), HasSubstr("text follows the model (byte 3)"));
  EXPECT_THAT(Refusal("{\"a\" 1}"), HasSubstr("expected ':' after a key (byte 5)"));
  EXPECT_THAT(Refusal("{1: 2}"), HasSubstr("expected an object's key (byte 1)"));
  EXPECT_THAT(Refusal("{\"a\": 1,}"), HasSubstr("expected an object's key (byte 8)"));
  EXPECT_THAT(Refusal("{\"a\": 1 \"b\": 2}"),
              HasSubstr("expected ',' or '}' in an object (byte 8)"));
  EXPECT_THAT(Refusal("[1 2]"), HasSubstr("expected ',' or ']' in an array (byte 3)"));
  EXPECT_THAT(Refusal("[1,"), HasSubstr("the text ends before a value (byte 3)"));
}

}  // namespace
}  // namespace hone::learn::xgb
