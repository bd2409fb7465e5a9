#include "hone/serve/service.h"

#include <charconv>
#include <chrono>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "hone/learn/training.h"
#include "hone/serve/router.h"
#include "hone/serve/service_internal.h"

namespace hone::serve {
namespace {

using Clock = std::chrono::steady_clock;

// Rows up to this many are predicted one by one on the single-row path; more are transposed
// into a FeatureMatrix for the model's batch path.
constexpr size_t kRowByRowLimit = 8;

std::optional<int64_t> ParseVersion(std::string_view text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v <= 0) return std::nullopt;
  return v;
}

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t at = 1;  // past the leading '/'
  while (at <= path.size()) {
    size_t slash = path.find('/', at);
    if (slash == std::string_view::npos) slash = path.size();
    parts.push_back(path.substr(at, slash - at));
    at = slash + 1;
  }
  return parts;
}

// The value of `key` in a query string ("a=1&model=x"), undecoded; empty when absent.
std::string_view QueryValue(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (pair.size() > key.size() && pair.substr(0, key.size()) == key && pair[key.size()] == '=') {
      return pair.substr(key.size() + 1);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

// The request's key for the router: the x-hone-request-key header, else ?key=.
std::string_view RequestKey(const HttpRequest& request) {
  std::string_view key = request.header ? request.header(kRequestKeyHeader) : std::string_view();
  if (!key.empty()) return key;
  const size_t q = request.target.find('?');
  return q == std::string_view::npos ? std::string_view()
                                     : QueryValue(request.target.substr(q + 1), kRequestKeyParam);
}

std::string ServedNames(const RoutingTable& routes) {
  std::string names;
  for (const auto& [name, _] : routes.models) {
    if (!names.empty()) names += ", ";
    names += name;
  }
  return names.empty() ? "none" : names;
}

}  // namespace

void SetJson(HttpResponse& response, int status, std::string body) {
  response.status = status;
  response.content_type = "application/json";
  response.body = std::move(body);
}

bool RequireMethod(const HttpRequest& request, HttpResponse& response, std::string_view method) {
  if (request.method == method) return true;
  SetJson(response, 405,
          ErrorBody(std::string(request.target) + " takes " + std::string(method) + ", not " +
                    std::string(request.method)));
  response.headers.emplace_back("Allow", std::string(method));
  return false;
}

void InferenceService::Handle(const HttpRequest& request, HttpResponse& response) {
  const std::string_view target = request.target;
  const size_t q = target.find('?');
  const std::string_view path = target.substr(0, q);
  const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);

  if (path == "/metrics") {
    if (!RequireMethod(request, response, "GET")) return;
    response.status = 200;
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    response.body = RenderMetrics();
    return;
  }
  if (path == "/v2/health/live") {
    if (RequireMethod(request, response, "GET")) SetJson(response, 200, R"({"live":true})");
    return;
  }
  if (path == "/v2/health/ready" || path == "/ping" || path == "/health") {
    if (RequireMethod(request, response, "GET")) Ready(response);
    return;
  }
  if (path == "/v2") {
    if (!RequireMethod(request, response, "GET")) return;
    SetJson(response, 200, ServerMetadata().dump());
    return;
  }
  if (path == "/version") {
    if (!RequireMethod(request, response, "GET")) return;
    response.status = 200;
    response.content_type = "text/plain; charset=utf-8";
    response.body = learn::HoneVersion();
    return;
  }
  if (path == "/invocations") {
    if (!RequireMethod(request, response, "POST")) return;
    std::string_view model = QueryValue(query, "model");
    if (model.empty()) model = request.header ? request.header("x-hone-model") : "";
    if (!model.empty()) {
      Infer(request, response, model, "", /*mlflow=*/true);
      return;
    }
    auto routes = manager_.Routes();
    if (routes->models.size() == 1) {
      Infer(request, response, routes->models.begin()->first, "", /*mlflow=*/true);
      return;
    }
    unrouted_.Record(400, {}, 0);
    SetJson(response, 400,
            ErrorBody("/invocations: " + std::to_string(routes->models.size()) +
                      " models are served (" + ServedNames(*routes) +
                      "); name one with ?model=NAME, the x-hone-model header or "
                      "/models/NAME/invocations"));
    return;
  }
  const auto parts = Split(path);
  // /models/{m}/invocations
  if (parts.size() == 3 && parts[0] == "models" && parts[2] == "invocations") {
    if (RequireMethod(request, response, "POST")) {
      Infer(request, response, parts[1], "", /*mlflow=*/true);
    }
    return;
  }
  // /v2/models/{m}[/versions/{v}][/ready|/config|/infer]
  if (parts.size() >= 3 && parts[0] == "v2" && parts[1] == "models" && !parts[2].empty()) {
    std::string_view model = parts[2], version, action;
    size_t next = 3;
    if (parts.size() >= 5 && parts[3] == "versions") {
      version = parts[4];
      next = 5;
    }
    if (parts.size() == next + 1) {
      action = parts[next];
    } else if (parts.size() != next) {
      action = "?";
    }
    if (action == "infer") {
      if (RequireMethod(request, response, "POST")) Infer(request, response, model, version, false);
      return;
    }
    if (action == "feedback" && version.empty()) {
      if (RequireMethod(request, response, "POST")) Feedback(request, response, model);
      return;
    }
    if (action.empty() || action == "ready" || action == "config") {
      if (RequireMethod(request, response, "GET")) {
        ModelEndpoint(request, response, model, version, action);
      }
      return;
    }
  }
  SetJson(response, 404,
          ErrorBody("no endpoint " + std::string(path) +
                    "; see /v2 (Open Inference Protocol), /invocations "
                    "(MLflow), /metrics"));
}

