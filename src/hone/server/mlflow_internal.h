// What the MLflow API's files share: the request's parameters as one JSON object, typed field
// readers that fail with kInvalidArgument naming the field, and the JSON of MLflow's records.
#ifndef HONE_SERVER_MLFLOW_INTERNAL_H_
#define HONE_SERVER_MLFLOW_INTERNAL_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hone/core/error.h"
#include "hone/server/hone_api.h"
#include "hone/store/meta_store.h"

namespace hone::server::mlflow {

using Json = nlohmann::json;

/// One MLflow API call: the request's JSON body merged with its query parameters (GET
/// requests carry only the latter).
struct Call {
  ApiContext& ctx;
  const ApiRequest& request;
  Json in;
  store::Actor actor() const { return store::Actor{request.principal.name}; }
};

/// A request field: kInvalidArgument "Missing value for required parameter 'x'" when absent.
Result<std::string> Str(const Call& c, const char* key);
std::optional<std::string> OptStr(const Call& c, const char* key);
/// An integer field (JSON number or decimal text).
Result<std::optional<int64_t>> OptInt(const Call& c, const char* key);
Result<int64_t> Int(const Call& c, const char* key);
/// A number field (JSON number or text, "NaN" and "Infinity" too).
Result<double> Number(const Call& c, const char* key);
/// [{"key": k, "value": v}, …] at `key` (absent: empty).
Result<std::map<std::string, std::string>> KeyValues(const Json& in, const char* key);
/// The run `run_id` (or the older `run_uuid`) names.
Result<std::string> RunIdOf(const Call& c);
/// max_results (default `fallback`, at most `limit`) and page_token (an offset).
Result<std::pair<size_t, size_t>> Page(const Call& c, size_t fallback, size_t limit);
/// {"next_page_token": …} is set on `out` when more than `offset + size` of `total` remain.
void SetNextPage(Json& out, size_t offset, size_t size, size_t total);

Json KeyValueArray(const std::map<std::string, std::string>& m);
Json ExperimentJson(const store::Experiment& e);
/// MLflow's run: {"info": {…}, "data": {"metrics", "params", "tags"}}. `run.metrics` may hold
/// every value; the latest of each key is reported.
Json RunJson(const store::Run& run, const store::MlflowRunInfo& info);
Json RunInfoJson(const store::Run& run, const store::MlflowRunInfo& info);
std::string MlflowStatus(store::RunStatus s);

Result<Json> Experiments(Call& c, const std::vector<std::string>& path);
Result<Json> Runs(Call& c, const std::vector<std::string>& path);
Result<Json> MetricHistory(Call& c);
Result<Json> RegisteredModels(Call& c, const std::vector<std::string>& path);
Result<Json> ModelVersions(Call& c, const std::vector<std::string>& path);

/// kNotFound for an endpoint MLflow has that hone does not answer (ENDPOINT_NOT_FOUND).
Error NoEndpoint(const Call& c);

}  // namespace hone::server::mlflow

#endif  // HONE_SERVER_MLFLOW_INTERNAL_H_
