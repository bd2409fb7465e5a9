#include "hone/store/remote/wire.h"

#include <cmath>
#include <limits>

namespace hone::store::wire {
namespace {

[[noreturn]] void Bad(const char* key, const char* expected) {
  throw WireError{"'" + std::string(key) + "' must be " + expected};
}

const Json* Find(const Json& j, const char* key) {
  if (!j.is_object()) throw WireError{"expected a JSON object"};
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

Json Number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  return value;
}

double ToDouble(const Json& v, const char* key) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
  }
  Bad(key, "a number (or \"NaN\", \"Infinity\", \"-Infinity\")");
}

double GetDouble(const Json& j, const char* key) {
  const Json* v = Find(j, key);
  if (!v) Bad(key, "a number");
  return ToDouble(*v, key);
}

std::optional<double> GetOptDouble(const Json& j, const char* key) {
  const Json* v = Find(j, key);
  if (!v) return std::nullopt;
  return ToDouble(*v, key);
}

std::optional<bool> GetOptBool(const Json& j, const char* key) {
  const Json* v = Find(j, key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) Bad(key, "true or false");
  return v->get<bool>();
}

std::map<std::string, double> GetDoubleMap(const Json& j, const char* key) {
  std::map<std::string, double> out;
  const Json* v = Find(j, key);
  if (!v) return out;
  if (!v->is_object()) Bad(key, "an object of numbers");
  for (const auto& [k, value] : v->items()) out[k] = ToDouble(value, key);
  return out;
}

Json DoubleMap(const std::map<std::string, double>& m) {
  Json j = Json::object();
  for (const auto& [k, v] : m) j[k] = Number(v);
  return j;
}

template <typename T>
void Put(Json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

std::optional<int64_t> GetOptVersion(const Json& j, const char* key) { return GetOptInt(j, key); }

}  // namespace

std::string GetString(const Json& j, const char* key) {
  const Json* v = Find(j, key);
  if (!v || !v->is_string()) Bad(key, "a string");
  return v->get<std::string>();
}

std::optional<std::string> GetOptString(const Json& j, const char* key) {
  const Json* v = Find(j, key);
  if (!v) return std::nullopt;
  if (!v->is_string()) Bad(key, "a string");
  return v->get<std::string>();
}

int64_t GetInt(const Json& j, const char* key) {
  auto v = GetOptInt(j, key);
  if (!v) Bad(key, "an integer");
  return *v;
}

std::optional<int64_t> GetOptInt(const Json& j, const char* key) {
  const Json* v = Find(j, key);
  if (!v) return std::nullopt;
  if (v->is_number_unsigned()) {
    if (v->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      Bad(key, "an integer in the signed 64-bit range");
    }
    return static_cast<int64_t>(v->get<uint64_t>());
  }
  if (!v->is_number_integer()) Bad(key, "an integer");
  return v->get<int64_t>();
}

uint64_t GetUint(const Json& j, const char* key) {
  const Json* v = Find(j, key);
  if (!v || !v->is_number_unsigned()) {
    if (v && v->is_number_integer() && v->get<int64_t>() >= 0) return v->get<uint64_t>();
    Bad(key, "a non-negative integer");
  }
  return v->get<uint64_t>();
}

bool GetBool(const Json& j, const char* key, bool fallback) {
  return GetOptBool(j, key).value_or(fallback);
}

std::map<std::string, std::string> GetStringMap(const Json& j, const char* key) {
  std::map<std::string, std::string> out;
  const Json* v = Find(j, key);
  if (!v) return out;
  if (!v->is_object()) Bad(key, "an object of strings");
  for (const auto& [k, value] : v->items()) {
    if (!value.is_string())
      throw WireError{"'" + std::string(key) + "." + k + "' must be a string"};
    out[k] = value.get<std::string>();
  }
  return out;
}

// --- runs ---

