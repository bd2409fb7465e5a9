// hone.yaml: a pipeline's declaration, parsed (yaml-cpp) and validated into a Spec before any
// stage runs. Every error names the file, line and column and, for an unknown key, the valid
// keys. The documented reference is docs/hone-yaml.md.
#ifndef HONE_PIPELINE_SPEC_H_
#define HONE_PIPELINE_SPEC_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "hone/core/error.h"
#include "hone/core/pii.h"
#include "hone/gate/data_checks.h"
#include "hone/gate/model_gates.h"
#include "hone/learn/search.h"
#include "hone/learn/task.h"
#include "hone/learn/training.h"
#include "hone/pipeline/watch_spec.h"

namespace hone::pipeline {

/// Where the data comes from. Relative paths are relative to the folder holding hone.yaml.
struct DataSourceSpec {
  enum class Kind {
    kFile,  // `path: data.csv`
    kGlob,  // `glob: incoming/*.csv`: every match, in name order, one header
    kSql,   // `sql: {url: sqlite:///sales.db | postgresql://..., query: SELECT ...}`
  };
  Kind kind = Kind::kFile;
  std::string path;   // kFile, kGlob (the pattern), resolved against the spec's folder
  std::string url;    // kSql
  std::string query;  // kSql
  /// Keep the snapshot's bytes in the artifact store (so any version can be retrained exactly).
  bool snapshot = false;
};

struct TrainSpec {
  /// Built-in trainer: "random_forest", "gbdt", "linear".
  std::string model = "random_forest";
  /// Parameter assignments, in order, as for `hone train --param`.
  learn::ParamAssignments params;
  /// Not empty: run this shell command instead of a built-in trainer (see command_trainer.h).
  std::string command;
  double timeout_seconds = 3600;
  /// 0 = every core.
  unsigned threads = 0;
};

struct EvaluateSpec {
  /// Cross-validation folds on the training rows (0 = none, else >= 2).
  int cv = 0;
  /// Categorical columns whose every value gets its own metrics on the holdout.
  std::vector<std::string> slices;
  /// Holdout rows timed one at a time for p50/p99 single-row latency.
  size_t latency_rows = 1000;
};

struct PromoteSpec {
  /// The alias a blessed candidate moves; its current target is the champion.
  std::string alias = "production";
  /// false: register a blessed candidate but move no alias.
  bool enabled = true;
};

/// What a stage's Slurm jobs ask for; 0 or empty leaves the cluster's default.
struct SlurmStageSpec {
  std::string partition;
  int64_t time_minutes = 0;  // --time
  int cpus = 0;              // --cpus-per-task
  std::string memory;        // --mem: "512M", "4G"
  int max_running = 0;       // a search's array: the most trials at once
};

/// `executor: slurm`, or `executor: {slurm: {...}}`: the train stage and every search trial
/// run as Slurm jobs (a search as one job array) of the same hone binary on the same store.
struct SlurmExecutorSpec {
  SlurmStageSpec train;
  SlurmStageSpec search;
  /// How often squeue is asked about the jobs.
  int64_t poll_ms = 500;
};

struct Spec {
  std::filesystem::path file;  // hone.yaml as given
  std::filesystem::path dir;   // the folder relative paths resolve against
  std::string model;
  DataSourceSpec data;
  std::string target;
  learn::TaskRequest task = learn::TaskRequest::kAuto;
  std::vector<std::string> ignore;
  /// `pii:`: columns dropped or replaced by a keyed hash as soon as the data is read, before
  /// the snapshot, the checks, training and the reference profile (core/pii.h).
  core::PiiPolicy pii;
  /// `pii_key_file:`: a file holding the hash key, as written (relative to `dir`); the
  /// environment's HONE_PII_KEY or HONE_PII_KEY_FILE come first.
  std::string pii_key_file;
  learn::SplitSpec split;
  double test_size = 0.2;
  uint64_t seed = 42;
  std::vector<gate::DataCheck> checks;
  TrainSpec train;
  std::optional<learn::SearchRequest> search;
  EvaluateSpec evaluate;
  std::vector<gate::MetricGate> gates;
  gate::BootstrapOptions bootstrap;
  PromoteSpec promote;
  /// "local": stages run in this process; "slurm": as Slurm jobs (`slurm` says how).
  std::string executor = "local";
  SlurmExecutorSpec slurm;
  /// `watch:`: what `hone watch` does for this model; absent: the defaults of watch_spec.h.
  std::optional<WatchSpec> watch;

  /// The spec as normalised JSON (defaults filled in, paths as written): what --dry-run shows
  /// and what the stage keys digest, so a change of comments or key order changes nothing.
  nlohmann::json ToJson() const;
};

/// Parses hone.yaml text; `file` names it in errors ("hone.yaml:12:3: unknown key 'targte' in
/// the top level; valid keys: model, data, target, ...") and its parent folder becomes `dir`.
Result<Spec> ParseSpec(std::string_view text, const std::filesystem::path& file);
/// Reads and parses a file.
Result<Spec> LoadSpec(const std::filesystem::path& file);

}  // namespace hone::pipeline

#endif  // HONE_PIPELINE_SPEC_H_
