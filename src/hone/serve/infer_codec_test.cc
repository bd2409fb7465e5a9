#include "hone/serve/infer_codec.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace hone::serve {
namespace {

using core::ColumnType;
using learn::FeatureInfo;
using learn::FeatureSchema;
using learn::TargetInfo;
using learn::Task;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsNan;
using json = nlohmann::json;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// sqft (numeric), bedrooms (numeric), city (categorical), zip (categorical codes that look
// like numbers).
FeatureSchema Schema() {
  return FeatureSchema({
      FeatureInfo{"sqft", ColumnType::kNumeric, {}},
      FeatureInfo{"bedrooms", ColumnType::kNumeric, {}},
      FeatureInfo{"city", ColumnType::kCategorical, {"austin", "boston", "chicago"}},
      FeatureInfo{"zip", ColumnType::kCategorical, {"02134", "3", "7.5"}},
  });
}

TargetInfo Regression() { return TargetInfo{"price", Task::kRegression, {}}; }

class CodecTest : public ::testing::Test {
 protected:
  Result<DecodedRows> Oip(const std::string& body) {
    return DecodeOipRequest(body, schema_, target_, limits_);
  }
  Result<DecodedRows> Mlflow(const std::string& body, std::string_view type = "application/json") {
    return DecodeMlflowRequest(body, type, schema_, target_, limits_);
  }
  std::string OipError(const std::string& body) {
    auto r = Oip(body);
    EXPECT_FALSE(r.has_value()) << body;
    return r ? "" : r.error().message();
  }
  std::string MlflowError(const std::string& body, std::string_view type = "application/json") {
    auto r = Mlflow(body, type);
    EXPECT_FALSE(r.has_value()) << body;
    return r ? "" : r.error().message();
  }

  FeatureSchema schema_ = Schema();
  TargetInfo target_ = Regression();
  DecodeLimits limits_;
};

// Compares decoded values, NaN equal to NaN.
void ExpectValues(const Result<DecodedRows>& r, size_t rows, const std::vector<float>& want) {
  ASSERT_TRUE(r.has_value()) << r.error().message();
  ASSERT_EQ(r->rows, rows);
  ASSERT_EQ(r->values.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_THAT(r->values[i], IsNan()) << "value " << i;
    } else {
      EXPECT_EQ(r->values[i], want[i]) << "value " << i;
    }
  }
}

TEST_F(CodecTest, OipByNameDecodesEveryValueRule) {
  auto r = Oip(R"({"id": "req-7", "parameters": {"x": 1}, "outputs": [{"name": "predictions"}],
    "inputs": [
      {"name": "sqft", "shape": [3], "datatype": "FP32", "data": [1500.5, null, 2e3]},
      {"name": "city", "shape": [3], "datatype": "BYTES", "data": ["boston", "paris", null]},
      {"name": "zip", "shape": [3, 1], "datatype": "FP64", "data": [[3], [7.5], [2134]]},
      {"name": "price", "shape": [3], "datatype": "FP32", "data": [1, 2, 3]}]})");
  // bedrooms is not sent: missing. zip 3 → "3", 7.5 → "7.5", 2134 → unseen.
  ExpectValues(r, 3, {1500.5f, kNaN, 1, 1, kNaN, kNaN, kNaN, 2, 2000, kNaN, kNaN, kNaN});
  EXPECT_EQ(r->id, "req-7");
}

TEST_F(CodecTest, OipIntegerAndBoolDatatypes) {
  auto r = Oip(R"({"inputs": [
      {"name": "bedrooms", "shape": [2], "datatype": "INT64", "data": [3, -1]},
      {"name": "sqft", "shape": [2], "datatype": "BOOL", "data": [true, false]}]})");
  ExpectValues(r, 2, {1, 3, kNaN, kNaN, 0, -1, kNaN, kNaN});
  EXPECT_EQ(r->id, "");
}

