// What the spec tests share (spec_test.cc, spec_error_test.cc): parsing a spec from text, the
// error a spec that must not parse gives, and the three required keys the cases build on.
#ifndef HONE_PIPELINE_SPEC_TEST_UTIL_H_
#define HONE_PIPELINE_SPEC_TEST_UTIL_H_

#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hone/pipeline/spec.h"

namespace hone::pipeline::testing {

inline Result<Spec> Parse(std::string_view text) { return ParseSpec(text, "hone.yaml"); }

// The error message of a spec that must not parse.
inline std::string ErrorOf(std::string_view text) {
  auto spec = Parse(text);
  if (spec) {
    ADD_FAILURE() << "parsed, but should not have:\n" << text;
    return "";
  }
  EXPECT_EQ(spec.error().code(), ErrorCode::kInvalidArgument) << spec.error().message();
  return spec.error().message();
}

// The three required keys, on lines 1-3; cases below add from line 4 on.
constexpr std::string_view kHead = "model: m\ndata: {path: d.csv}\ntarget: y\n";

inline std::string Head(std::string_view rest) { return std::string(kHead) + std::string(rest); }

// An error case: the YAML, the exact "FILE:LINE:COL: " prefix and message fragments.
struct ErrorCase {
  std::string yaml;
  std::string where;
  std::vector<std::string> fragments;
};

inline void ExpectErrors(const std::vector<ErrorCase>& cases) {
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.yaml);
    const std::string message = ErrorOf(c.yaml);
    EXPECT_THAT(message, ::testing::StartsWith(c.where + ": "));
    for (const std::string& fragment : c.fragments)
      EXPECT_THAT(message, ::testing::HasSubstr(fragment));
  }
}

}  // namespace hone::pipeline::testing

#endif  // HONE_PIPELINE_SPEC_TEST_UTIL_H_
