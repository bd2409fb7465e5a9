#include "hone/loop/triggers.h"

#include <cmath>
#include <cstdio>

namespace hone::loop {
namespace {

std::string Percent(double share) { return FormatFigure(share * 100) + "%"; }

std::string JoinSemicolon(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& part : parts) {
    if (!out.empty()) out += "; ";
    out += part;
  }
  return out;
}

std::optional<Trigger> FirstModel(const TriggerInputs& in) {
  if (in.production_version) return std::nullopt;
  Trigger t{.kind = "first_model"};
  t.key = in.data_digest ? "first_model:" + *in.data_digest : "first_model";
  t.reason = "no production version yet: train the first one";
  if (in.data_digest) t.reason += " (data " + ShortId(*in.data_digest) + ")";
  t.evidence = {{"production_version", nullptr},
                {"data_digest", in.data_digest ? nlohmann::json(*in.data_digest) : nullptr}};
  return t;
}

std::optional<Trigger> NewData(const TriggerInputs& in) {
  if (!in.production_version || !in.data_digest || !in.production_data_digest ||
      *in.data_digest == *in.production_data_digest) {
    return std::nullopt;
  }
  return Trigger{.kind = "new_data",
                 .key = "data:" + *in.data_digest,
                 .reason = "new data: digest " + ShortId(*in.data_digest) + " differs from " +
                           ShortId(*in.production_data_digest) + ", which production version " +
                           *in.production_version + " was trained on",
                 .evidence = {{"data_digest", *in.data_digest},
                              {"production_data_digest", *in.production_data_digest},
                              {"production_version", *in.production_version}}};
}

std::optional<Trigger> Commit(const TriggerInputs& in) {
  if (!in.production_version || !in.code_commit || !in.production_code_commit ||
      *in.code_commit == *in.production_code_commit) {
    return std::nullopt;
  }
  return Trigger{.kind = "commit",
                 .key = "commit:" + *in.code_commit,
                 .reason = "new commit " + ShortId(*in.code_commit) + " differs from " +
                           ShortId(*in.production_code_commit) + ", at which production version " +
                           *in.production_version + " was trained",
                 .evidence = {{"code_commit", *in.code_commit},
                              {"production_code_commit", *in.production_code_commit},
                              {"production_version", *in.production_version}}};
}

std::optional<Trigger> Drift(const pipeline::DriftTriggerSpec& spec, const TriggerInputs& in) {
  if (!spec.enabled || !in.production_version || !in.drift) return std::nullopt;
  const TriggerInputs::Drift& d = *in.drift;
  if (d.rows < spec.min_rows) return std::nullopt;
  std::vector<std::string> found;
  if (d.drifted_share >= spec.share) {
    found.push_back(Percent(d.drifted_share) + " of the features drifted (limit " +
                    Percent(spec.share) + ")");
  }
  if (d.max_psi >= spec.psi) {
    found.push_back("PSI " + FormatFigure(d.max_psi) + " on '" + d.worst_feature + "' reaches " +
                    FormatFigure(spec.psi));
  }
  if (d.any_adjusted_p_below) found.push_back("a Holm-adjusted p-value is below 0.05");
  if (spec.prediction && (d.prediction_drifted || d.prediction_psi >= spec.psi)) {
    found.push_back("the prediction drifted (PSI " + FormatFigure(d.prediction_psi) + ")");
  }
  if (found.empty()) return std::nullopt;
  return Trigger{.kind = "drift",
                 .key = "drift:" + *in.production_version,
                 .reason = "drift in production version " + *in.production_version + " over " +
                           std::to_string(d.rows) + " live rows: " + JoinSemicolon(found),
                 .evidence = {{"production_version", *in.production_version},
                              {"rows", d.rows},
                              {"min_rows", spec.min_rows},
                              {"drifted_share", d.drifted_share},
                              {"share_limit", spec.share},
                              {"max_psi", d.max_psi},
                              {"worst_feature", d.worst_feature},
                              {"psi_limit", spec.psi},
                              {"any_adjusted_p_below", d.any_adjusted_p_below},
                              {"prediction_counts", spec.prediction},
                              {"prediction_drifted", d.prediction_drifted},
                              {"prediction_psi", d.prediction_psi}}};
}

std::optional<Trigger> Decay(const pipeline::DecayTriggerSpec& spec, const TriggerInputs& in) {
  if (!spec.enabled || !in.production_version || !in.decay) return std::nullopt;
  const TriggerInputs::Decay& d = *in.decay;
  if (d.labels < spec.min_labels) return std::nullopt;
  const double worse = d.higher_is_better ? d.offline - d.live : d.live - d.offline;
  const double allowed = spec.margin * std::fabs(d.offline);
  if (!(worse > allowed)) return std::nullopt;  // also false when a figure is NaN
  std::string how = "worse than";
  if (d.offline != 0) how = Percent(worse / std::fabs(d.offline)) + " worse than";
  return Trigger{.kind = "decay",
                 .key = "decay:" + *in.production_version,
                 .reason = "decay of production version " + *in.production_version + ": live " +
                           d.metric + " " + FormatFigure(d.live) + " is " + how + " offline " +
                           FormatFigure(d.offline) + " (margin " + Percent(spec.margin) +
                           ") over " + std::to_string(d.labels) + " labels",
                 .evidence = {{"production_version", *in.production_version},
                              {"metric", d.metric},
                              {"higher_is_better", d.higher_is_better},
                              {"live", d.live},
                              {"offline", d.offline},
                              {"margin", spec.margin},
                              {"labels", d.labels},
                              {"min_labels", spec.min_labels}}};
}

std::optional<Trigger> Schedule(const CronSchedule* schedule, TimeMs after_ms, TimeMs now_ms) {
  if (schedule == nullptr) return std::nullopt;
  const std::optional<TimeMs> due = schedule->NextAfter(after_ms);
  if (!due || *due > now_ms) return std::nullopt;
  return Trigger{.kind = "schedule",
                 .key = "schedule:" + std::to_string(*due),
                 .reason = "schedule '" + schedule->text() + "' was due at " + FormatUtc(*due),
                 .evidence = {{"schedule", schedule->text()},
                              {"due_ms", *due},
                              {"due", FormatUtc(*due)},
                              {"after_ms", after_ms}}};
}

}  // namespace