TEST_F(CodecTest, OipTensorNestedAndFlatAgree) {
  ExpectValues(Oip(R"({"inputs": [{"name": "input-0", "shape": [2, 4], "datatype": "FP32",
    "data": [[1, 2, 0, 3], [5, null, 2, 2134]]}]})"),
               2, {1, 2, kNaN, 1, 5, kNaN, kNaN, kNaN});
  // Categorical columns of a tensor are looked up by the number's text: city "0" is unseen,
  // zip 3 is category "3".
  ExpectValues(Oip(R"({"inputs": [{"name": "x", "shape": [2, 4], "datatype": "FP64",
    "data": [1, 2, 0, 3, 5, null, 2, 2134]}]})"),
               2, {1, 2, kNaN, 1, 5, kNaN, kNaN, kNaN});
}

TEST_F(CodecTest, OipTensorErrors) {
  EXPECT_THAT(OipError(R"({"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32",
    "data": [1, 2, 3]}]})"),
              HasSubstr("inputs[0] (x): a 2-D tensor must have shape [rows, 4]"));
  EXPECT_THAT(OipError(R"({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "BYTES",
    "data": ["a", "b", "c", "d"]}]})"),
              HasSubstr("numeric datatype, got BYTES"));
  EXPECT_THAT(OipError(R"({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP32",
    "data": [1, 2, 3, "boston"]}]})"),
              HasSubstr("inputs[0] (x): data[3] (zip): expected a number, got a string"));
}

TEST_F(CodecTest, OipErrorsNameTheField) {
  auto input = [](std::string name, std::string shape, std::string type, std::string data) {
    return R"({"name": ")" + name + R"(", "shape": )" + shape + R"(, "datatype": ")" + type +
           R"(", "data": )" + data + "}";
  };
  auto request = [](std::string a, std::string b) {
    return R"({"inputs": [)" + a + (b.empty() ? "" : ", " + b) + "]}";
  };
  const std::string ok = input("bedrooms", "[4]", "FP32", "[1, 2, 3, 4]");
  EXPECT_EQ(OipError(request(ok, input("sqft", "[4]", "FP32", R"([1, 2, 3, "9"])"))),
            "inputs[1] (sqft): data[3]: expected a number, got a string");
  EXPECT_THAT(OipError(request(ok, input("color", "[4]", "BYTES", R"(["a","b","c","d"])"))),
              HasSubstr("inputs[1]: unknown column 'color'; the model's features are sqft, "
                        "bedrooms, city, zip"));
  EXPECT_THAT(OipError(request(ok, input("sqft", "[3]", "FP32", "[1, 2, 3]"))),
              HasSubstr("inputs[1] (sqft) has 3 rows but inputs[0] (bedrooms) has 4"));
  EXPECT_THAT(OipError(request(input("sqft", "[5]", "FP32", "[1, 2, 3, 4]"), "")),
              HasSubstr("inputs[0] (sqft): shape [5] holds 5 values but data has 4"));
  EXPECT_THAT(OipError(request(input("sqft", "[2, 2]", "FP32", "[1, 2, 3, 4]"), "")),
              HasSubstr("inputs[0] (sqft): shape [2, 2] does not fit one feature"));
  EXPECT_THAT(OipError(request(input("sqft", "[-1]", "FP32", "[]"), "")),
              HasSubstr("non-negative integers"));
  EXPECT_THAT(OipError(request(input("sqft", "[1]", "FLOAT", "[1]"), "")),
              HasSubstr("inputs[0] (sqft): unknown datatype 'FLOAT'; known: BOOL, UINT8"));
  auto fp16 = Oip(request(input("sqft", "[1]", "FP16", "[1]"), ""));
  ASSERT_FALSE(fp16.has_value());
  EXPECT_EQ(fp16.error().code(), ErrorCode::kUnsupported);
  EXPECT_THAT(OipError(request(input("sqft", "[1]", "BYTES", R"(["1"])"), "")),
              HasSubstr("numeric feature 'sqft' needs a numeric datatype"));
  EXPECT_THAT(OipError(request(input("city", "[1]", "BYTES", "[1]"), "")),
              HasSubstr("inputs[0] (city): data[0]: expected a string, got a number"));
  EXPECT_THAT(OipError(request(input("sqft", "[1]", "FP32", "[1e39]"), "")),
              HasSubstr("inputs[0] (sqft): data[0]: the number 1e+39 is outside float's range"));
  EXPECT_THAT(OipError(request(input("sqft", "[1]", "INT8", "[3.5]"), "")),
              HasSubstr("expected a whole number, got 3.5"));
  EXPECT_THAT(OipError(request(input("sqft", "[1]", "UINT8", "[300]"), "")),
              HasSubstr("300 is outside the datatype's range [0, 255]"));
  EXPECT_THAT(OipError(request(input("sqft", "[1]", "FP32", R"(["NaN"])"), "")),
              HasSubstr("expected a number, got a string"));
  EXPECT_THAT(OipError(request(ok, ok)), HasSubstr("feature 'bedrooms' is also sent by inputs[0]"));
  EXPECT_THAT(OipError(R"({"inputs": []})"), HasSubstr("non-empty array"));
  EXPECT_THAT(OipError(R"({"id": 5, "inputs": []})"), HasSubstr("\"id\" must be a string"));
  EXPECT_THAT(OipError(R"({"inputs": [{"shape": [1]}]})"), HasSubstr("\"name\" must be a string"));
  EXPECT_THAT(OipError("[1]"), HasSubstr("must be a JSON object"));
}

