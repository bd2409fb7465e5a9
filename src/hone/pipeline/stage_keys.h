// The stage cache, as DVC keeps one: each stage's key is the digest of its inputs, kept as a
// tag on the run that did the work, so the store (SQLite or PostgreSQL) is the cache and every
// machine sharing it shares the cache.
//   train key: the data digest, what determines the model (target, task, ignored columns,
//     split, seed, train and search sections, the evaluate section's cross-validation), hone's
//     version, and for a command stage the code commit (and a digest of uncommitted changes);
//     a built-in trainer's code is hone itself, whose version is in the key.
//   input key: the train key and every other part of the spec (checks, slices, gates,
//     bootstrap, promotion).
// A run whose input key and champion equal an earlier finished run's, or whose champion was
// itself made from the same input key, is "unchanged". A run whose train key equals an earlier
// run's reuses that run's model instead of training.
#ifndef HONE_PIPELINE_STAGE_KEYS_H_
#define HONE_PIPELINE_STAGE_KEYS_H_

#include <optional>
#include <string>
#include <string_view>

#include "hone/core/error.h"
#include "hone/pipeline/spec.h"
#include "hone/registry/code_state.h"
#include "hone/store/meta_store.h"

namespace hone::pipeline {

/// Run tags the pipeline writes (and looks runs up by).
inline constexpr char kPipelineTag[] = "hone.pipeline";  // the model name
inline constexpr char kInputKeyTag[] = "hone.input_key";
inline constexpr char kTrainKeyTag[] = "hone.train_key";
inline constexpr char kChampionTag[] = "hone.champion";     // "3" or "none"
inline constexpr char kOutcomeTag[] = "hone.outcome";       // promoted, registered, rejected
inline constexpr char kParentRunTag[] = "hone.parent_run";  // on search trials
inline constexpr char kPiiTag[] = "hone.pii";               // the snapshot's pii record, as JSON

struct StageKeys {
  std::string train;
  std::string input;
};

StageKeys ComputeStageKeys(const Spec& spec, std::string_view data_digest,
                           const std::optional<registry::CodeState>& code);

/// "none" or the champion's version number, as kChampionTag holds it.
std::string ChampionLabel(const std::optional<int64_t>& champion);

/// The earlier finished run that makes this one unchanged, if any: the run that made the
/// champion, when its input key is `keys.input`; else the newest finished run with this input
/// key that compared with the same champion.
Result<std::optional<store::Run>> FindUnchanged(store::MetaStore& meta, const StageKeys& keys,
                                                const std::optional<store::ModelVersion>& champion);

/// The newest finished run with this train key that kept a model ("model.hone"), and that
/// artifact.
struct TrainedModel {
  store::Run run;
  store::RunArtifact bundle;
};
Result<std::optional<TrainedModel>> FindTrainedModel(store::MetaStore& meta,
                                                     std::string_view train_key);

}  // namespace hone::pipeline

#endif  // HONE_PIPELINE_STAGE_KEYS_H_
