// Spec::ToJson: the normalised form of a parsed hone.yaml, for --dry-run and the stage keys.
#include <optional>

#include "hone/pipeline/spec.h"
#include "hone/pipeline/spec_sections.h"

namespace hone::pipeline {
namespace {

const char* TaskRequestName(learn::TaskRequest task) {
  switch (task) {
    case learn::TaskRequest::kAuto:
      return "auto";
    case learn::TaskRequest::kRegression:
      return "regression";
    case learn::TaskRequest::kClassification:
      return "classification";
  }
  return "auto";
}

nlohmann::json OptionalNumber(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

const char* DataKindName(DataSourceSpec::Kind kind) {
  switch (kind) {
    case DataSourceSpec::Kind::kFile:
      return "file";
    case DataSourceSpec::Kind::kGlob:
      return "glob";
    case DataSourceSpec::Kind::kSql:
      return "sql";
  }
  return "file";
}

const char* GateKindName(gate::MetricGate::Kind kind) {
  switch (kind) {
    case gate::MetricGate::Kind::kAbsolute:
      return "absolute";
    case gate::MetricGate::Kind::kNoWorseThan:
      return "no_worse_than";
    case gate::MetricGate::Kind::kBetterThan:
      return "better_than";
  }
  return "absolute";
}

}  // namespace

nlohmann::json Spec::ToJson() const {
  using nlohmann::json;
  json checks_json = json::array();
  for (const gate::DataCheck& c : checks) {
    checks_json.push_back({{"kind", gate::DataCheckKindName(c.kind)},
                           {"severity", gate::SeverityName(c.severity)},
                           {"columns", c.columns},
                           {"min", OptionalNumber(c.min)},
                           {"max", OptionalNumber(c.max)},
                           {"allowed", c.allowed}});
  }
  json params_json = json::array();
  for (const auto& [name, value] : train.params) params_json.push_back(json::array({name, value}));
  json search_json = nullptr;
  if (search) {
    json space = json::array();
    for (const learn::SearchDimension& d : search->space) {
      space.push_back({{"param", d.param},
                       {"choices", d.choices},
                       {"min", OptionalNumber(d.low)},
                       {"max", OptionalNumber(d.high)},
                       {"log", d.log},
                       {"integer", d.integer}});
    }
    search_json = {{"method", search->method == learn::SearchMethod::kGrid ? "grid" : "random"},
                   {"trials", search->trials},
                   {"folds", search->folds},
                   {"metric", search->metric},
                   {"parallel", search->parallel},
                   {"seed", search->seed},
                   {"space", std::move(space)}};
  }
  json gates_json = json::array();
  for (const gate::MetricGate& g : gates) {
    gates_json.push_back({{"kind", GateKindName(g.kind)},
                          {"metric", g.metric},
                          {"op", gate::OpText(g.op)},
                          {"threshold", g.threshold},
                          {"margin", g.margin},
                          {"relative", g.relative},
                          {"severity", gate::SeverityName(g.severity)}});
  }
  // `file`, `dir` and the `where`/`text` of checks and gates say where things are written,
  // not what they are: they stay out, so that moving the file or a comment changes nothing.
  json out = {
      {"model", model},
      {"data",
       {{"kind", DataKindName(data.kind)},
        {"path", data.path},
        {"url", data.url},
        {"query", data.query},
        {"snapshot", data.snapshot}}},
      {"target", target},
      {"task", TaskRequestName(task)},
      {"ignore", ignore},
      {"split", split.ToString()},
      {"test_size", test_size},
      {"seed", seed},
      {"checks", std::move(checks_json)},
      {"train",
       {{"model", train.command.empty() ? train.model : ""},
        {"params", std::move(params_json)},
        {"command", train.command},
        {"timeout_seconds", train.timeout_seconds},
        {"threads", train.threads}}},
      {"search", std::move(search_json)},
      {"evaluate",
       {{"cv", evaluate.cv}, {"slices", evaluate.slices}, {"latency_rows", evaluate.latency_rows}}},
      {"gates", std::move(gates_json)},
      {"bootstrap",
       {{"resamples", bootstrap.resamples},
        {"confidence", bootstrap.confidence},
        {"seed", bootstrap.seed}}},
      {"promote", {{"alias", promote.alias}, {"enabled", promote.enabled}}},
      {"executor", executor},
  };
  if (watch) out["watch"] = spec_internal::WatchJson(*watch);
  // Only when given, so that the digests of specs without one stay as they were.
  if (!pii.empty()) out["pii"] = pii.ToJson();
  return out;
}

}  // namespace hone::pipeline
