#include "hone/gate/report.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string_view>

namespace hone::gate {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Figures in reports: 4 significant digits, "n/a" for NaN.
std::string Number(double value) {
  if (std::isnan(value)) return "n/a";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4g", value);
  return buffer;
}

std::string Seconds(double seconds) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f", seconds);
  return buffer;
}

// Characters XML 1.0 allows (its production `Char`).
bool XmlChar(uint32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
         (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

// Length of the UTF-8 sequence at s[i] and its code point; 0 when the bytes are not UTF-8
// (truncated, overlong, a surrogate, beyond U+10FFFF).
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t& cp) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  size_t length = 0;
  uint32_t smallest = 0;
  if (lead < 0x80) {
    cp = lead;
    return 1;
  } else if ((lead >> 5) == 0x6) {
    length = 2, cp = lead & 0x1F, smallest = 0x80;
  } else if ((lead >> 4) == 0xE) {
    length = 3, cp = lead & 0x0F, smallest = 0x800;
  } else if ((lead >> 3) == 0x1E) {
    length = 4, cp = lead & 0x07, smallest = 0x10000;
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  if (cp < smallest || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return length;
}

// `text` as XML character data or (with `attribute`) an attribute value: markup escaped,
// characters XML 1.0 forbids (control characters) dropped, bytes that are not UTF-8 replaced by
// U+FFFD. Attribute values keep their tabs and line breaks as character references, which
// parsers would otherwise turn into spaces.
std::string Xml(std::string_view text, bool attribute = false) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    const size_t length = DecodeUtf8(text, i, cp);
    if (length == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    const std::string_view bytes = text.substr(i, length);
    i += length;
    if (!XmlChar(cp)) continue;
    switch (cp) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\r':
        out += "&#13;";
        break;
      case '\t':
        out += attribute ? "&#9;" : "\t";
        break;
      case '\n':
        out += attribute ? "&#10;" : "\n";
        break;
      default:
        out += bytes;
    }
  }
  return out;
}

// A Markdown table cell: one line, '|' escaped so it does not end the cell.
std::string Cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

const char* Status(const CheckResult& check) {
  if (check.passed) return "PASS";
  return check.severity == Severity::kError ? "FAIL" : "WARN";
}

// "95% CI", read from the method of the first comparison ("paired bootstrap (2000 resamples,
// 95%)").
std::string CiLabel(const RunReport& report) {
  for (const MetricRow& row : report.metrics) {
    if (!row.comparison) continue;
    const std::string& method = row.comparison->method;
    const size_t percent = method.find('%');
    if (percent == std::string::npos) continue;
    size_t begin = percent;
    while (begin > 0 && (std::isdigit(static_cast<unsigned char>(method[begin - 1])) != 0 ||
                         method[begin - 1] == '.')) {
      --begin;
    }
    if (begin < percent) return method.substr(begin, percent - begin + 1) + " CI";
  }
  return "95% CI";
}

std::optional<double> Delta(const MetricRow& row) {
  if (row.comparison) return row.comparison->delta;
  if (row.champion) return row.candidate - *row.champion;
  return std::nullopt;
}

// ---- JUnit ----

void AppendTestcase(const CheckResult& check, const std::string& suite, std::string& out) {
  out +=
      "    <testcase classname=\"" + Xml(suite, true) + "\" name=\"" + Xml(check.name, true) + "\"";
  if (check.passed) {
    out += "/>\n";
    return;
  }
  std::string body;
  if (!check.observed.empty()) body += "observed: " + check.observed + "\n";
  if (!check.threshold.empty()) body += "threshold: " + check.threshold + "\n";
  if (!check.detail.empty()) {
    body +=
        "detail: " + check.detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
        "\n";
  }
  out += ">\n";
  if (check.severity == Severity::kError) {
    out += "      <failure message=\"" + Xml(check.reason, true) + "\" type=\"error\">" +
           Xml(body) + "</failure>\n";
  } else {
    out += "      <system-out>" + Xml("warning: " + check.reason + "\n" + body) + "</system-out>\n";
  }
  out += "    </testcase>\n";
}

struct Suite {
  std::string name;
  std::vector<const CheckResult*> checks;
  size_t failures = 0;
};

}  // namespace

