#include "hone/gate/report.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "hone/core/test_temp_dir.h"

namespace hone::gate {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPython[] = "/usr/bin/python3";

// Reads an XML document with Python's parser and summarises it as JSON: the root's tag and
// attributes, every element's tag, attributes and text, in document order.
constexpr char kSummarise[] = R"(
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
elements = [{"tag": e.tag, "attrib": e.attrib, "text": e.text or ""} for e in root.iter()]
json.dump(elements, open(sys.argv[2], "w"))
)";

class ReportTest : public core::testing::TempDirTest {
 protected:
  // The elements of `xml` as Python's XML parser reads them; fails the test when it cannot.
  nlohmann::json ParseWithPython(const std::string& xml) {
    if (!std::filesystem::exists(kPython)) {
      ADD_FAILURE() << kPython << " is needed to check that the XML is well-formed";
      return nlohmann::json::array();
    }
    const auto script = dir_ / "summarise.py";
    const auto input = dir_ / "input.xml";
    const auto output = dir_ / "output.json";
    std::ofstream(script) << kSummarise;
    std::ofstream(input, std::ios::binary) << xml;
    const std::string command =
        std::string(kPython) + " " + script.string() + " " + input.string() + " " + output.string();
    const int status = std::system(command.c_str());
    EXPECT_EQ(status, 0) << "Python could not parse:\n" << xml;
    std::ifstream in(output);
    if (status != 0 || !in) return nlohmann::json::array();
    return nlohmann::json::parse(in);
  }
};

std::vector<nlohmann::json> WithTag(const nlohmann::json& elements, const std::string& tag) {
  std::vector<nlohmann::json> out;
  for (const nlohmann::json& e : elements) {
    if (e["tag"] == tag) out.push_back(e);
  }
  return out;
}

CheckResult Check(std::string stage, std::string name, bool passed, Severity severity,
                  std::string reason) {
  CheckResult c;
  c.stage = std::move(stage);
  c.name = std::move(name);
  c.passed = passed;
  c.severity = severity;
  c.reason = std::move(reason);
  return c;
}

RunReport SampleReport() {
  RunReport r;
  r.model = "house_prices";
  r.outcome = "rejected";
  r.candidate = "house_prices/4";
  r.champion = "house_prices/3";
  r.data_source = "data/houses.csv";
  r.data_digest = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  r.rows = 1234;
  r.seconds = 12.5;
  Comparison rmse{"rmse", 41.2, 43.0,         -1.8,
                  -2.6,   -1.0, std::nullopt, "paired bootstrap (2000 resamples, 95%)"};
  r.metrics = {{"rmse", 41.2, 43.0, rmse}, {"r2", 0.8512, 0.84, std::nullopt}};
  CheckResult rows = Check("data", "row_count >= 500", true, Severity::kError, "1234 rows");
  rows.observed = "1234";
  rows.threshold = ">= 500";
  CheckResult nulls = Check("data", "nulls(sqft) <= 0.05", false, Severity::kError,
                            "column <sqft> & \"size\" is 'missing' in 7% | of rows");
  nulls.observed = "0.07";
  nulls.threshold = "<= 0.05";
  nulls.detail = {{"sqft", 0.07}};
  CheckResult drift =
      Check("data", "drift(zip) <= 0.1", false, Severity::kWarn, "PSI 0.14\x01 on zip \xff");
  CheckResult gate =
      Check("model", "rmse no_worse_than champion (margin 0.01)", true, Severity::kError,
            "rmse 41.2 vs champion 43: -1.8, significantly better");
  CheckResult r2 = Check("model", "r2 >= 0.9", false, Severity::kError, "r2 0.8512 is not >= 0.9");
  r.verdict = Decide({rows, nulls, drift, gate, r2});
  return r;
}

// ---- JUnit ----

