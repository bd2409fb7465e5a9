// The model endpoints of the Open Inference Protocol: metadata, readiness and configuration.
#include <string>

#include "hone/learn/task.h"
#include "hone/learn/training.h"
#include "hone/serve/service.h"
#include "hone/serve/service_internal.h"

namespace hone::serve {

namespace {

nlohmann::json InputsOf(const learn::FeatureSchema& schema) {
  nlohmann::json inputs = nlohmann::json::array();
  for (const auto& f : schema.features()) {
    const bool numeric = f.type == core::ColumnType::kNumeric;
    inputs.push_back({{"name", f.name}, {"datatype", numeric ? "FP32" : "BYTES"}, {"shape", {-1}}});
  }
  return inputs;
}

nlohmann::json OutputsOf(const learn::TargetInfo& target) {
  if (!learn::IsClassification(target.task)) {
    return nlohmann::json::array(
        {{{"name", "predictions"}, {"datatype", "FP32"}, {"shape", {-1}}}});
  }
  return nlohmann::json::array({{{"name", "predictions"},
                                 {"datatype", LabelsAreInt64(target) ? "INT64" : "BYTES"},
                                 {"shape", {-1}}},
                                {{"name", "probabilities"},
                                 {"datatype", "FP32"},
                                 {"shape", {-1, static_cast<int64_t>(target.num_classes())}},
                                 {"parameters", {{"classes", target.classes}}}}});
}

nlohmann::json StatesOf(const ModelRoutes& m) {
  nlohmann::json states = nlohmann::json::array();
  for (const auto& s : m.states) {
    nlohmann::json state = {{"version", std::to_string(s.version)},
                            {"state", VersionStateName(s.state)},
                            {"aliases", s.aliases}};
    if (!s.error.empty()) state["error"] = s.error;
    states.push_back(std::move(state));
  }
  return states;
}

}  // namespace

nlohmann::json ServerMetadata() {
  return {
      {"name", "hone"}, {"version", learn::HoneVersion()}, {"extensions", nlohmann::json::array()}};
}

void InferenceService::ModelEndpoint(const HttpRequest&, HttpResponse& response,
                                     std::string_view model, std::string_view version,
                                     std::string_view action) {
  auto routes = manager_.Routes();
  auto pick = PickVersion(*routes, model, version);
  if (action == "ready") {
    if (pick.servable) {
      SetJson(response, 200, nlohmann::json({{"name", model}, {"ready", true}}).dump());
    } else {
      SetJson(response, pick.status, ErrorBody(pick.error));
    }
    return;
  }
  auto found = routes->models.find(model);
  if (found == routes->models.end() || (!version.empty() && !pick.servable)) {
    SetJson(response, pick.status == 503 ? 503 : 404, ErrorBody(pick.error));
    return;
  }
  const ModelRoutes& m = found->second;
  if (action == "config") {
    if (!pick.servable) {
      SetJson(response, pick.status, ErrorBody(pick.error));
      return;
    }
    const auto& loaded = pick.servable->loaded;
    nlohmann::json config = {
        {"name", model},
        {"version", std::to_string(pick.servable->version)},
        {"model_kind", loaded.bundle.model_kind},
        {"digest", loaded.digest},
        {"target", loaded.bundle.target.ToJson()},
        {"features", loaded.bundle.features.ToJson()},
        {"params", loaded.bundle.params},
        {"metrics", loaded.bundle.metrics},
        {"max_batch_rows", options_.limits.max_rows},
    };
    SetJson(response, 200, config.dump());
    return;
  }
  // Metadata: the protocol's fields, plus hone's view of the model's versions.
  nlohmann::json versions = nlohmann::json::array();
  for (const auto& [number, _] : m.versions) versions.push_back(std::to_string(number));
  nlohmann::json aliases = nlohmann::json::object();
  for (const auto& [alias, number] : m.aliases) aliases[alias] = std::to_string(number);
  nlohmann::json meta = {{"name", model}, {"versions", versions}};
  if (pick.servable) {
    const auto& bundle = pick.servable->loaded.bundle;
    meta["platform"] = "hone_" + bundle.model_kind;
    meta["inputs"] = InputsOf(bundle.features);
    meta["outputs"] = OutputsOf(bundle.target);
  }
  meta["default_version"] = pick.servable && version.empty()
                                ? nlohmann::json(std::to_string(pick.servable->version))
                                : nlohmann::json();
  meta["aliases"] = aliases;
  // How requests that name no version are routed (router.h), and where copies go (shadow.h).
  if (m.default_version) meta["default_alias"] = m.default_alias;
  if (m.canary) {
    meta["canary_version"] = std::to_string(m.canary->version);
    meta["canary_weight"] = m.canary_weight;
  }
  if (m.shadow) meta["shadow_version"] = std::to_string(m.shadow->version);
  meta["states"] = StatesOf(m);
  SetJson(response, 200, meta.dump());
}

}  // namespace hone::serve
