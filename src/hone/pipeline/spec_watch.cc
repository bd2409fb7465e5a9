// hone.yaml's `watch:` section → WatchSpec: what makes `hone watch` retrain, how a candidate
// meets live traffic, and the limits it is judged by. Every key is optional; the defaults are
// watch_spec.h's.
#include <string>
#include <string_view>

#include "hone/core/cron.h"
#include "hone/gate/verdict.h"
#include "hone/pipeline/spec_sections.h"

namespace hone::pipeline::spec_internal {
namespace {

constexpr std::string_view kWatchKeys[] = {"interval", "cooldown", "lease", "triggers", "release"};
constexpr std::string_view kTriggerKeys[] = {"new_data", "commit", "schedule", "drift", "decay"};
constexpr std::string_view kDriftKeys[] = {"enabled", "share", "psi", "prediction", "min_rows"};
constexpr std::string_view kDecayKeys[] = {"enabled", "metric", "margin", "min_labels"};
constexpr std::string_view kReleaseKeys[] = {
    "mode",       "weight",        "min_requests",      "min_time",
    "min_labels", "max_time",      "max_error_rate",    "max_p99_ms",
    "p99_ratio",  "metric_margin", "max_prediction_psi"};
constexpr std::string_view kReleaseModes[] = {"canary", "shadow", "direct"};

Result<double> Share(const Context& cx, const Value& v) {
  return Number(cx, v, "a number in [0, 1]", [](double x) { return x >= 0 && x <= 1; });
}

Result<double> NonNegative(const Context& cx, const Value& v) {
  return Number(cx, v, "a number >= 0", [](double x) { return x >= 0; });
}

Result<uint64_t> Whole(const Context& cx, const Value& v) {
  return Integer<uint64_t>(cx, v, "an integer >= 0", [](uint64_t) { return true; });
}

// `drift: true | false | {enabled, share, psi, prediction, min_rows}`.
Result<DriftTriggerSpec> ReadDrift(const Context& cx, const Value& v) {
  DriftTriggerSpec drift;
  if (v.node.IsScalar()) {
    HONE_ASSIGN_OR_RETURN(drift.enabled, Bool(cx, v));
    return drift;
  }
  HONE_ASSIGN_OR_RETURN(Fields f, Fields::Read(cx, v, kDriftKeys));
  if (const Value* e = f.Find("enabled")) {
    HONE_ASSIGN_OR_RETURN(drift.enabled, Bool(cx, *e));
  }
  if (const Value* s = f.Find("share")) {
    HONE_ASSIGN_OR_RETURN(drift.share, Share(cx, *s));
  }
  if (const Value* p = f.Find("psi")) {
    HONE_ASSIGN_OR_RETURN(drift.psi, NonNegative(cx, *p));
  }
  if (const Value* p = f.Find("prediction")) {
    HONE_ASSIGN_OR_RETURN(drift.prediction, Bool(cx, *p));
  }
  if (const Value* n = f.Find("min_rows")) {
    HONE_ASSIGN_OR_RETURN(drift.min_rows, Whole(cx, *n));
  }
  return drift;
}

// `decay: true | false | {enabled, metric, margin, min_labels}`.
Result<DecayTriggerSpec> ReadDecay(const Context& cx, const Value& v) {
  DecayTriggerSpec decay;
  if (v.node.IsScalar()) {
    HONE_ASSIGN_OR_RETURN(decay.enabled, Bool(cx, v));
    return decay;
  }
  HONE_ASSIGN_OR_RETURN(Fields f, Fields::Read(cx, v, kDecayKeys));
  if (const Value* e = f.Find("enabled")) {
    HONE_ASSIGN_OR_RETURN(decay.enabled, Bool(cx, *e));
  }
  if (const Value* m = f.Find("metric")) {
    HONE_ASSIGN_OR_RETURN(decay.metric, NonEmptyText(cx, *m));
    if (auto known = gate::HigherIsBetter(decay.metric); !known) {
      return cx.Fail(*m, m->path + ": " + known.error().message());
    }
  }
  if (const Value* m = f.Find("margin")) {
    HONE_ASSIGN_OR_RETURN(decay.margin, NonNegative(cx, *m));
  }
  if (const Value* n = f.Find("min_labels")) {
    HONE_ASSIGN_OR_RETURN(decay.min_labels, Whole(cx, *n));
  }
  return decay;
}

Result<TriggerSpec> ReadTriggers(const Context& cx, const Value& v) {
  HONE_ASSIGN_OR_RETURN(Fields f, Fields::Read(cx, v, kTriggerKeys));
  TriggerSpec triggers;
  if (const Value* n = f.Find("new_data")) {
    HONE_ASSIGN_OR_RETURN(triggers.new_data, Bool(cx, *n));
  }
  if (const Value* c = f.Find("commit")) {
    HONE_ASSIGN_OR_RETURN(triggers.commit, Bool(cx, *c));
  }
  if (const Value* s = f.Find("schedule")) {
    HONE_ASSIGN_OR_RETURN(triggers.schedule, NonEmptyText(cx, *s));
    if (auto checked = CheckSchedule(triggers.schedule); !checked) {
      return cx.Fail(*s, s->path + ": " + checked.error().message());
    }
  }
  if (const Value* d = f.Find("drift")) {
    HONE_ASSIGN_OR_RETURN(triggers.drift, ReadDrift(cx, *d));
  }
  if (const Value* d = f.Find("decay")) {
    HONE_ASSIGN_OR_RETURN(triggers.decay, ReadDecay(cx, *d));
  }
  return triggers;
}

Result<ReleaseSpec> ReadRelease(const Context& cx, const Value& v) {
  HONE_ASSIGN_OR_RETURN(Fields f, Fields::Read(cx, v, kReleaseKeys));
  ReleaseSpec r;
  if (const Value* m = f.Find("mode")) {
    HONE_ASSIGN_OR_RETURN(r.mode, Text(cx, *m));
    if (!Contains(kReleaseModes, r.mode)) {
      return cx.Fail(*m,
                     m->path + " must be one of " + Join(kReleaseModes) + ", got '" + r.mode + "'");
    }
  }
  if (const Value* w = f.Find("weight")) {
    HONE_ASSIGN_OR_RETURN(
        r.weight, Number(cx, *w, "a number in (0, 1]", [](double x) { return x > 0 && x <= 1; }));
  }
  if (const Value* n = f.Find("min_requests")) {
    HONE_ASSIGN_OR_RETURN(r.min_requests, Whole(cx, *n));
  }
  if (const Value* t = f.Find("min_time")) {
    HONE_ASSIGN_OR_RETURN(r.min_seconds, Duration(cx, *t));
  }
  if (const Value* n = f.Find("min_labels")) {
    HONE_ASSIGN_OR_RETURN(r.min_labels, Whole(cx, *n));
  }
  if (const Value* t = f.Find("max_time")) {
    HONE_ASSIGN_OR_RETURN(r.max_seconds, Duration(cx, *t));
  }
  if (const Value* e = f.Find("max_error_rate")) {
    HONE_ASSIGN_OR_RETURN(r.max_error_rate, Share(cx, *e));
  }
  if (const Value* p = f.Find("max_p99_ms")) {
    HONE_ASSIGN_OR_RETURN(r.max_p99_ms, NonNegative(cx, *p));
  }
  if (const Value* p = f.Find("p99_ratio")) {
    HONE_ASSIGN_OR_RETURN(r.p99_ratio,
                          Number(cx, *p, "a number >= 1", [](double x) { return x >= 1; }));
  }
  if (const Value* m = f.Find("metric_margin")) {
    HONE_ASSIGN_OR_RETURN(r.metric_margin, NonNegative(cx, *m));
  }
  if (const Value* p = f.Find("max_prediction_psi")) {
    HONE_ASSIGN_OR_RETURN(r.max_prediction_psi, NonNegative(cx, *p));
  }
  if (r.max_seconds < r.min_seconds) {
    return cx.Fail(f.self(), v.path + ".max_time (" + std::to_string(r.max_seconds) +
                                 " s) is shorter than min_time (" + std::to_string(r.min_seconds) +
                                 " s)");
  }
  return r;
}

}  // namespace

Result<void> CheckSchedule(std::string_view schedule) {
  auto parsed = core::ParseCron(schedule);
  if (!parsed) return Fail(parsed.error());
  return {};
}

Result<WatchSpec> ReadWatch(const Context& cx, const Value& v) {
  HONE_ASSIGN_OR_RETURN(Fields f, Fields::Read(cx, v, kWatchKeys));
  WatchSpec watch;
  if (const Value* i = f.Find("interval")) {
    HONE_ASSIGN_OR_RETURN(watch.interval_seconds, Duration(cx, *i));
  }
  if (const Value* c = f.Find("cooldown")) {
    HONE_ASSIGN_OR_RETURN(watch.cooldown_seconds, Duration(cx, *c));
  }
  if (const Value* l = f.Find("lease")) {
    HONE_ASSIGN_OR_RETURN(watch.lease_seconds, Duration(cx, *l));
  }
  if (const Value* t = f.Find("triggers")) {
    HONE_ASSIGN_OR_RETURN(watch.triggers, ReadTriggers(cx, *t));
  }
  if (const Value* r = f.Find("release")) {
    HONE_ASSIGN_OR_RETURN(watch.release, ReadRelease(cx, *r));
  }
  return watch;
}

nlohmann::json WatchJson(const WatchSpec& w) {
  const TriggerSpec& t = w.triggers;
  const ReleaseSpec& r = w.release;
  return {
      {"interval_seconds", w.interval_seconds},
      {"cooldown_seconds", w.cooldown_seconds},
      {"lease_seconds", w.lease_seconds},
      {"triggers",
       {{"new_data", t.new_data},
        {"commit", t.commit},
        {"schedule", t.schedule},
        {"drift",
         {{"enabled", t.drift.enabled},
          {"share", t.drift.share},
          {"psi", t.drift.psi},
          {"prediction", t.drift.prediction},
          {"min_rows", t.drift.min_rows}}},
        {"decay",
         {{"enabled", t.decay.enabled},
          {"metric", t.decay.metric},
          {"margin", t.decay.margin},
          {"min_labels", t.decay.min_labels}}}}},
      {"release",
       {{"mode", r.mode},
        {"weight", r.weight},
        {"min_requests", r.min_requests},
        {"min_seconds", r.min_seconds},
        {"min_labels", r.min_labels},
        {"max_seconds", r.max_seconds},
        {"max_error_rate", r.max_error_rate},
        {"max_p99_ms", r.max_p99_ms},
        {"p99_ratio", r.p99_ratio},
        {"metric_margin", r.metric_margin},
        {"max_prediction_psi", r.max_prediction_psi}}},
  };
}

}  // namespace hone::pipeline::spec_internal
