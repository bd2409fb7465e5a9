// The JSON that hone's own HTTP API (`hone server`, /api/hone/v1) carries: one encoding and one
// strict decoding for every MetaStore record, shared by the server and the remote MetaStore so
// that both sides always agree. Decoding names the field that is wrong.
//
// Numbers: times and counts are JSON integers; a double that is not finite (a metric may be
// NaN) is the string "NaN", "Infinity" or "-Infinity".
#ifndef HONE_STORE_REMOTE_WIRE_H_
#define HONE_STORE_REMOTE_WIRE_H_

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "hone/core/error.h"
#include "hone/store/meta_store.h"

namespace hone::store::wire {

using Json = nlohmann::json;

// One encoder and one decoder per record. A decoder throws WireError (caught by Decode).
void Encode(Json& j, const RunStart& v);
void Encode(Json& j, const Metric& v);
void Encode(Json& j, const RunArtifact& v);
void Encode(Json& j, const Run& v);
void Encode(Json& j, const NewVersion& v);
void Encode(Json& j, const ModelVersion& v);
void Encode(Json& j, const Model& v);
void Encode(Json& j, const AliasChange& v);  // without model, alias and actor (the URL and token)
void Encode(Json& j, const AliasMove& v);
void Encode(Json& j, const AuditRecord& v);
void Encode(Json& j, const AuditHead& v);
void Encode(Json& j, const ApiToken& v);  // with salt and hash: only a new token carries them
void Encode(Json& j, const Lease& v);
void Encode(Json& j, const MonitorWindow& v);
void Encode(Json& j, const PredictionRecord& v);
void Encode(Json& j, const Feedback& v);
void Encode(Json& j, const FeedbackResult& v);
void Encode(Json& j, const LabelledPrediction& v);

void Decode(const Json& j, RunStart& v);
void Decode(const Json& j, Metric& v);
void Decode(const Json& j, RunArtifact& v);
void Decode(const Json& j, Run& v);
void Decode(const Json& j, NewVersion& v);
void Decode(const Json& j, ModelVersion& v);
void Decode(const Json& j, Model& v);
void Decode(const Json& j, AliasChange& v);
void Decode(const Json& j, AliasMove& v);
void Decode(const Json& j, AuditRecord& v);
void Decode(const Json& j, AuditHead& v);
void Decode(const Json& j, ApiToken& v);
void Decode(const Json& j, Lease& v);
void Decode(const Json& j, MonitorWindow& v);
void Decode(const Json& j, PredictionRecord& v);
void Decode(const Json& j, Feedback& v);
void Decode(const Json& j, FeedbackResult& v);
void Decode(const Json& j, LabelledPrediction& v);

/// A field of the wrong type or missing, named by its path ("metrics[3].value").
struct WireError {
  std::string message;
};

template <typename T>
Json ToJson(const T& value) {
  Json j = Json::object();
  Encode(j, value);
  return j;
}
template <typename T>
Json ToJsonArray(const std::vector<T>& values) {
  Json j = Json::array();
  for (const T& v : values) j.push_back(ToJson(v));
  return j;
}

/// Runs `body` (which decodes with the functions above); a WireError or a JSON error becomes
/// kInvalidArgument naming `what` ("request body", "response of GET /runs").
template <typename Body>
auto Decoding(std::string_view what, Body body) -> Result<decltype(body())> {
  try {
    return body();
  } catch (const WireError& e) {
    return Fail(ErrorCode::kInvalidArgument, std::string(what) + ": " + e.message);
  } catch (const nlohmann::json::exception& e) {
    return Fail(ErrorCode::kInvalidArgument, std::string(what) + ": " + e.what());
  }
}

/// `T` from `j`, or kInvalidArgument naming `what` and the field.
template <typename T>
Result<T> FromJson(const Json& j, std::string_view what) {
  return Decoding(what, [&] {
    T v{};
    Decode(j, v);
    return v;
  });
}
/// The array at `j[key]`, each element decoded.
template <typename T>
std::vector<T> DecodeArray(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_array()) {
    throw WireError{"'" + std::string(key) + "' must be an array"};
  }
  std::vector<T> out;
  out.reserve(j[key].size());
  for (size_t i = 0; i < j[key].size(); ++i) {
    try {
      T v{};
      Decode(j[key][i], v);
      out.push_back(std::move(v));
    } catch (const WireError& e) {
      throw WireError{std::string(key) + "[" + std::to_string(i) + "]: " + e.message};
    }
  }
  return out;
}

/// Parses `text` as JSON; kInvalidArgument naming `what` and the byte where it broke.
Result<Json> Parse(std::string_view text, std::string_view what);

// Field readers for hand-written bodies (the server's and the client's small envelopes).
std::string GetString(const Json& j, const char* key);
std::optional<std::string> GetOptString(const Json& j, const char* key);
int64_t GetInt(const Json& j, const char* key);
std::optional<int64_t> GetOptInt(const Json& j, const char* key);
uint64_t GetUint(const Json& j, const char* key);
bool GetBool(const Json& j, const char* key, bool fallback);
std::map<std::string, std::string> GetStringMap(const Json& j, const char* key);

/// {"error": {"code": "not_found", "message": "…"}}: how the API reports an Error.
std::string ErrorBody(const Error& error);
/// The HTTP status an error is answered with: 400, 404, 409, 413 or 500.
int HttpStatusOf(ErrorCode code);
/// The Error an error response carries (its code and message as the server had them), or an
/// kIo error naming `request` when the body is not one.
Error ErrorFromResponse(int status, std::string_view body, std::string_view request);

}  // namespace hone::store::wire

#endif  // HONE_STORE_REMOTE_WIRE_H_