TEST_F(CodecTest, OipRowLimitNamesBothCounts) {
  limits_.max_rows = 2;
  auto r = Oip(R"({"inputs": [{"name": "sqft", "shape": [3], "datatype": "FP32",
    "data": [1, 2, 3]}]})");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(), "the request has 3 rows; the limit is 2");
}

TEST_F(CodecTest, JsonThatDoesNotParseIsAnError) {
  const std::string deep = std::string(100, '[') + std::string(100, ']');
  for (
      std::string body :
      {std::string(R"({"inputs": [{"name": "sqft", "shape": [1], "datatype": "FP32", "data": )") +
           deep + "}]}",
       std::string(
           R"({"inputs": [{"name": "sqft", "shape": [1], "datatype": "FP32", "data": [NaN]}]})"),
       std::string(
           R"({"inputs": [{"name": "sqft", "shape": [1], "datatype": "FP32", "data": [Infinity]}]})"),
       std::string(R"({"inputs": [{"name": "sqft", "shape": [1], "datatype": "FP32", "da)"),
       std::string(""), std::string("{\"inputs\": [\xff]}")}) {
    auto r = Oip(body);
    ASSERT_FALSE(r.has_value()) << body;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(r.error().message(), HasSubstr("not valid JSON")) << body;
  }
  EXPECT_THAT(OipError(deep), HasSubstr("too deep"));
  EXPECT_THAT(MlflowError(R"({"instances": [[18446744073709551616, 1, "a", "b"]]})"),
              HasSubstr("a number is malformed or too large"));
  EXPECT_THAT(MlflowError(R"({"instances": [[-1e400, 1, "a", "b"]]})"),
              HasSubstr("a number is malformed or too large"));
}