TEST_F(ReportTest, JunitIsWellFormedWithOneTestcasePerCheck) {
  const std::string xml = JunitXml(SampleReport());
  EXPECT_TRUE(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"));
  const nlohmann::json elements = ParseWithPython(xml);
  ASSERT_FALSE(elements.empty());
  const nlohmann::json& root = elements[0];
  EXPECT_EQ(root["tag"], "testsuites");
  EXPECT_EQ(root["attrib"]["name"], "hone");
  EXPECT_EQ(root["attrib"]["tests"], "5");
  EXPECT_EQ(root["attrib"]["failures"], "2");  // the warning passes
  EXPECT_EQ(root["attrib"]["errors"], "0");

  const auto suites = WithTag(elements, "testsuite");
  ASSERT_EQ(suites.size(), 2u);
  EXPECT_EQ(suites[0]["attrib"]["name"], "hone.data");
  EXPECT_EQ(suites[0]["attrib"]["tests"], "3");
  EXPECT_EQ(suites[0]["attrib"]["failures"], "1");
  EXPECT_EQ(suites[1]["attrib"]["name"], "hone.gate");
  EXPECT_EQ(suites[1]["attrib"]["tests"], "2");
  EXPECT_EQ(suites[1]["attrib"]["failures"], "1");

  const auto cases = WithTag(elements, "testcase");
  ASSERT_EQ(cases.size(), 5u);
  EXPECT_EQ(cases[0]["attrib"]["classname"], "hone.data");
  EXPECT_EQ(cases[1]["attrib"]["name"], "nulls(sqft) <= 0.05");
  EXPECT_EQ(cases[3]["attrib"]["classname"], "hone.gate");
  EXPECT_EQ(cases[3]["attrib"]["name"], "rmse no_worse_than champion (margin 0.01)");

  // Markup in a reason survives the round trip.
  const auto failures = WithTag(elements, "failure");
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_EQ(failures[0]["attrib"]["message"],
            "column <sqft> & \"size\" is 'missing' in 7% | of rows");
  EXPECT_EQ(failures[0]["attrib"]["type"], "error");
  EXPECT_THAT(failures[0]["text"].get<std::string>(), HasSubstr("observed: 0.07"));
  EXPECT_THAT(failures[0]["text"].get<std::string>(), HasSubstr("threshold: <= 0.05"));
  EXPECT_EQ(failures[1]["attrib"]["message"], "r2 0.8512 is not >= 0.9");

  // The warning is in <system-out>, its control character dropped, the stray byte replaced.
  const auto out = WithTag(elements, "system-out");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_THAT(out[0]["text"].get<std::string>(), HasSubstr("PSI 0.14 on zip \xEF\xBF\xBD"));
}

TEST_F(ReportTest, JunitEscapesEveryMarkupCharacter) {
  RunReport r = SampleReport();
  const std::string xml = JunitXml(r);
  EXPECT_THAT(xml, HasSubstr("column &lt;sqft&gt; &amp; &quot;size&quot; is &apos;missing&apos;"));
  EXPECT_THAT(xml, Not(HasSubstr("<sqft>")));
  EXPECT_THAT(xml, Not(HasSubstr("\x01")));
  EXPECT_THAT(xml, Not(HasSubstr("\xff")));
}

TEST_F(ReportTest, JunitReportsARunThatFailedAsAnError) {
  RunReport r;
  r.model = "churn";
  r.outcome = "failed";
  r.error = "training failed: <xgboost> said \"no\"\nline two";
  const nlohmann::json elements = ParseWithPython(JunitXml(r));
  ASSERT_FALSE(elements.empty());
  EXPECT_EQ(elements[0]["attrib"]["tests"], "1");
  EXPECT_EQ(elements[0]["attrib"]["errors"], "1");
  EXPECT_EQ(elements[0]["attrib"]["failures"], "0");
  const auto errors = WithTag(elements, "error");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0]["attrib"]["message"], r.error);  // the line break kept as &#10;
  const auto cases = WithTag(elements, "testcase");
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0]["attrib"]["classname"], "hone.run");
}

// ---- Markdown ----

TEST_F(ReportTest, MarkdownHasTheMetricsTheChecksAndTheChart) {
  const std::string md = MarkdownReport(SampleReport(), "report.svg");
  EXPECT_TRUE(md.starts_with("# hone: house_prices \xE2\x80\x94 rejected\n")) << md;
  EXPECT_THAT(md, HasSubstr("**house_prices/4**"));
  EXPECT_THAT(md, HasSubstr("**house_prices/3**"));
  EXPECT_THAT(md, HasSubstr("not blessed**: 2 checks failed"));
  EXPECT_THAT(md, HasSubstr("| metric | candidate | champion | delta | 95% CI |\n"));
  EXPECT_THAT(md, HasSubstr("| rmse | 41.2 | 43 | -1.8 | -2.6 \xE2\x80\xA6 -1 |\n"));
  EXPECT_THAT(md, HasSubstr("| r2 | 0.8512 | 0.84 | 0.0112 |  |\n"));
  EXPECT_THAT(md,
              HasSubstr("## Data checks\n\n| status | check | observed | threshold | reason |"));
  EXPECT_THAT(md, HasSubstr("| PASS | row_count >= 500 | 1234 | >= 500 | 1234 rows |\n"));
  // '|' in a cell is escaped so it does not split the row.
  EXPECT_THAT(md, HasSubstr("| FAIL | nulls(sqft) <= 0.05 | 0.07 | <= 0.05 | column <sqft> & "
                            "\"size\" is 'missing' in 7% \\| of rows |\n"));
  EXPECT_THAT(md, HasSubstr("| WARN | drift(zip) <= 0.1 |"));
  EXPECT_THAT(md, HasSubstr("## Gates\n"));
  EXPECT_THAT(md, HasSubstr("| FAIL | r2 >= 0.9 |  |  | r2 0.8512 is not >= 0.9 |\n"));
  EXPECT_THAT(md, HasSubstr("![candidate vs champion](report.svg)"));
  EXPECT_THAT(md, HasSubstr("data/houses.csv"));
  EXPECT_THAT(md, HasSubstr("`0123456789ab`"));
  EXPECT_THAT(md, Not(HasSubstr("0123456789abc")));
  EXPECT_THAT(md, HasSubstr("1234 rows"));
}