void Encode(Json& j, const RunStart& v) {
  j["command"] = v.command;
  j["start_ms"] = v.start_ms;
  j["host"] = v.host;
  j["user"] = v.user;
  Put(j, "code_commit", v.code_commit);
  Put(j, "code_dirty", v.code_dirty);
  Put(j, "config_digest", v.config_digest);
  Put(j, "data_digest", v.data_digest);
}
void Decode(const Json& j, RunStart& v) {
  v.command = GetOptString(j, "command").value_or("");
  v.start_ms = GetOptInt(j, "start_ms").value_or(0);
  v.host = GetOptString(j, "host").value_or("");
  v.user = GetOptString(j, "user").value_or("");
  v.code_commit = GetOptString(j, "code_commit");
  v.code_dirty = GetOptBool(j, "code_dirty");
  v.config_digest = GetOptString(j, "config_digest");
  v.data_digest = GetOptString(j, "data_digest");
}

void Encode(Json& j, const Metric& v) {
  j["key"] = v.key;
  j["value"] = Number(v.value);
  j["step"] = v.step;
  j["timestamp_ms"] = v.timestamp_ms;
}
void Decode(const Json& j, Metric& v) {
  v.key = GetString(j, "key");
  v.value = GetDouble(j, "value");
  v.step = GetOptInt(j, "step").value_or(0);
  v.timestamp_ms = GetOptInt(j, "timestamp_ms").value_or(0);
}

void Encode(Json& j, const RunArtifact& v) {
  j["name"] = v.name;
  j["digest"] = v.digest;
  j["bytes"] = v.bytes;
}
void Decode(const Json& j, RunArtifact& v) {
  v.name = GetString(j, "name");
  v.digest = GetString(j, "digest");
  v.bytes = GetInt(j, "bytes");
}

void Encode(Json& j, const Run& v) {
  j["id"] = v.id;
  Encode(j["start"], v.start);
  j["status"] = RunStatusName(v.status);
  Put(j, "end_ms", v.end_ms);
  j["params"] = v.params;
  j["tags"] = v.tags;
  j["metrics"] = ToJsonArray(v.metrics);
  j["artifacts"] = ToJsonArray(v.artifacts);
}
void Decode(const Json& j, Run& v) {
  v.id = GetString(j, "id");
  const Json* start = Find(j, "start");
  if (!start) Bad("start", "an object");
  Decode(*start, v.start);
  auto status = ParseRunStatus(GetString(j, "status"));
  if (!status) throw WireError{status.error().message()};
  v.status = *status;
  v.end_ms = GetOptInt(j, "end_ms");
  v.params = GetStringMap(j, "params");
  v.tags = GetStringMap(j, "tags");
  v.metrics = DecodeArray<Metric>(j, "metrics");
  v.artifacts = DecodeArray<RunArtifact>(j, "artifacts");
}

// --- registry ---

void Encode(Json& j, const NewVersion& v) {
  j["model"] = v.model;
  j["bundle_digest"] = v.bundle_digest;
  Put(j, "run_id", v.run_id);
  Put(j, "data_digest", v.data_digest);
  Put(j, "code_commit", v.code_commit);
  Put(j, "code_dirty", v.code_dirty);
  Put(j, "config_digest", v.config_digest);
  j["params"] = v.params;
  j["metrics"] = DoubleMap(v.metrics);
  Put(j, "parent", v.parent);
  j["description"] = v.description;
}
void Decode(const Json& j, NewVersion& v) {
  v.model = GetOptString(j, "model").value_or("");
  v.bundle_digest = GetString(j, "bundle_digest");
  v.run_id = GetOptString(j, "run_id");
  v.data_digest = GetOptString(j, "data_digest");
  v.code_commit = GetOptString(j, "code_commit");
  v.code_dirty = GetOptBool(j, "code_dirty");
  v.config_digest = GetOptString(j, "config_digest");
  v.params = GetStringMap(j, "params");
  v.metrics = GetDoubleMap(j, "metrics");
  v.parent = GetOptVersion(j, "parent");
  v.description = GetOptString(j, "description").value_or("");
}