void InferenceService::Ready(HttpResponse& response) const {
  if (draining_.load(std::memory_order_relaxed)) {
    SetJson(response, 503, ErrorBody("shutting down"));
    return;
  }
  auto routes = manager_.Routes();
  std::string why;
  if (!manager_.initial_load_done()) {
    why = "loading the served versions";
  } else if (routes->models.empty()) {
    why = "no model has a served alias";
  } else {
    for (const auto& [name, model] : routes->models) {
      if (!model.default_version) why += (why.empty() ? "" : "; ") + NoVersionReason(name, model);
    }
  }
  if (why.empty()) {
    SetJson(response, 200, R"({"ready":true})");
  } else {
    SetJson(response, 503, ErrorBody("not ready: " + why));
  }
}

InferenceService::InferenceService(ServiceOptions options, const ModelManager& manager)
    : options_(std::move(options)), manager_(manager), shadow_(options_.shadow, options_.limits) {}

void InferenceService::Infer(const HttpRequest& request, HttpResponse& response,
                             std::string_view model, std::string_view version, bool mlflow) {
  const auto start = Clock::now();
  auto routes = manager_.Routes();  // holds every version picked below until the end
  auto pick = PickVersion(*routes, model, version);
  if (!pick.servable) {
    unrouted_.Record(pick.status, Clock::now() - start, 0);
    SetJson(response, pick.status, ErrorBody(pick.error));
    return;
  }
  RouteChoice route{pick.servable, {}, false};
  if (version.empty()) {
    const ModelRoutes& m = *pick.model;
    if (SplitsTraffic(m)) {
      const std::string_view key = RequestKey(request);
      route = RouteRequest(m, key, key.empty() ? ThreadRandom() : 0);
    } else {
      route.alias = m.default_alias;
    }
  }
  const Servable& servable = *route.servable;
  const auto& bundle = servable.loaded.bundle;
  auto decoded =
      mlflow ? DecodeMlflowRequest(request.body, request.content_type, bundle.features,
                                   bundle.target, options_.limits)
             : DecodeOipRequest(request.body, bundle.features, bundle.target, options_.limits);
  int status = 200;
  size_t rows = 0;
  if (!decoded) {
    status = decoded.error().code() == ErrorCode::kUnsupported ? 415 : 400;
    SetJson(response, status, ErrorBody(decoded.error().message()));
  } else {
    rows = decoded->rows;
    auto outputs = PredictRows(*servable.loaded.model, bundle.features.size(), *decoded);
    if (!outputs) {
      status = 500;
      SetJson(response, status, ErrorBody(outputs.error().message()));
    } else {
      Predictions predictions{rows, servable.loaded.model->num_outputs(), *outputs};
      if (monitor_ != nullptr) {
        // Labels come back under the request's OIP "id" when it has one, else its x-request-id.
        const std::string_view id = decoded->id.empty() ? request.request_id : decoded->id;
        auto handle = pick.model->versions.find(servable.version);
        if (handle != pick.model->versions.end()) {
          monitor_->Record(handle->second, id, decoded->values, bundle.features.size(), *outputs,
                           predictions.num_outputs);
        }
      }
      SetJson(response, 200,
              mlflow ? EncodeMlflowResponse(bundle.target, predictions)
                     : EncodeOipResponse(servable.model, servable.version, decoded->id,
                                         bundle.target, predictions));
    }
  }
  response.headers.emplace_back("x-hone-model", servable.model);
  response.headers.emplace_back("x-hone-model-version", std::to_string(servable.version));
  if (!route.alias.empty()) response.headers.emplace_back("x-hone-alias", route.alias);
  servable.stats.Record(status, Clock::now() - start, rows);

  // A copy for the shadow, of what the default version answered, once the answer is made.
  const ModelRoutes& m = *pick.model;
  if (status == 200 && version.empty() && !route.canary && m.shadow) {
    ShadowJob job{.shadow = m.shadow};
    if (monitor_ != nullptr) {
      job.request_id = std::string(decoded->id.empty() ? request.request_id : decoded->id);
    }
    if (m.shadow_reads_default_rows) {
      job.rows = std::move(*decoded);  // the response no longer needs them
    } else {
      job.body = std::string(request.body);
      job.content_type = std::string(request.content_type);
      job.mlflow = mlflow;
    }
    shadow_.Submit(std::move(job));
  }
}