std::string JunitXml(const RunReport& report) {
  Suite suites[2] = {{"hone.data", {}, 0}, {"hone.gate", {}, 0}};
  for (const CheckResult& check : report.verdict.checks) {
    Suite& suite = suites[check.stage == "data" ? 0 : 1];
    suite.checks.push_back(&check);
    if (!check.passed && check.severity == Severity::kError) ++suite.failures;
  }
  const bool errored = !report.error.empty();
  const size_t tests = suites[0].checks.size() + suites[1].checks.size() + (errored ? 1 : 0);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"hone\" tests=\"" + std::to_string(tests) + "\" failures=\"" +
         std::to_string(suites[0].failures + suites[1].failures) + "\" errors=\"" +
         (errored ? "1" : "0") + "\" time=\"" + Seconds(report.seconds) + "\">\n";
  for (const Suite& suite : suites) {
    out += "  <testsuite name=\"" + suite.name + "\" tests=\"" +
           std::to_string(suite.checks.size()) + "\" failures=\"" + std::to_string(suite.failures) +
           "\" errors=\"0\" skipped=\"0\">\n";
    for (const CheckResult* check : suite.checks) AppendTestcase(*check, suite.name, out);
    out += "  </testsuite>\n";
  }
  if (errored) {
    out +=
        "  <testsuite name=\"hone.run\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n";
    out +=
        "    <testcase classname=\"hone.run\" name=\"" + Xml("run " + report.model, true) + "\">\n";
    out += "      <error message=\"" + Xml(report.error, true) + "\" type=\"error\">" +
           Xml(report.error) + "</error>\n";
    out += "    </testcase>\n  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

std::string MetricsChartSvg(const RunReport& report) {
  constexpr int kWidth = 800;
  constexpr int kLabelRight = 150;  // metric names end here
  constexpr int kBarLeft = 160;
  constexpr int kBarMax = 300;
  constexpr int kNoteLeft = 540;  // the interval of the difference
  constexpr int kBar = 14;
  constexpr int kGap = 4;
  constexpr int kTop = 64;
  constexpr const char* kCandidateColour = "#1f77b4";
  constexpr const char* kChampionColour = "#ff7f0e";
  const bool champion = std::any_of(report.metrics.begin(), report.metrics.end(),
                                    [](const MetricRow& row) { return row.champion.has_value(); });
  const int row_height = champion ? 2 * kBar + kGap + 16 : kBar + 16;
  const int height = kTop + std::max<int>(1, static_cast<int>(report.metrics.size())) * row_height;

  std::string title = report.model + ": " + report.candidate;
  if (!report.champion.empty()) title += " vs " + report.champion;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" +
         std::to_string(kWidth) + "\" height=\"" + std::to_string(height) + "\" viewBox=\"0 0 " +
         std::to_string(kWidth) + " " + std::to_string(height) +
         "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  out += "  <title>" + Xml(title) + "</title>\n";
  out += "  <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  out +=
      "  <text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">" + Xml(title) + "</text>\n";
  auto legend = [&](int x, const char* colour, const std::string& label) {
    out += "  <rect x=\"" + std::to_string(x) + "\" y=\"34\" width=\"12\" height=\"12\" fill=\"" +
           colour + "\"/>\n";
    out += "  <text x=\"" + std::to_string(x + 16) + "\" y=\"45\">" + Xml(label) + "</text>\n";
  };
  legend(10, kCandidateColour, "candidate " + report.candidate);
  if (champion) {
    legend(kNoteLeft - 200, kChampionColour,
           "champion" + (report.champion.empty() ? "" : " " + report.champion));
  }
  if (report.metrics.empty()) {
    out += "  <text x=\"10\" y=\"" + std::to_string(kTop + 14) + "\">no metrics</text>\n";
  }
  int y = kTop;
  for (const MetricRow& row : report.metrics) {
    // Each pair on its own scale: the larger of the two fills the bar.
    double scale = std::isfinite(row.candidate) ? std::abs(row.candidate) : 0;
    if (row.champion && std::isfinite(*row.champion)) {
      scale = std::max(scale, std::abs(*row.champion));
    }
    auto bar = [&](int top, double value, const char* colour) {
      const double length =
          scale > 0 && std::isfinite(value) ? std::abs(value) / scale * kBarMax : 0;
      char rect[160];
      std::snprintf(rect, sizeof rect,
                    "  <rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n",
                    kBarLeft, top, length, kBar, colour);
      out += rect;
      out += "  <text x=\"" + std::to_string(kBarLeft + static_cast<int>(length) + 4) + "\" y=\"" +
             std::to_string(top + kBar - 3) + "\">" + Number(value) + "</text>\n";
    };
    const int pair_height = row.champion ? 2 * kBar + kGap : kBar;
    const int middle = y + pair_height / 2 + 4;
    out += "  <text x=\"" + std::to_string(kLabelRight) + "\" y=\"" + std::to_string(middle) +
           "\" text-anchor=\"end\">" + Xml(row.name) + "</text>\n";
    bar(y, row.candidate, kCandidateColour);
    if (row.champion) bar(y + kBar + kGap, *row.champion, kChampionColour);
    if (const std::optional<double> delta = Delta(row)) {
      std::string note = "\xCE\x94 " + Number(*delta);  // Δ
      if (row.comparison) {
        note += " (CI " + Number(row.comparison->ci_low) + " \xE2\x80\xA6 " +
                Number(row.comparison->ci_high) + ")";  // …
      }
      out += "  <text x=\"" + std::to_string(kNoteLeft) + "\" y=\"" + std::to_string(middle) +
             "\" fill=\"#333333\">" + Xml(note) + "</text>\n";
    }
    y += row_height;
  }
  out += "</svg>\n";
  return out;
}

std::string MarkdownReport(const RunReport& report, const std::string& chart_path) {
  std::string out = "# hone: " + Cell(report.model) + " \xE2\x80\x94 " + Cell(report.outcome) +
                    "\n\n";  // em dash
  out += "Candidate **" + Cell(report.candidate) + "**";
  out += report.champion.empty() ? ", no champion to compare with.\n\n"
                                 : " vs champion **" + Cell(report.champion) + "**.\n\n";
  const std::vector<const CheckResult*> failures = report.verdict.Failures();
  if (!report.error.empty()) {
    out += "**Error:** " + Cell(report.error) + "\n\n";
  } else if (report.verdict.blessed) {
    out += "Verdict: **blessed**";
    out += report.verdict.checks.empty() ? " (no checks ran).\n\n" : ": every check passed.\n\n";
  } else {
    out += "Verdict: **not blessed**: " + std::to_string(failures.size()) + " check" +
           (failures.size() == 1 ? "" : "s") + " failed.\n\n";
  }
  out += "Data: " + Cell(report.data_source.empty() ? "(unknown)" : report.data_source);
  if (!report.data_digest.empty()) out += ", digest `" + report.data_digest.substr(0, 12) + "`";
  out += ", " + std::to_string(report.rows) + " rows";
  if (report.seconds > 0) out += "; the run took " + Number(report.seconds) + " s";
  out += ".\n\n";

  if (!chart_path.empty()) {
    const bool plain = chart_path.find_first_of(" ()<>") == std::string::npos;
    out += "![candidate vs champion](" + (plain ? chart_path : "<" + chart_path + ">") + ")\n\n";
  }

  out += "## Metrics\n\n";
  if (report.metrics.empty()) {
    out += "No metrics.\n\n";
  } else {
    out += "| metric | candidate | champion | delta | " + CiLabel(report) + " |\n";
    out += "|---|---:|---:|---:|---|\n";
    for (const MetricRow& row : report.metrics) {
      const std::optional<double> delta = Delta(row);
      std::string ci;
      if (row.comparison) {
        ci = Number(row.comparison->ci_low) + " \xE2\x80\xA6 " + Number(row.comparison->ci_high);
        if (row.comparison->p_value) ci += " (McNemar p " + Number(*row.comparison->p_value) + ")";
      }
      out += "| " + Cell(row.name) + " | " + Number(row.candidate) + " | " +
             (row.champion ? Number(*row.champion) : "") + " | " + (delta ? Number(*delta) : "") +
             " | " + ci + " |\n";
    }
    out += "\n";
  }

  // As in the JUnit report, a check is a data check or else a gate.
  for (const bool data : {true, false}) {
    out += data ? "## Data checks\n\n" : "## Gates\n\n";
    size_t count = 0;
    for (const CheckResult& check : report.verdict.checks) {
      if ((check.stage == "data") != data) continue;
      if (count++ == 0) {
        out += "| status | check | observed | threshold | reason |\n";
        out += "|---|---|---|---|---|\n";
      }
      out += std::string("| ") + Status(check) + " | " + Cell(check.name) + " | " +
             Cell(check.observed) + " | " + Cell(check.threshold) + " | " + Cell(check.reason) +
             " |\n";
    }
    out += count == 0 ? "None ran.\n\n" : "\n";
  }
  return out;
}

}  // namespace hone::gate