TEST_F(CodecTest, MlflowDataframeSplit) {
  auto r = Mlflow(R"({"dataframe_split": {"index": [7, 8], "columns": ["price", "city", "sqft"],
    "data": [[1, "chicago", 10], [2, null, 20.5]]}})");
  ExpectValues(r, 2, {10, kNaN, 2, kNaN, 20.5f, kNaN, kNaN, kNaN});
  EXPECT_EQ(MlflowError(R"({"dataframe_split": {"columns": ["sqft"], "data": [[1], ["x"]]}})"),
            "dataframe_split.data[1][0] (sqft): expected a number, got a string");
  EXPECT_THAT(MlflowError(R"({"dataframe_split": {"columns": ["sqft", "sqft"], "data": []}})"),
              HasSubstr("dataframe_split.columns[1]: column 'sqft' appears twice"));
  EXPECT_THAT(MlflowError(R"({"dataframe_split": {"columns": ["sqft"], "data": [[1, 2]]}})"),
              HasSubstr("dataframe_split.data[0]: expected an array of 1 values"));
  EXPECT_THAT(MlflowError(R"({"dataframe_split": {"columns": ["nope"], "data": []}})"),
              HasSubstr("unknown column 'nope'"));
}

TEST_F(CodecTest, MlflowDataframeRecords) {
  auto r = Mlflow(R"({"dataframe_records": [{"sqft": 1, "zip": "02134", "price": 3},
    {"bedrooms": 2, "city": "austin", "zip": 7.5}]})");
  ExpectValues(r, 2, {1, kNaN, kNaN, 0, kNaN, 2, 0, 2});
  EXPECT_EQ(MlflowError(R"({"dataframe_records": [{"bedrooms": 1}, {"bedrooms": "two"}]})"),
            "dataframe_records[1].bedrooms: expected a number, got a string");
  EXPECT_THAT(MlflowError(R"({"dataframe_records": [{"bedroom": 1}]})"),
              HasSubstr("dataframe_records[0]: unknown column 'bedroom'"));
  EXPECT_THAT(MlflowError(R"({"dataframe_records": [[1, 2, 3, 4]]})"),
              HasSubstr("dataframe_records[0]: expected an object, got an array"));
  EXPECT_THAT(MlflowError(R"({"dataframe_records": [{"city": [1]}]})"),
              HasSubstr("dataframe_records[0].city: expected a string or a number, got an array"));
}

TEST_F(CodecTest, MlflowInstancesAndInputs) {
  const std::vector<float> want = {1, 2, 1, kNaN, 3, kNaN, kNaN, kNaN};
  ExpectValues(Mlflow(R"({"instances": [[1, 2, "boston", null], {"sqft": 3}]})"), 2, want);
  ExpectValues(Mlflow(R"({"inputs": [[1, 2, "boston", null], {"sqft": 3}]})"), 2, want);
  ExpectValues(Mlflow(R"({"inputs": {"sqft": [1, 3], "bedrooms": [2, null],
    "city": ["boston", "rome"], "price": [0, 0]}})"),
               2, want);
  EXPECT_THAT(MlflowError(R"({"instances": [[1, 2, 3]]})"),
              HasSubstr("instances[0]: a row has 3 values, expected 4"));
  EXPECT_EQ(MlflowError(R"({"instances": [[1, true, "x", "y"], [1, "2", "x", "y"]]})"),
            "instances[1][1] (bedrooms): expected a number, got a string");
  EXPECT_THAT(MlflowError(R"({"instances": [5]})"),
              HasSubstr("instances[0]: expected an object (a record) or an array (a row)"));
  EXPECT_THAT(MlflowError(R"({"inputs": {"sqft": [1, 3], "bedrooms": [2]}})"),
              HasSubstr("inputs.bedrooms has 1 values but the columns before it have 2"));
  EXPECT_EQ(MlflowError(R"({"inputs": {"sqft": [1, 1e39]}})"),
            "inputs.sqft[1]: the number 1e+39 is outside float's range");
  EXPECT_THAT(MlflowError(R"({"instances": {"sqft": [1]}})"),
              HasSubstr("instances must be an array, got an object"));
}

TEST_F(CodecTest, MlflowNeedsExactlyOneKey) {
  EXPECT_EQ(MlflowError(R"({"instances": [], "inputs": []})"),
            "expected exactly one of \"dataframe_split\", \"dataframe_records\", \"instances\", "
            "\"inputs\"; got \"instances\", \"inputs\"");
  EXPECT_THAT(MlflowError(R"({"data": []})"), HasSubstr("got none"));
  limits_.max_rows = 1;
  EXPECT_EQ(MlflowError(R"({"instances": [{}, {}]})"), "the request has 2 rows; the limit is 1");
}