void Encode(Json& j, const ModelVersion& v) {
  j["model"] = v.model;
  j["version"] = v.version;
  j["bundle_digest"] = v.bundle_digest;
  Put(j, "run_id", v.run_id);
  Put(j, "data_digest", v.data_digest);
  Put(j, "code_commit", v.code_commit);
  Put(j, "code_dirty", v.code_dirty);
  Put(j, "config_digest", v.config_digest);
  j["params"] = v.params;
  j["metrics"] = DoubleMap(v.metrics);
  Put(j, "parent", v.parent);
  j["description"] = v.description;
  j["created_ms"] = v.created_ms;
  j["created_by"] = v.created_by;
  j["aliases"] = v.aliases;
}
void Decode(const Json& j, ModelVersion& v) {
  v.model = GetString(j, "model");
  v.version = GetInt(j, "version");
  v.bundle_digest = GetString(j, "bundle_digest");
  v.run_id = GetOptString(j, "run_id");
  v.data_digest = GetOptString(j, "data_digest");
  v.code_commit = GetOptString(j, "code_commit");
  v.code_dirty = GetOptBool(j, "code_dirty");
  v.config_digest = GetOptString(j, "config_digest");
  v.params = GetStringMap(j, "params");
  v.metrics = GetDoubleMap(j, "metrics");
  v.parent = GetOptVersion(j, "parent");
  v.description = GetOptString(j, "description").value_or("");
  v.created_ms = GetInt(j, "created_ms");
  v.created_by = GetString(j, "created_by");
  v.aliases.clear();
  if (const Json* a = Find(j, "aliases")) {
    if (!a->is_array()) Bad("aliases", "an array of strings");
    for (const Json& name : *a) {
      if (!name.is_string()) Bad("aliases", "an array of strings");
      v.aliases.push_back(name.get<std::string>());
    }
  }
}

void Encode(Json& j, const Model& v) {
  j["name"] = v.name;
  j["created_ms"] = v.created_ms;
  j["latest_version"] = v.latest_version;
  j["aliases"] = v.aliases;
  j["alias_weights"] = DoubleMap(v.alias_weights);
}
void Decode(const Json& j, Model& v) {
  v.name = GetString(j, "name");
  v.created_ms = GetInt(j, "created_ms");
  v.latest_version = GetInt(j, "latest_version");
  v.aliases.clear();
  if (const Json* a = Find(j, "aliases")) {
    if (!a->is_object()) Bad("aliases", "an object of versions");
    for (const auto& [name, version] : a->items()) {
      if (!version.is_number_integer()) Bad("aliases", "an object of versions");
      v.aliases[name] = version.get<int64_t>();
    }
  }
  v.alias_weights = GetDoubleMap(j, "alias_weights");
}

void Encode(Json& j, const AliasChange& v) {
  j["to"] = v.to ? Json(*v.to) : Json(nullptr);
  if (v.expect) {
    j["expect"] = *v.expect ? Json(**v.expect) : Json(nullptr);
  }
  j["action"] = v.action;
  if (v.weight) j["weight"] = Number(*v.weight);
  if (v.forced) j["force"] = true;
}
void Decode(const Json& j, AliasChange& v) {
  if (!j.is_object()) throw WireError{"expected a JSON object"};
  v.to = GetOptInt(j, "to");
  // "expect" absent: no compare-and-swap; null: only if the alias does not exist.
  if (j.contains("expect")) {
    v.expect = j["expect"].is_null() ? std::optional<int64_t>() : GetOptInt(j, "expect");
  }
  v.action = GetOptString(j, "action").value_or("promote");
  v.weight = GetOptDouble(j, "weight");
  v.forced = GetBool(j, "force", false);
}

