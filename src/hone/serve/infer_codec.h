// The wire formats of inference: requests decoded into encoded feature rows, predictions
// encoded as responses.
//
//  - Open Inference Protocol v2 (KServe, Triton): {"id": "...", "parameters": {...},
//    "inputs": [{"name", "shape", "datatype", "data", "parameters"}], "outputs": [...]}.
//    Either one input per feature, by name (shape [n] or [n, 1]), or one 2-D tensor of shape
//    [n, F] (any name) holding the features in the bundle's order. `data` may be flat
//    (row-major) or nested as the shape says.
//  - MLflow's scoring server (/invocations): JSON with exactly one of "dataframe_split"
//    ({"columns", "data", "index"?}), "dataframe_records" ([{col: value}, …]), "instances"
//    (a list of records or of rows in the bundle's feature order) or "inputs" (the same, or
//    a {col: [values]} dict); or text/csv with a header row.
//
// Values: a numeric feature takes a JSON number (or true/false as 1/0); a categorical feature
// takes a string, looked up in the bundle's categories, or a number, looked up by its text
// (as the CSV reader does for category codes written as numbers). An unseen category is a
// missing value, as in training. null, and a feature absent from the request, are missing
// values. A string for a numeric feature, an unknown feature name, a shape that does not match
// the data, more rows than the limit, a number outside float's range, or JSON that does not
// parse are kInvalidArgument errors whose message names the field: "inputs[1] (sqft): data[3]:
// expected a number, got a string". The target column, when sent, is ignored.
#ifndef HONE_SERVE_INFER_CODEC_H_
#define HONE_SERVE_INFER_CODEC_H_

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hone/core/error.h"
#include "hone/learn/features.h"
#include "hone/learn/target.h"

namespace hone::serve {

struct DecodeLimits {
  /// Rows one request may carry; more is an error naming both counts.
  size_t max_rows = 100000;
};

/// Rows decoded from a request, ready for Model::PredictRow / Predict.
struct DecodedRows {
  size_t rows = 0;
  /// rows × schema.size() encoded features, row-major, in the schema's order; NaN = missing.
  std::vector<float> values;
  /// OIP: the request's "id", echoed in the response (empty when absent).
  std::string id;
};

/// Decodes an OIP v2 inference request body for a model reading `schema`.
Result<DecodedRows> DecodeOipRequest(std::string_view body, const learn::FeatureSchema& schema,
                                     const learn::TargetInfo& target, const DecodeLimits& limits);

/// Decodes an MLflow /invocations body. `content_type` is the request's Content-Type header
/// (parameters such as "; charset=utf-8" allowed): application/json or text/csv; anything else
/// is kUnsupported naming the two accepted types.
Result<DecodedRows> DecodeMlflowRequest(std::string_view body, std::string_view content_type,
                                        const learn::FeatureSchema& schema,
                                        const learn::TargetInfo& target,
                                        const DecodeLimits& limits);

/// Predictions of `rows` rows: `outputs` holds rows × num_outputs values as Model::Predict
/// writes them (regression: the value; classification: class probabilities).
struct Predictions {
  size_t rows = 0;
  size_t num_outputs = 1;
  std::span<const float> outputs;
};

/// The OIP v2 response: {"model_name", "model_version", "id"?, "outputs": [...]}.
/// Regression: one output "predictions", FP32, shape [rows]. Classification: "predictions"
/// holding the predicted class labels (INT64 when every label of the target is an integer,
/// else BYTES), shape [rows], and "probabilities", FP32, shape [rows, classes], with the class
/// labels in the output's "parameters": {"classes": [...]}.
std::string EncodeOipResponse(std::string_view model, int64_t version, std::string_view id,
                              const learn::TargetInfo& target, const Predictions& predictions);

/// MLflow's response: {"predictions": [...]}: the values for regression, the predicted class
/// labels for classification (numbers when every label is a number, else strings).
std::string EncodeMlflowResponse(const learn::TargetInfo& target, const Predictions& predictions);

/// Whether the OIP "predictions" of a classifier of `target` are INT64 (every class label an
/// integer of at most 18 digits) rather than BYTES; the model metadata says the same.
bool LabelsAreInt64(const learn::TargetInfo& target);

/// {"error": message}, escaped.
std::string ErrorBody(std::string_view message);

}  // namespace hone::serve

#endif  // HONE_SERVE_INFER_CODEC_H_