TEST_F(CodecTest, MlflowContentTypes) {
  ExpectValues(Mlflow(R"({"instances": [{"sqft": 3}]})", "Application/JSON; charset=utf-8"), 1,
               {3, kNaN, kNaN, kNaN});
  auto r = Mlflow("sqft\n1\n", "text/plain");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kUnsupported);
  EXPECT_THAT(r.error().message(), HasSubstr("use application/json or text/csv"));
}

TEST_F(CodecTest, CsvWithQuotesAndMissingCells) {
  auto r = Mlflow(
      "\xEF\xBB\xBF"
      "price,\"city\",sqft,zip,bedrooms\r\n"
      "1,\"boston\", 12.5 ,\"02134\",\r\n"
      "\n"
      "2,\"chi\"\"cago\",NA,3,4\n"
      "3,\"a,b\nc\",,7.5,\"5\"",
      "text/csv; charset=utf-8");
  ExpectValues(r, 3, {12.5f, kNaN, 1, 0, kNaN, 4, kNaN, 1, kNaN, 5, kNaN, 2});
  ExpectValues(Mlflow("sqft\n", "text/csv"), 0, {});
}

TEST_F(CodecTest, CsvErrorsNameLineAndColumn) {
  EXPECT_EQ(MlflowError("sqft,bedrooms\n1,2\n3,abc\n", "text/csv"),
            "line 3, column bedrooms: expected a number, got 'abc'");
  EXPECT_EQ(MlflowError("sqft\n1e39\n", "text/csv"),
            "line 2, column sqft: the number 1e39 is outside float's range");
  EXPECT_THAT(MlflowError("sqft,color\n1,2\n", "text/csv"),
              HasSubstr("line 1: unknown column 'color'"));
  EXPECT_THAT(MlflowError("sqft,city\n1\n", "text/csv"),
              HasSubstr("line 2: the row has 1 fields but the header has 2"));
  EXPECT_THAT(MlflowError("sqft,city\n1,\"boston\n", "text/csv"),
              HasSubstr("line 2, column city: a quoted field is never closed"));
  EXPECT_THAT(MlflowError("sqft,city\n1,\"boston\"x\n", "text/csv"),
              HasSubstr("text after the closing quote"));
  EXPECT_THAT(MlflowError("", "text/csv"), HasSubstr("the CSV body is empty"));
  limits_.max_rows = 2;
  EXPECT_EQ(MlflowError("sqft\n1\n2\n3\n4\n", "text/csv"),
            "the request has 4 rows; the limit is 2");
}

// Outputs as Model::Predict writes them.
Predictions Outputs(const std::vector<float>& values, size_t rows, size_t k) {
  return Predictions{rows, k, values};
}

TEST(InferEncodeTest, OipRegression) {
  std::vector<float> values = {1.5f, kNaN, 1e20f};
  json j =
      json::parse(EncodeOipResponse("houses", 3, "req-1", Regression(), Outputs(values, 3, 1)));
  EXPECT_EQ(j["model_name"], "houses");
  EXPECT_EQ(j["model_version"], "3");
  EXPECT_EQ(j["id"], "req-1");
  ASSERT_EQ(j["outputs"].size(), 1u);
  const json& out = j["outputs"][0];
  EXPECT_EQ(out["name"], "predictions");
  EXPECT_EQ(out["datatype"], "FP32");
  EXPECT_EQ(out["shape"], json::parse("[3]"));
  EXPECT_EQ(out["data"][0].get<float>(), 1.5f);
  EXPECT_TRUE(out["data"][1].is_null());
  EXPECT_EQ(out["data"][2].get<float>(), 1e20f);
  EXPECT_FALSE(json::parse(EncodeOipResponse("m", 1, "", Regression(), Outputs(values, 3, 1)))
                   .contains("id"));
}