void Encode(Json& j, const AliasMove& v) {
  j["id"] = v.id;
  j["model"] = v.model;
  j["alias"] = v.alias;
  j["from"] = v.from ? Json(*v.from) : Json(nullptr);
  j["to"] = v.to ? Json(*v.to) : Json(nullptr);
  j["action"] = v.action;
  j["ts_ms"] = v.ts_ms;
  j["actor"] = v.actor;
  if (v.weight) j["weight"] = Number(*v.weight);
}
void Decode(const Json& j, AliasMove& v) {
  v.id = GetInt(j, "id");
  v.model = GetString(j, "model");
  v.alias = GetString(j, "alias");
  v.from = GetOptInt(j, "from");
  v.to = GetOptInt(j, "to");
  v.action = GetString(j, "action");
  v.ts_ms = GetInt(j, "ts_ms");
  v.actor = GetString(j, "actor");
  v.weight = GetOptDouble(j, "weight");
}

// --- audit, tokens, leases ---

void Encode(Json& j, const AuditRecord& v) {
  j["seq"] = v.seq;
  j["ts_ms"] = v.ts_ms;
  j["actor"] = v.actor;
  j["action"] = v.action;
  j["subject"] = v.subject;
  j["before"] = v.before;
  j["after"] = v.after;
  j["prev_hash"] = v.prev_hash;
  j["hash"] = v.hash;
}
void Decode(const Json& j, AuditRecord& v) {
  v.seq = GetInt(j, "seq");
  v.ts_ms = GetInt(j, "ts_ms");
  v.actor = GetString(j, "actor");
  v.action = GetString(j, "action");
  v.subject = GetString(j, "subject");
  v.before = GetString(j, "before");
  v.after = GetString(j, "after");
  v.prev_hash = GetString(j, "prev_hash");
  v.hash = GetString(j, "hash");
}

void Encode(Json& j, const AuditHead& v) {
  j["seq"] = v.seq;
  j["hash"] = v.hash;
}
void Decode(const Json& j, AuditHead& v) {
  v.seq = GetInt(j, "seq");
  v.hash = GetString(j, "hash");
}

void Encode(Json& j, const ApiToken& v) {
  j["id"] = v.id;
  j["name"] = v.name;
  j["role"] = RoleName(v.role);
  if (!v.salt.empty()) j["salt"] = v.salt;
  if (!v.hash.empty()) j["hash"] = v.hash;
  j["created_ms"] = v.created_ms;
  j["created_by"] = v.created_by;
  Put(j, "revoked_ms", v.revoked_ms);
}
void Decode(const Json& j, ApiToken& v) {
  v.id = GetString(j, "id");
  v.name = GetString(j, "name");
  auto role = ParseRole(GetString(j, "role"));
  if (!role) throw WireError{role.error().message()};
  v.role = *role;
  v.salt = GetOptString(j, "salt").value_or("");
  v.hash = GetOptString(j, "hash").value_or("");
  v.created_ms = GetOptInt(j, "created_ms").value_or(0);
  v.created_by = GetOptString(j, "created_by").value_or("");
  v.revoked_ms = GetOptInt(j, "revoked_ms");
}

void Encode(Json& j, const Lease& v) {
  j["name"] = v.name;
  j["holder"] = v.holder;
  j["expires_ms"] = v.expires_ms;
}
void Decode(const Json& j, Lease& v) {
  v.name = GetString(j, "name");
  v.holder = GetString(j, "holder");
  v.expires_ms = GetInt(j, "expires_ms");
}

// --- monitoring ---

void Encode(Json& j, const MonitorWindow& v) {
  j["model"] = v.model;
  j["version"] = v.version;
  j["start_ms"] = v.start_ms;
  j["end_ms"] = v.end_ms;
  j["server"] = v.server;
  j["requests"] = v.requests;
  j["errors"] = v.errors;
  j["rows"] = v.rows;
  j["summary"] = v.summary;
}
void Decode(const Json& j, MonitorWindow& v) {
  v.model = GetString(j, "model");
  v.version = GetInt(j, "version");
  v.start_ms = GetInt(j, "start_ms");
  v.end_ms = GetInt(j, "end_ms");
  v.server = GetString(j, "server");
  v.requests = GetUint(j, "requests");
  v.errors = GetUint(j, "errors");
  v.rows = GetUint(j, "rows");
  v.summary = GetString(j, "summary");
}