TEST_F(ReportTest, MarkdownWithoutChampionChartOrChecks) {
  RunReport r;
  r.model = "churn";
  r.outcome = "registered";
  r.candidate = "churn/1";
  r.metrics = {{"accuracy", 0.91, std::nullopt, std::nullopt}};
  const std::string md = MarkdownReport(r, "");
  EXPECT_THAT(md, HasSubstr("no champion"));
  EXPECT_THAT(md, HasSubstr("| accuracy | 0.91 |  |  |  |\n"));
  EXPECT_THAT(md, Not(HasSubstr("![")));
  EXPECT_THAT(md, HasSubstr("## Data checks\n\nNone ran."));
}

// ---- SVG ----

TEST_F(ReportTest, ChartIsStandaloneSvg) {
  RunReport r = SampleReport();
  r.metrics.push_back({"f1 <&> \"x\"", 0.5, 0.25, std::nullopt});
  const std::string svg = MetricsChartSvg(r);
  const nlohmann::json elements = ParseWithPython(svg);
  ASSERT_FALSE(elements.empty());
  const std::string ns = "{http://www.w3.org/2000/svg}";
  EXPECT_EQ(elements[0]["tag"], ns + "svg");
  size_t candidate_bars = 0;
  size_t champion_bars = 0;
  std::vector<std::string> texts;
  for (const nlohmann::json& e : elements) {
    EXPECT_NE(e["tag"], ns + "script");
    EXPECT_NE(e["tag"], ns + "image");
    EXPECT_NE(e["tag"], ns + "foreignObject");
    for (const auto& [key, value] : e["attrib"].items()) {
      EXPECT_THAT(key, Not(HasSubstr("href")));
      EXPECT_FALSE(key.starts_with("on")) << key;  // onload, onclick
    }
    if (e["tag"] == ns + "rect" && e["attrib"].value("height", "") == "14") {
      (e["attrib"]["fill"] == "#1f77b4" ? candidate_bars : champion_bars) += 1;
    }
    if (e["tag"] == ns + "text") texts.push_back(e["text"]);
  }
  EXPECT_EQ(candidate_bars, 3u);
  EXPECT_EQ(champion_bars, 3u);
  EXPECT_THAT(texts, ::testing::Contains("f1 <&> \"x\""));
  EXPECT_THAT(texts, ::testing::Contains("\xCE\x94 -1.8 (CI -2.6 \xE2\x80\xA6 -1)"));
  // Each pair is scaled to the larger of the two: the champion's 43 fills the bar.
  EXPECT_THAT(svg, HasSubstr("width=\"300.0\" height=\"14\" fill=\"#ff7f0e\""));
}

TEST_F(ReportTest, ChartWithoutChampionHasOneBarPerMetric) {
  RunReport r;
  r.model = "churn";
  r.candidate = "candidate";
  r.metrics = {{"accuracy", 0.91, std::nullopt, std::nullopt},
               {"log_loss", 0.3, std::nullopt, std::nullopt}};
  const nlohmann::json elements = ParseWithPython(MetricsChartSvg(r));
  size_t bars = 0;
  for (const nlohmann::json& e : elements) {
    if (e["tag"] == "{http://www.w3.org/2000/svg}rect" && e["attrib"].value("height", "") == "14") {
      EXPECT_EQ(e["attrib"]["fill"], "#1f77b4");
      ++bars;
    }
  }
  EXPECT_EQ(bars, 2u);
  // And with no metrics at all it is still a document.
  EXPECT_FALSE(ParseWithPython(MetricsChartSvg(RunReport{})).empty());
}

}  // namespace
}  // namespace hone::gate