std::vector<Trigger> EvaluateTriggers(const pipeline::TriggerSpec& spec, const TriggerInputs& in,
                                      const CronSchedule* schedule, TimeMs schedule_after_ms) {
  std::vector<Trigger> out;
  auto add = [&](std::optional<Trigger> t) {
    if (t) out.push_back(std::move(*t));
  };
  add(FirstModel(in));
  if (spec.new_data) add(NewData(in));
  if (spec.commit) add(Commit(in));
  add(Drift(spec.drift, in));
  add(Decay(spec.decay, in));
  add(Schedule(schedule, schedule_after_ms, in.now_ms));
  return out;
}

std::string ShortId(const std::string& id) { return id.size() > 12 ? id.substr(0, 12) : id; }

std::string FormatFigure(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.4g", value);
  return buffer;
}

nlohmann::json Trigger::ToJson() const {
  return {{"kind", kind}, {"key", key}, {"reason", reason}, {"evidence", evidence}};
}

Result<Trigger> Trigger::FromJson(const nlohmann::json& json) {
  if (!json.is_object()) {
    return Fail(ErrorCode::kInvalidData, "a trigger is an object with kind, key and reason");
  }
  Trigger t;
  for (auto [name, field] :
       {std::pair{"kind", &t.kind}, std::pair{"key", &t.key}, std::pair{"reason", &t.reason}}) {
    if (!json.contains(name) || !json[name].is_string()) {
      return Fail(ErrorCode::kInvalidData, std::string("trigger lacks a text '") + name + "'");
    }
    *field = json[name].get<std::string>();
  }
  if (json.contains("evidence")) t.evidence = json["evidence"];
  return t;
}

}  // namespace hone::loop
