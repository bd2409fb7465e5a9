// hone.yaml's `executor:` → where the train stage and search trials run, and what their Slurm
// jobs ask of the cluster.
#include <cmath>
#include <string>
#include <string_view>

#include "hone/pipeline/spec_sections.h"

namespace hone::pipeline::spec_internal {
namespace {

constexpr std::string_view kExecutors[] = {"local", "slurm"};
constexpr std::string_view kExecutorKeys[] = {"slurm"};
constexpr std::string_view kSlurmKeys[] = {"partition",   "time",  "cpus",   "memory",
                                           "max_running", "train", "search", "poll"};
constexpr std::string_view kStageKeys[] = {"partition", "time", "cpus", "memory", "max_running"};

// Reads the resources `f` names into `stage` (which holds the defaults so far).
Result<void> ReadResources(const Context& cx, const Fields& f, SlurmStageSpec& stage) {
  if (const Value* p = f.Find("partition")) {
    HONE_ASSIGN_OR_RETURN(stage.partition, NonEmptyText(cx, *p));
  }
  if (const Value* t = f.Find("time")) {
    HONE_ASSIGN_OR_RETURN(double seconds, Duration(cx, *t, 366 * 86400.0, "366 days"));
    stage.time_minutes = static_cast<int64_t>(std::ceil(seconds / 60));
  }
  if (const Value* c = f.Find("cpus")) {
    HONE_ASSIGN_OR_RETURN(stage.cpus, (Integer<int>(cx, *c, "a whole number in [1, 4096]",
                                                    [](int n) { return n >= 1 && n <= 4096; })));
  }
  if (const Value* m = f.Find("memory")) {
    HONE_ASSIGN_OR_RETURN(std::string memory, Text(cx, *m));
    const bool unit =
        !memory.empty() && std::string_view("KMGT").find(memory.back()) != std::string_view::npos;
    const std::string_view number =
        std::string_view(memory).substr(0, memory.size() - (unit ? 1 : 0));
    const bool ok =
        !number.empty() && number.find_first_not_of("0123456789") == std::string_view::npos;
    if (!ok) {
      return cx.Fail(*m, m->path +
                             " must be Slurm's --mem: megabytes, or a number with K, M, G "
                             "or T (512M, 4G), got " +
                             Describe(m->node));
    }
    stage.memory = memory;
  }
  if (const Value* r = f.Find("max_running")) {
    HONE_ASSIGN_OR_RETURN(stage.max_running, (Integer<int>(cx, *r, "a whole number >= 1",
                                                           [](int n) { return n >= 1; })));
  }
  return {};
}

}  // namespace

Result<void> ReadExecutor(const Context& cx, const Value& v, Spec& spec) {
  if (v.node.IsScalar()) {
    HONE_ASSIGN_OR_RETURN(spec.executor, Text(cx, v));
    if (!Contains(kExecutors, spec.executor)) {
      return cx.Fail(v, "executor: unknown executor '" + spec.executor +
                            "'; valid executors: " + Join(kExecutors));
    }
    return {};
  }
  if (!v.node.IsMap()) {
    return cx.Fail(
        v, "executor must be local, slurm or a map {slurm: {...}}, got " + Describe(v.node));
  }
  HONE_ASSIGN_OR_RETURN(Fields top, Fields::Read(cx, v, kExecutorKeys));
  HONE_ASSIGN_OR_RETURN(const Value* slurm, top.Require(cx, "slurm"));
  spec.executor = "slurm";
  if (slurm->node.IsNull()) return {};
  HONE_ASSIGN_OR_RETURN(Fields f, Fields::Read(cx, *slurm, kSlurmKeys));
  SlurmStageSpec both;
  HONE_TRY(ReadResources(cx, f, both));
  spec.slurm.train = both;
  spec.slurm.search = both;
  for (auto [key, stage] :
       {std::pair{"train", &spec.slurm.train}, {"search", &spec.slurm.search}}) {
    if (const Value* s = f.Find(key)) {
      HONE_ASSIGN_OR_RETURN(Fields sf, Fields::Read(cx, *s, kStageKeys));
      HONE_TRY(ReadResources(cx, sf, *stage));
    }
  }
  if (const Value* p = f.Find("poll")) {
    HONE_ASSIGN_OR_RETURN(double seconds, Duration(cx, *p, 3600, "1h"));
    spec.slurm.poll_ms = std::max<int64_t>(1, static_cast<int64_t>(seconds * 1000));
  }
  return {};
}

}  // namespace hone::pipeline::spec_internal
