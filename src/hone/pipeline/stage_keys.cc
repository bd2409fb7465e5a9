#include "hone/pipeline/stage_keys.h"

#include "hone/core/digest.h"
#include "hone/learn/training.h"

namespace hone::pipeline {
namespace {

nlohmann::json SearchJson(const learn::SearchRequest& s) {
  nlohmann::json space = nlohmann::json::array();
  for (const learn::SearchDimension& d : s.space) {
    space.push_back({{"param", d.param},
                     {"choices", d.choices},
                     {"low", d.low ? nlohmann::json(*d.low) : nlohmann::json()},
                     {"high", d.high ? nlohmann::json(*d.high) : nlohmann::json()},
                     {"log", d.log},
                     {"integer", d.integer}});
  }
  return {{"method", s.method == learn::SearchMethod::kGrid ? "grid" : "random"},
          {"trials", s.trials},
          {"folds", s.folds},
          {"metric", s.metric},
          {"seed", s.seed},
          {"space", space}};
}

bool IsFinished(const store::Run& run) { return run.status == store::RunStatus::kFinished; }

}  // namespace

StageKeys ComputeStageKeys(const Spec& spec, std::string_view data_digest,
                           const std::optional<registry::CodeState>& code) {
  nlohmann::json params = nlohmann::json::array();
  for (const auto& [name, value] : spec.train.params) params.push_back({name, value});
  nlohmann::json train = {
      {"data", data_digest},
      {"target", spec.target},
      {"task", static_cast<int>(spec.task)},
      {"ignore", spec.ignore},
      {"split", spec.split.ToString()},
      {"test_size", spec.test_size},
      {"seed", spec.seed},
      {"model", spec.train.model},
      {"params", params},
      {"command", spec.train.command},
      {"cv", spec.evaluate.cv},
      {"search", spec.search ? SearchJson(*spec.search) : nlohmann::json()},
      {"hone", learn::HoneVersion()},
  };
  // The data digest is of the transformed data already; the policy is named too, and only
  // when there is one, so that keys without it stay as they were.
  if (!spec.pii.empty()) train["pii"] = spec.pii.ToJson();
  if (!spec.train.command.empty()) {
    train["code"] = code ? nlohmann::json{{"commit", code->commit}, {"diff", code->diff_digest}}
                         : nlohmann::json();
  }
  StageKeys keys;
  keys.train = core::Sha256Hex(train.dump());
  // How `hone watch` releases versions is not an input of training: changing it must not make
  // the work done so far look new.
  nlohmann::json spec_json = spec.ToJson();
  spec_json.erase("watch");
  keys.input =
      core::Sha256Hex(nlohmann::json{{"train", keys.train}, {"spec", std::move(spec_json)}}.dump());
  return keys;
}

std::string ChampionLabel(const std::optional<int64_t>& champion) {
  return champion ? std::to_string(*champion) : "none";
}

Result<std::optional<store::Run>> FindUnchanged(
    store::MetaStore& meta, const StageKeys& keys,
    const std::optional<store::ModelVersion>& champion) {
  if (champion && champion->run_id) {
    auto made = meta.GetRun(*champion->run_id);
    if (made && IsFinished(*made)) {
      auto tag = made->tags.find(kInputKeyTag);
      if (tag != made->tags.end() && tag->second == keys.input) return *made;
    }
  }
  store::RunQuery query;
  query.limit = 20;
  query.tag = std::pair{std::string(kInputKeyTag), keys.input};
  HONE_ASSIGN_OR_RETURN(std::vector<store::Run> runs, meta.ListRuns(query));
  const std::string label =
      ChampionLabel(champion ? std::optional(champion->version) : std::nullopt);
  for (store::Run& run : runs) {
    auto tag = run.tags.find(kChampionTag);
    if (IsFinished(run) && run.tags.contains(kOutcomeTag) && tag != run.tags.end() &&
        tag->second == label) {
      return std::move(run);
    }
  }
  return std::optional<store::Run>();
}

Result<std::optional<TrainedModel>> FindTrainedModel(store::MetaStore& meta,
                                                     std::string_view train_key) {
  store::RunQuery query;
  query.limit = 20;
  query.tag = std::pair{std::string(kTrainKeyTag), std::string(train_key)};
  HONE_ASSIGN_OR_RETURN(std::vector<store::Run> runs, meta.ListRuns(query));
  for (store::Run& run : runs) {
    if (!IsFinished(run)) continue;
    for (const store::RunArtifact& a : run.artifacts) {
      if (a.name == "model.hone") return TrainedModel{std::move(run), a};
    }
  }
  return std::optional<TrainedModel>();
}

}  // namespace hone::pipeline
