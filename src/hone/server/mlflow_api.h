// MLflow's REST API (/api/2.0/mlflow/…) on `hone server`, so that a team can point
// MLFLOW_TRACKING_URI at hone and keep its code: experiments, runs and their logging, run
// search, registered models, model versions and aliases, with MLflow's JSON shapes and error
// codes. hone runs are MLflow runs; what MLflow keeps beyond them is the store's MLflow
// compatibility section. Reference: docs/mlflow-api.md.
#ifndef HONE_SERVER_MLFLOW_API_H_
#define HONE_SERVER_MLFLOW_API_H_

#include <string>
#include <string_view>

#include "hone/core/error.h"
#include "hone/server/hone_api.h"

namespace hone::server {

/// The length of the MLflow API prefix `target` starts with ("/api/2.0/mlflow/" or
/// "/ajax-api/2.0/mlflow/"); 0 when it is not an MLflow API request.
size_t MlflowApiPrefix(std::string_view target);

/// Answers one MLflow API request (`request.path`: the segments after the prefix). Every
/// failure is answered here in MLflow's shape, {"error_code": "RESOURCE_DOES_NOT_EXIST",
/// "message": "…"}, with its HTTP status: a broken or corrupt store too ({"error_code":
/// "INTERNAL_ERROR"}, 500), so the Result never fails. (A PostgreSQL store whose connection
/// broke reconnects on its next use, so the caller may keep it.)
Result<ApiReply> HandleMlflowApi(ApiContext& ctx, const ApiRequest& request);

/// `e` as MLflow answers it: {"error_code": "INVALID_PARAMETER_VALUE", "message": "…"} with
/// the matching HTTP status.
ApiReply MlflowErrorReply(const Error& e);

/// MLflow's error body for a refused authentication (401: UNAUTHENTICATED, 429:
/// REQUEST_LIMIT_EXCEEDED, else PERMISSION_DENIED).
std::string MlflowAuthErrorBody(int status, std::string_view message);

}  // namespace hone::server

#endif  // HONE_SERVER_MLFLOW_API_H_
