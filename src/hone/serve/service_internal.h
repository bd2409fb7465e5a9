// Pieces of InferenceService shared by its files (service.cc, service_models.cc,
// service_metrics.cc) and its tests.
#ifndef HONE_SERVE_SERVICE_INTERNAL_H_
#define HONE_SERVE_SERVICE_INTERNAL_H_

#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "hone/core/error.h"
#include "hone/learn/model.h"
#include "hone/serve/http_server.h"
#include "hone/serve/infer_codec.h"
#include "hone/serve/servable.h"

namespace hone::serve {

/// Answers `status` with a JSON body.
void SetJson(HttpResponse& response, int status, std::string body);

/// True when the request used `method`; otherwise answers 405 with an Allow header.
bool RequireMethod(const HttpRequest& request, HttpResponse& response, std::string_view method);

/// The version a request reaches, or the status and message that say why none. The pointers
/// are into the routing table PickVersion read, valid while the caller holds it.
struct VersionPick {
  const Servable* servable = nullptr;
  const ModelRoutes* model = nullptr;  // set whenever the model is served
  int status = 200;
  std::string error;
};
/// `version` empty: the model's default version (the router may send the request to the
/// canary instead: router.h).
VersionPick PickVersion(const RoutingTable& routes, std::string_view model,
                        std::string_view version);
/// "model 'm' has no version ready; version 3 failed to load: …".
std::string NoVersionReason(std::string_view model, const ModelRoutes& routes);

/// Predicts decoded rows (each `width` features) into a thread-local buffer, valid until the
/// thread's next call: one row at a time for small requests, the batch path for larger ones.
Result<std::span<const float>> PredictRows(const learn::Model& model, size_t width,
                                           const DecodedRows& rows);

/// GET /v2: {"name": "hone", "version", "extensions": []}.
nlohmann::json ServerMetadata();

}  // namespace hone::serve

#endif  // HONE_SERVE_SERVICE_INTERNAL_H_
