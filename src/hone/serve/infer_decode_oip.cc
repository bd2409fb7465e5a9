// DecodeOipRequest: Open Inference Protocol v2 requests, one input per feature or one 2-D
// tensor of every feature.
#include <array>
#include <string>
#include <vector>

#include "hone/serve/infer_codec.h"
#include "hone/serve/infer_values.h"

namespace hone::serve {

namespace {

using internal::FeatureNames;
using internal::ValueKind;
using internal::ValueRule;
using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

struct Datatype {
  std::string_view name;
  ValueRule rule;
};

constexpr std::array<Datatype, 12> kDatatypes = {{
    {"BOOL", {ValueKind::kBool, 0, 1}},
    {"UINT8", {ValueKind::kInteger, 0, 255}},
    {"UINT16", {ValueKind::kInteger, 0, 65535}},
    {"UINT32", {ValueKind::kInteger, 0, 4294967295.0}},
    {"UINT64", {ValueKind::kInteger, 0, 18446744073709551615.0}},
    {"INT8", {ValueKind::kInteger, -128, 127}},
    {"INT16", {ValueKind::kInteger, -32768, 32767}},
    {"INT32", {ValueKind::kInteger, -2147483648.0, 2147483647.0}},
    {"INT64", {ValueKind::kInteger, -9223372036854775808.0, 9223372036854775807.0}},
    {"FP32", {ValueKind::kFloat, 0, 0}},
    {"FP64", {ValueKind::kFloat, 0, 0}},
    {"BYTES", {ValueKind::kBytes, 0, 0}},
}};

// One entry of "inputs", checked: its shape matches its data.
struct Input {
  std::string_view name;
  size_t rank = 0;
  std::array<uint64_t, 2> shape{};
  ValueRule rule;
  std::string_view datatype;
  element data;
  size_t feature = 0;  // FeatureNames::Find of the name
};

std::string Where(size_t i, std::string_view name) {
  return "inputs[" + std::to_string(i) + "] (" + std::string(name) + ")";
}

std::string ShapeText(const Input& input) {
  std::string out = "[" + std::to_string(input.shape[0]);
  if (input.rank == 2) out += ", " + std::to_string(input.shape[1]);
  return out + "]";
}

size_t CountLeaves(element value) {
  if (value.type() != element_type::ARRAY) return 1;
  size_t n = 0;
  for (element e : array(value.get_array().value_unsafe())) n += CountLeaves(e);
  return n;
}

// Calls fn(index, value) on every non-array value, in row-major order; stops when fn fails.
template <typename Fn>
bool ForEachLeaf(element value, size_t& index, Fn& fn) {
  if (value.type() != element_type::ARRAY) return fn(index++, value);
  for (element e : array(value.get_array().value_unsafe())) {
    if (!ForEachLeaf(e, index, fn)) return false;
  }
  return true;
}

Result<Input> ReadInput(element entry, size_t i) {
  object fields;
  if (entry.get_object().get(fields)) {
    return Fail(ErrorCode::kInvalidArgument, "inputs[" + std::to_string(i) +
                                                 "]: expected an object, got " +
                                                 internal::JsonTypeName(entry.type()));
  }
  // One walk over the fields; messages are built only on failure.
  element name, shape, datatype, data;
  bool has_name = false, has_shape = false, has_datatype = false, has_data = false;
  for (auto field : fields) {
    if (field.key == "name") {
      name = field.value;
      has_name = true;
    } else if (field.key == "shape") {
      shape = field.value;
      has_shape = true;
    } else if (field.key == "datatype") {
      datatype = field.value;
      has_datatype = true;
    } else if (field.key == "data") {
      data = field.value;
      has_data = true;
    }
  }
  Input input;
  if (!has_name || name.get_string().get(input.name)) {
    return Fail(ErrorCode::kInvalidArgument,
                "inputs[" + std::to_string(i) + "]: \"name\" must be a string");
  }
  auto fail = [&](std::string problem, ErrorCode code = ErrorCode::kInvalidArgument) {
    return Fail(code, Where(i, input.name) + ": " + problem);
  };
  array dims;
  if (!has_shape || shape.get_array().get(dims)) {
    return fail("\"shape\" must be an array of integers");
  }
  for (element dim : dims) {
    uint64_t d = 0;
    if (dim.get_uint64().get(d)) return fail("\"shape\" must hold non-negative integers");
    if (input.rank == 2) return fail("\"shape\" must be [rows], [rows, 1] or [rows, features]");
    input.shape[input.rank++] = d;
  }
  if (input.rank == 0) return fail("\"shape\" must not be empty");
  if (!has_datatype || datatype.get_string().get(input.datatype)) {
    return fail("\"datatype\" must be a string");
  }
  if (input.datatype == "FP16") {
    return fail("datatype FP16 is not supported; use FP32", ErrorCode::kUnsupported);
  }
  const Datatype* type = nullptr;
  for (const Datatype& t : kDatatypes) {
    if (t.name == input.datatype) {
      type = &t;
      break;
    }
  }
  if (type == nullptr) {
    std::string known;
    for (const Datatype& t : kDatatypes) known += (known.empty() ? "" : ", ") + std::string(t.name);
    return fail("unknown datatype '" + std::string(input.datatype) + "'; known: " + known);
  }
  input.rule = type->rule;
  if (!has_data || data.type() != element_type::ARRAY) return fail("\"data\" must be an array");
  input.data = data;
  uint64_t expected = input.shape[0];
  if (input.rank == 2 && __builtin_mul_overflow(expected, input.shape[1], &expected)) {
    return fail("shape " + ShapeText(input) + " is too large");
  }
  size_t leaves = CountLeaves(input.data);
  if (leaves != expected) {
    return fail("shape " + ShapeText(input) + " holds " + std::to_string(expected) +
                " values but data has " + std::to_string(leaves));
  }
  return input;
}

// Writes the values of `input` into `out` (rows × features): column j when j is a feature,
// else (a 2-D tensor) every column.
Result<void> Fill(const Input& input, size_t i, size_t j, const learn::FeatureSchema& schema,
                  std::vector<float>& out) {
  const size_t width = schema.size();
  const bool tensor = j == FeatureNames::kUnknown;
  std::string problem;
  size_t failed = 0;
  auto store = [&](size_t k, element value) {
    size_t row = tensor ? k / width : k;
    size_t col = tensor ? k % width : j;
    if (internal::EncodeJsonValue(value, schema, col, input.rule, out[row * width + col],
                                  problem)) {
      return true;
    }
    failed = k;
    return false;
  };
  size_t index = 0;
  if (ForEachLeaf(input.data, index, store)) return {};
  std::string where = Where(i, input.name) + ": data[" + std::to_string(failed) + "]";
  if (tensor) where += " (" + schema.features()[failed % width].name + ")";
  return internal::ValueError(where, problem);
}

}  // namespace

Result<DecodedRows> DecodeOipRequest(std::string_view body, const learn::FeatureSchema& schema,
                                     const learn::TargetInfo& target, const DecodeLimits& limits) {
  HONE_ASSIGN_OR_RETURN(element root, internal::ParseJson(body));
  object request;
  if (root.get_object().get(request)) {
    return Fail(ErrorCode::kInvalidArgument, "the request body must be a JSON object");
  }
  DecodedRows decoded;
  element id;
  if (!request["id"].get(id)) {
    std::string_view text;
    if (id.get_string().get(text)) {
      return Fail(ErrorCode::kInvalidArgument, "\"id\" must be a string");
    }
    decoded.id = text;
  }
  array entries;
  if (request["inputs"].get_array().get(entries) || internal::ArraySize(entries) == 0) {
    return Fail(ErrorCode::kInvalidArgument,
                "the request needs \"inputs\": a non-empty array of {\"name\", \"shape\", "
                "\"datatype\", \"data\"}");
  }
  std::vector<Input> inputs;
  inputs.reserve(internal::ArraySize(entries));
  for (element entry : entries) {
    HONE_ASSIGN_OR_RETURN(Input input, ReadInput(entry, inputs.size()));
    inputs.push_back(input);
  }

  const size_t width = schema.size();
  FeatureNames names(schema, target);
  for (Input& input : inputs) input.feature = names.Find(input.name);
  if (inputs.size() == 1 && inputs[0].feature == FeatureNames::kUnknown && inputs[0].rank == 2) {
    // One 2-D tensor holding every feature, in the schema's order.
    const Input& input = inputs[0];
    if (input.shape[1] != width) {
      return Fail(ErrorCode::kInvalidArgument,
                  Where(0, input.name) + ": a 2-D tensor must have shape [rows, " +
                      std::to_string(width) + "] (one column per feature), got " +
                      ShapeText(input));
    }
    if (input.rule.kind == ValueKind::kBytes) {
      return Fail(ErrorCode::kInvalidArgument,
                  Where(0, input.name) + ": a 2-D tensor must have a numeric datatype, got BYTES");
    }
    decoded.rows = input.shape[0];
    HONE_TRY(internal::CheckRowLimit(decoded.rows, limits));
    decoded.values.assign(decoded.rows * width, internal::kMissing);
    HONE_TRY(Fill(input, 0, FeatureNames::kUnknown, schema, decoded.values));
    return decoded;
  }

  // One input per feature.
  std::vector<size_t> sent_by(width, inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Input& input = inputs[i];
    const size_t j = input.feature;
    if (j == FeatureNames::kUnknown) {
      return Fail(ErrorCode::kInvalidArgument,
                  "inputs[" + std::to_string(i) + "]: " + names.Unknown(input.name));
    }
    if (input.rank == 2 && input.shape[1] != 1) {
      return Fail(ErrorCode::kInvalidArgument, Where(i, input.name) + ": shape " +
                                                   ShapeText(input) +
                                                   " does not fit one feature; expected [rows] "
                                                   "or [rows, 1]");
    }
    if (i > 0 && input.shape[0] != inputs[0].shape[0]) {
      return Fail(ErrorCode::kInvalidArgument,
                  Where(i, input.name) + " has " + std::to_string(input.shape[0]) + " rows but " +
                      Where(0, inputs[0].name) + " has " + std::to_string(inputs[0].shape[0]));
    }
    if (j == FeatureNames::kTarget) continue;
    if (sent_by[j] != inputs.size()) {
      return Fail(ErrorCode::kInvalidArgument,
                  Where(i, input.name) + ": feature '" + std::string(input.name) +
                      "' is also sent by inputs[" + std::to_string(sent_by[j]) + "]");
    }
    sent_by[j] = i;
    if (input.rule.kind == ValueKind::kBytes &&
        schema.features()[j].type == core::ColumnType::kNumeric) {
      return Fail(ErrorCode::kInvalidArgument,
                  Where(i, input.name) + ": numeric feature '" + std::string(input.name) +
                      "' needs a numeric datatype (FP32, FP64, INT*, BOOL), got BYTES");
    }
  }
  decoded.rows = inputs[0].shape[0];
  HONE_TRY(internal::CheckRowLimit(decoded.rows, limits));
  decoded.values.assign(decoded.rows * width, internal::kMissing);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].feature == FeatureNames::kTarget) continue;
    HONE_TRY(Fill(inputs[i], i, inputs[i].feature, schema, decoded.values));
  }
  return decoded;
}

}  // namespace hone::serve