void Encode(Json& j, const PredictionRecord& v) {
  j["request_id"] = v.request_id;
  j["model"] = v.model;
  j["version"] = v.version;
  j["ts_ms"] = v.ts_ms;
  j["inputs"] = v.inputs;
  j["output"] = v.output;
}
void Decode(const Json& j, PredictionRecord& v) {
  v.request_id = GetString(j, "request_id");
  v.model = GetString(j, "model");
  v.version = GetInt(j, "version");
  v.ts_ms = GetOptInt(j, "ts_ms").value_or(0);
  v.inputs = GetString(j, "inputs");
  v.output = GetString(j, "output");
}

void Encode(Json& j, const Feedback& v) {
  j["request_id"] = v.request_id;
  j["label"] = v.label;
  j["ts_ms"] = v.ts_ms;
}
void Decode(const Json& j, Feedback& v) {
  v.request_id = GetString(j, "request_id");
  v.label = GetString(j, "label");
  v.ts_ms = GetOptInt(j, "ts_ms").value_or(0);
}

void Encode(Json& j, const FeedbackResult& v) {
  j["matched"] = v.matched;
  j["unknown"] = v.unknown;
  j["unknown_count"] = v.unknown_count;
}
void Decode(const Json& j, FeedbackResult& v) {
  v.matched = GetUint(j, "matched");
  v.unknown_count = GetUint(j, "unknown_count");
  v.unknown.clear();
  if (const Json* u = Find(j, "unknown")) {
    if (!u->is_array()) Bad("unknown", "an array of strings");
    for (const Json& id : *u) {
      if (!id.is_string()) Bad("unknown", "an array of strings");
      v.unknown.push_back(id.get<std::string>());
    }
  }
}

void Encode(Json& j, const LabelledPrediction& v) {
  Encode(j["prediction"], v.prediction);
  j["label"] = v.label;
  j["label_ms"] = v.label_ms;
}
void Decode(const Json& j, LabelledPrediction& v) {
  const Json* p = Find(j, "prediction");
  if (!p) Bad("prediction", "an object");
  Decode(*p, v.prediction);
  v.label = GetString(j, "label");
  v.label_ms = GetInt(j, "label_ms");
}

// --- envelopes ---

Result<Json> Parse(std::string_view text, std::string_view what) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Fail(ErrorCode::kInvalidArgument, std::string(what) + " is not valid JSON");
  }
  return j;
}

std::string ErrorBody(const Error& error) {
  return Json{{"error", {{"code", ErrorCodeName(error.code())}, {"message", error.message()}}}}
      .dump();
}

int HttpStatusOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kInvalidData:
    case ErrorCode::kUnsupported:
      return 400;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kIo:
    case ErrorCode::kCorrupt:
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

Error ErrorFromResponse(int status, std::string_view body, std::string_view request) {
  Json j = Json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    const Json& e = j["error"];
    const std::string code =
        e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "";
    const std::string message =
        e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>() : "";
    for (ErrorCode c :
         {ErrorCode::kInvalidArgument, ErrorCode::kInvalidData, ErrorCode::kNotFound,
          ErrorCode::kIo, ErrorCode::kCorrupt, ErrorCode::kConflict, ErrorCode::kUnsupported,
          ErrorCode::kInternal, ErrorCode::kPermissionDenied}) {
      if (code == ErrorCodeName(c)) return Error(c, message);
    }
    if (!message.empty()) {
      return Error(status == 401 || status == 403 ? ErrorCode::kPermissionDenied : ErrorCode::kIo,
                   message);
    }
  }
  return Error(ErrorCode::kIo, std::string(request) + " answered HTTP " + std::to_string(status) +
                                   (body.empty() ? "" : ": " + std::string(body.substr(0, 200))));
}

}  // namespace hone::store::wire