TEST(InferEncodeTest, OipBinaryWithNumericLabels) {
  TargetInfo target{"churned", Task::kBinary, {"0", "1"}};
  std::vector<float> p = {0.25f, 0.75f, 0.9f, 0.1f};
  json j = json::parse(EncodeOipResponse("churn", 2, "", target, Outputs(p, 2, 2)));
  const json& predictions = j["outputs"][0];
  EXPECT_EQ(predictions["datatype"], "INT64");
  EXPECT_EQ(predictions["data"], json::parse("[1, 0]"));
  const json& proba = j["outputs"][1];
  EXPECT_EQ(proba["name"], "probabilities");
  EXPECT_EQ(proba["datatype"], "FP32");
  EXPECT_EQ(proba["shape"], json::parse("[2, 2]"));
  EXPECT_EQ(proba["data"], json::parse("[0.25, 0.75, 0.9, 0.1]"));
  EXPECT_EQ(proba["parameters"]["classes"], json::parse("[0, 1]"));
  EXPECT_EQ(json::parse(EncodeMlflowResponse(target, Outputs(p, 2, 2))),
            json::parse(R"({"predictions": [1, 0]})"));
}

TEST(InferEncodeTest, MulticlassWithTextLabels) {
  TargetInfo target{"plan", Task::kMulticlass, {"basic", "plus \"x\"\n", "pro"}};
  std::vector<float> p = {0.1f, 0.2f, 0.7f, 0.5f, 0.4f, 0.1f, 0.2f, 0.6f, 0.2f};
  json j = json::parse(EncodeOipResponse("plans", 1, "a\"b", target, Outputs(p, 3, 3)));
  EXPECT_EQ(j["id"], "a\"b");
  EXPECT_EQ(j["outputs"][0]["datatype"], "BYTES");
  EXPECT_EQ(j["outputs"][0]["data"], json({"pro", "basic", "plus \"x\"\n"}));
  EXPECT_EQ(j["outputs"][1]["shape"], json::parse("[3, 3]"));
  EXPECT_EQ(j["outputs"][1]["parameters"]["classes"], json({"basic", "plus \"x\"\n", "pro"}));
  EXPECT_EQ(json::parse(EncodeMlflowResponse(target, Outputs(p, 3, 3)))["predictions"],
            json({"pro", "basic", "plus \"x\"\n"}));
  // Labels that are numbers but not all integers: numbers for MLflow, BYTES for OIP.
  TargetInfo decimal{"grade", Task::kMulticlass, {"1.5", "2", "-3e2"}};
  EXPECT_EQ(json::parse(EncodeMlflowResponse(decimal, Outputs(p, 3, 3)))["predictions"],
            json::parse("[-3e2, 1.5, 2]"));
  EXPECT_EQ(
      json::parse(EncodeOipResponse("g", 1, "", decimal, Outputs(p, 3, 3)))["outputs"][0]["data"],
      json({"-3e2", "1.5", "2"}));
}

TEST(InferEncodeTest, MlflowRegression) {
  std::vector<float> values = {0.1f, -2.0f};
  EXPECT_EQ(EncodeMlflowResponse(Regression(), Outputs(values, 2, 1)),
            R"({"predictions":[0.1,-2]})");
}

TEST(InferEncodeTest, ErrorBodyEscapes) {
  std::string message = std::string("bad \"x\" \\ \n\t\x01 caf\xC3\xA9 \xFF end");
  json j = json::parse(ErrorBody(message));
  EXPECT_EQ(j["error"], "bad \"x\" \\ \n\t\x01 caf\xC3\xA9 \xEF\xBF\xBD end");
  EXPECT_THAT(ErrorBody("\x01"), HasSubstr("\\u0001"));
}

}  // namespace
}  // namespace hone::serve
