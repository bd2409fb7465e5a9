// hone.yaml's `pii:` (column: drop | hash) and `pii_key_file:`, and the rules that keep the rest
// of the spec from reading what the policy removes: the target and the time column cannot be
// transformed, and no check or slice may read a dropped column or compare a hashed one with
// raw values.
#include <optional>
#include <string>
#include <string_view>

#include "hone/pipeline/spec_sections.h"

namespace hone::pipeline::spec_internal {
namespace {

const char* Done(core::PiiMode mode) { return mode == core::PiiMode::kDrop ? "dropped" : "hashed"; }

}  // namespace

Result<void> ReadPii(const Context& cx, const Value& v, Spec& spec) {
  if (!v.node.IsMap()) {
    return cx.Fail(v,
                   "pii must be a map of column: drop or hash (e.g. {email: drop, "
                   "customer_id: hash}), got " +
                       Describe(v.node));
  }
  HONE_ASSIGN_OR_RETURN(Fields f, Fields::ReadAnyKeys(cx, v));
  for (const auto& [name, value] : f.entries()) {
    std::optional<core::PiiMode> mode;
    if (value.node.IsScalar()) {
      auto parsed = core::ParsePiiMode(Trim(value.node.Scalar()));
      if (parsed) mode = *parsed;
    }
    if (!mode) {
      return cx.Fail(value, value.path + " must be drop or hash, got " + Describe(value.node));
    }
    spec.pii.columns.push_back({name, *mode, cx.LineColumn(value.key)});
  }
  return {};
}

Result<void> CheckPii(const Context& cx, const Fields& top, const Spec& spec) {
  const Value* pii = top.Find("pii");
  if (pii == nullptr || spec.pii.empty()) return {};
  HONE_ASSIGN_OR_RETURN(Fields f, Fields::ReadAnyKeys(cx, *pii));
  for (const core::PiiColumn& c : spec.pii.columns) {
    const Value& at = *f.Find(c.name);
    auto fail = [&](const std::string& why) {
      return cx.Fail(at.key, "pii." + c.name + ": " + why);
    };
    if (c.name == spec.target) {
      return fail(std::string("the target column cannot be pii: hone would learn to predict a ") +
                  Done(c.mode) + " value; leave it out of pii or choose another target");
    }
    if (spec.split.kind == learn::SplitSpec::Kind::kTime && c.name == spec.split.time_column) {
      return fail("column '" + c.name + "' orders the time split; a " + Done(c.mode) +
                  " column cannot, so leave it out of pii or split otherwise");
    }
    for (const gate::DataCheck& check : spec.checks) {
      for (const std::string& column : check.columns) {
        if (column != c.name) continue;
        const char* kind = gate::DataCheckKindName(check.kind);
        if (c.mode == core::PiiMode::kDrop) {
          return fail("column '" + c.name + "' is dropped before the checks, but the " + kind +
                      " check at " + check.where + " reads it");
        }
        if (check.kind == gate::DataCheck::Kind::kRange ||
            check.kind == gate::DataCheck::Kind::kCategories) {
          return fail("column '" + c.name + "' is hashed before the checks, so the " + kind +
                      " check at " + check.where +
                      " would compare hashes with raw values; remove that check");
        }
      }
    }
    if (c.mode == core::PiiMode::kDrop) {
      for (const std::string& slice : spec.evaluate.slices) {
        if (slice == c.name) {
          return fail("column '" + c.name +
                      "' is dropped before training, so evaluate.slices cannot slice by it");
        }
      }
    }
  }
  return {};
}

}  // namespace hone::pipeline::spec_internal
