// Internal to pipeline/ (spec*.cc only): the readers of hone.yaml's sections that live in files
// of their own, for ReadSpec (spec.cc) to call. Each reads one node into a part of the Spec and
// fails with a FILE:LINE:COL error; none throws.
#ifndef HONE_PIPELINE_SPEC_SECTIONS_H_
#define HONE_PIPELINE_SPEC_SECTIONS_H_

#include <cstdint>
#include <vector>

#include "hone/core/error.h"
#include "hone/gate/data_checks.h"
#include "hone/gate/model_gates.h"
#include "hone/learn/search.h"
#include "hone/pipeline/spec.h"
#include "hone/pipeline/spec_reader.h"

namespace hone::pipeline::spec_internal {

/// `checks:` (spec_checks.cc): a list of `- KIND` or `- KIND: {options}`.
Result<std::vector<gate::DataCheck>> ReadChecks(const Context& cx, const Value& v);

/// `train:` (spec_train.cc): a built-in trainer and its checked parameters, or a command.
Result<TrainSpec> ReadTrain(const Context& cx, const Value& v);
/// `search:` (spec_train.cc) over `train`'s trainer; `seed` is the spec's, the default.
Result<learn::SearchRequest> ReadSearch(const Context& cx, const Value& v, const TrainSpec& train,
                                        uint64_t seed);

/// `gates:` (spec_gates.cc): a list of `- METRIC OP NUMBER` or `- METRIC: {options}`.
Result<std::vector<gate::MetricGate>> ReadGates(const Context& cx, const Value& v);
/// `bootstrap:` (spec_gates.cc); `seed` is the spec's, the default.
Result<gate::BootstrapOptions> ReadBootstrap(const Context& cx, const Value& v, uint64_t seed);

/// `watch:` (spec_watch.cc): triggers, release and the loop's timing.
Result<WatchSpec> ReadWatch(const Context& cx, const Value& v);
nlohmann::json WatchJson(const WatchSpec& watch);
/// Whether `schedule` is valid cron syntax (the error says what is wrong).
Result<void> CheckSchedule(std::string_view schedule);

/// `executor:` (spec_executor.cc): `local`, `slurm`, or `{slurm: {...}}` with the jobs'
/// resources, for both stages or per stage (`train:`, `search:`).
Result<void> ReadExecutor(const Context& cx, const Value& v, Spec& spec);

/// `pii:` (spec_pii.cc): a map of column: drop | hash, into spec.pii.
Result<void> ReadPii(const Context& cx, const Value& v, Spec& spec);
/// Once the whole spec is read: no pii on the target or the time column, no check or slice
/// reading a dropped column, no range or categories check on a hashed one.
Result<void> CheckPii(const Context& cx, const Fields& top, const Spec& spec);

}  // namespace hone::pipeline::spec_internal

#endif  // HONE_PIPELINE_SPEC_SECTIONS_H_
