// hone.yaml's `gates:` and `bootstrap:` sections → gate::MetricGate and gate::BootstrapOptions.
// A gate is `- METRIC OP NUMBER` (gate::ParseThreshold reads it) or `- METRIC: {options}`.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hone/pipeline/spec_sections.h"

namespace hone::pipeline::spec_internal {
namespace {

constexpr std::string_view kGateKeys[] = {
    "no_worse_than", "better_than", "margin", "relative_margin", "min", "max", "severity"};
constexpr std::string_view kBootstrapKeys[] = {"resamples", "confidence", "seed"};

// `- METRIC: {min | max: NUMBER | no_worse_than | better_than: champion, margin, severity}`.
Result<gate::MetricGate> ReadGateMap(const Context& cx, const Value& item) {
  gate::MetricGate g;
  g.where = cx.Line(item.mark);
  auto it = item.node.begin();
  const Value metric = cx.Item(it->first, item.path);
  HONE_ASSIGN_OR_RETURN(g.metric, Text(cx, metric));
  const std::string path = item.path + "." + g.metric;
  const YAML::Mark mark = it->second.IsNull() ? it->first.Mark() : it->second.Mark();
  HONE_ASSIGN_OR_RETURN(Fields f, Fields::Read(cx, Value{it->second, mark, mark, path}, kGateKeys));
  constexpr std::string_view kForms[] = {"no_worse_than", "better_than", "min", "max"};
  HONE_ASSIGN_OR_RETURN(const Value* form, OneOf(cx, f, kForms));
  if (form == nullptr) {
    return cx.Fail(f.self(), path + " needs one of " + Join(kForms));
  }
  const std::string form_name = form->path.substr(path.size() + 1);
  using Kind = gate::MetricGate::Kind;
  if (form_name == "min" || form_name == "max") {
    g.kind = Kind::kAbsolute;
    g.op = form_name == "min" ? gate::MetricGate::Op::kGe : gate::MetricGate::Op::kLe;
    HONE_ASSIGN_OR_RETURN(g.threshold, Number(cx, *form, "a number", [](double) { return true; }));
    g.text = g.metric + " " + gate::OpText(g.op) + " " + std::string(Trim(form->node.Scalar()));
  } else {
    g.kind = form_name == "better_than" ? Kind::kBetterThan : Kind::kNoWorseThan;
    HONE_ASSIGN_OR_RETURN(std::string against, Text(cx, *form));
    if (against != "champion") {
      return cx.Fail(*form, form->path +
                                " must be 'champion' (the version the promote alias "
                                "points to), got '" +
                                against + "'");
    }
    g.text = g.metric + " " + form_name + " champion";
  }
  constexpr std::string_view kMargins[] = {"margin", "relative_margin"};
  HONE_ASSIGN_OR_RETURN(const Value* margin, OneOf(cx, f, kMargins));
  if (margin != nullptr) {
    if (g.kind == Kind::kAbsolute) {
      return cx.Fail(margin->key, margin->path +
                                      " applies only to no_worse_than and "
                                      "better_than");
    }
    g.relative = margin->path.ends_with("relative_margin");
    HONE_ASSIGN_OR_RETURN(g.margin,
                          Number(cx, *margin, "a number >= 0", [](double x) { return x >= 0; }));
  }
  if (const Value* s = f.Find("severity")) {
    HONE_ASSIGN_OR_RETURN(g.severity, ReadSeverity(cx, *s));
  }
  if (auto known = gate::HigherIsBetter(g.metric); !known) {
    return cx.Fail(item, item.path + ": " + known.error().message());
  }
  return g;
}

Result<gate::MetricGate> ReadGate(const Context& cx, const Value& item) {
  if (item.node.IsScalar()) {
    HONE_ASSIGN_OR_RETURN(std::string text, Text(cx, item));
    // Its message shows the form and, for an unknown metric, the known ones.
    auto parsed = gate::ParseThreshold(text);
    if (!parsed) return cx.Fail(item, item.path + ": " + parsed.error().message());
    parsed->where = cx.Line(item.mark);
    parsed->text = std::string(Trim(text));
    return std::move(*parsed);
  }
  if (item.node.IsMap() && item.node.size() == 1) return ReadGateMap(cx, item);
  return cx.Fail(item, item.path +
                           " must be 'METRIC OP NUMBER' or a one-key map METRIC: "
                           "{options}, got " +
                           Describe(item.node));
}

}  // namespace

Result<std::vector<gate::MetricGate>> ReadGates(const Context& cx, const Value& v) {
  return List(cx, v, ReadGate);
}

Result<gate::BootstrapOptions> ReadBootstrap(const Context& cx, const Value& v, uint64_t seed) {
  HONE_ASSIGN_OR_RETURN(Fields f, Fields::Read(cx, v, kBootstrapKeys));
  gate::BootstrapOptions b;
  b.seed = seed;
  if (const Value* r = f.Find("resamples")) {
    HONE_ASSIGN_OR_RETURN(b.resamples, Count(cx, *r, 100));
  }
  if (const Value* c = f.Find("confidence")) {
    HONE_ASSIGN_OR_RETURN(b.confidence, Number(cx, *c, "a number in (0, 1)",
                                               [](double x) { return x > 0 && x < 1; }));
  }
  if (const Value* s = f.Find("seed")) {
    HONE_ASSIGN_OR_RETURN(b.seed, Seed(cx, *s));
  }
  return b;
}

}  // namespace hone::pipeline::spec_internal