Result<std::span<const float>> PredictRows(const learn::Model& model, size_t width,
                                           const DecodedRows& rows) {
  thread_local std::vector<float> out;
  const size_t k = model.num_outputs();
  out.resize(rows.rows * k);
  if (rows.rows <= kRowByRowLimit) {
    for (size_t i = 0; i < rows.rows; ++i) {
      HONE_TRY(model.PredictRow(std::span<const float>(rows.values.data() + i * width, width),
                                std::span<float>(out.data() + i * k, k)));
    }
  } else {
    learn::FeatureMatrix x(rows.rows, width);
    for (size_t j = 0; j < width; ++j) {
      auto column = x.mutable_column(j);
      for (size_t i = 0; i < rows.rows; ++i) column[i] = rows.values[i * width + j];
    }
    HONE_TRY(model.Predict(x, out, /*threads=*/1));
  }
  return std::span<const float>(out);
}

VersionPick PickVersion(const RoutingTable& routes, std::string_view model,
                        std::string_view version) {
  auto it = routes.models.find(model);
  if (it == routes.models.end()) {
    return {nullptr, nullptr, 404,
            "unknown model '" + std::string(model) + "'; served: " + ServedNames(routes)};
  }
  const ModelRoutes& m = it->second;
  if (version.empty()) {
    if (m.default_version) return {m.default_version.get(), &m, 200, {}};
    return {nullptr, &m, 503, NoVersionReason(model, m)};
  }
  auto v = ParseVersion(version);
  if (!v) {
    return {nullptr, &m, 404,
            "version '" + std::string(version) + "' of model '" + std::string(model) +
                "' is not a version number"};
  }
  if (auto found = m.versions.find(*v); found != m.versions.end()) {
    return {found->second.get(), &m, 200, {}};
  }
  for (const auto& state : m.states) {
    if (state.version != *v) continue;
    if (state.state == VersionState::kLoading) {
      return {nullptr, &m, 503, std::string(model) + "/" + std::to_string(*v) + " is loading"};
    }
    if (state.state == VersionState::kFailed) {
      return {nullptr, &m, 404,
              std::string(model) + "/" + std::to_string(*v) + " failed to load: " + state.error};
    }
  }
  std::string loaded;
  for (const auto& [number, _] : m.versions) {
    loaded += (loaded.empty() ? "" : ", ") + std::to_string(number);
  }
  return {nullptr, &m, 404,
          "version " + std::to_string(*v) + " of model '" + std::string(model) +
              "' is not served (served: " + (loaded.empty() ? "none" : loaded) + ")"};
}

std::string NoVersionReason(std::string_view model, const ModelRoutes& routes) {
  std::string why = "model '" + std::string(model) + "' has no version ready";
  for (const auto& state : routes.states) {
    if (state.state == VersionState::kFailed) {
      why += "; version " + std::to_string(state.version) + " failed to load: " + state.error;
    } else if (state.state == VersionState::kLoading) {
      why += "; version " + std::to_string(state.version) + " is loading";
    }
  }
  return why;
}

}  // namespace hone::serve
