#include "hone/server/mlflow_search.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>

#include "hone/server/mlflow_internal.h"

namespace hone::server::mlflow {
namespace {

struct Token {
  enum Kind { kWord, kString, kNumber, kOp, kOpen, kClose, kComma } kind;
  std::string text;
};

Error BadFilter(std::string_view filter, std::string_view why) {
  return Error(ErrorCode::kInvalidArgument,
               "Invalid filter '" + std::string(filter) + "': " + std::string(why));
}

Result<std::vector<Token>> Tokenize(std::string_view f) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < f.size()) {
    const char ch = f[i];
    if (std::isspace(static_cast<unsigned char>(ch))) {
      ++i;
    } else if (ch == '\'' || ch == '"' || ch == '`') {
      const size_t end = f.find(ch, i + 1);
      if (end == std::string_view::npos) {
        return Fail(BadFilter(f, "unclosed quote at character " + std::to_string(i)));
      }
      // A backticked or double-quoted name glued to "metrics." stays part of the word.
      std::string text(f.substr(i + 1, end - i - 1));
      if (ch != '\'' && !out.empty() && out.back().kind == Token::kWord &&
          out.back().text.ends_with('.')) {
        out.back().text += text;
      } else {
        out.push_back({ch == '`' ? Token::kWord : Token::kString, std::move(text)});
      }
      i = end + 1;
    } else if (std::string_view("=!<>").find(ch) != std::string_view::npos) {
      size_t n = (i + 1 < f.size() && f[i + 1] == '=') ? 2 : 1;
      out.push_back({Token::kOp, std::string(f.substr(i, n))});
      i += n;
    } else if (ch == '(' || ch == ')' || ch == ',') {
      out.push_back({ch == '(' ? Token::kOpen : ch == ')' ? Token::kClose : Token::kComma, ""});
      ++i;
    } else {
      size_t j = i;
      while (j < f.size() && !std::isspace(static_cast<unsigned char>(f[j])) &&
             std::string_view("=!<>(),'\"`").find(f[j]) == std::string_view::npos) {
        ++j;
      }
      std::string word(f.substr(i, j - i));
      const bool num = !word.empty() && (std::isdigit(static_cast<unsigned char>(word[0])) ||
                                         word[0] == '-' || word[0] == '.');
      out.push_back({num ? Token::kNumber : Token::kWord, std::move(word)});
      i = j;
    }
  }
  return out;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// "metrics.x" → (metrics, x); "run_name" → (attributes, run_name).
Result<std::pair<std::string, std::string>> Identifier(std::string_view filter,
                                                       const std::string& word) {
  const size_t dot = word.find('.');
  if (dot == std::string::npos) {
    if (word == "run_name" || word == "status" || word == "start_time" || word == "end_time" ||
        word == "run_id" || word == "user_id" || word == "lifecycle_stage") {
      return std::pair(std::string("attributes"), word);
    }
    return Fail(BadFilter(filter, "unknown identifier '" + word +
                                      "'; expected metrics.KEY, params.KEY, tags.KEY or "
                                      "attributes.NAME"));
  }
  std::string kind = word.substr(0, dot);
  std::string key = word.substr(dot + 1);
  if (kind == "metric") kind = "metrics";
  if (kind == "param" || kind == "parameter" || kind == "parameters") kind = "params";
  if (kind == "tag") kind = "tags";
  if (kind == "attribute" || kind == "attr") kind = "attributes";
  if (kind != "metrics" && kind != "params" && kind != "tags" && kind != "attributes") {
    return Fail(BadFilter(filter, "unknown entity type '" + kind +
                                      "'; expected metrics, params, tags or attributes"));
  }
  if (key.empty()) return Fail(BadFilter(filter, "'" + word + "' names no key"));
  if (kind == "attributes" && key != "run_name" && key != "status" && key != "start_time" &&
      key != "end_time" && key != "run_id" && key != "user_id" && key != "lifecycle_stage") {
    return Fail(BadFilter(filter, "unknown attribute '" + key +
                                      "'; known: run_name, status, start_time, end_time, "
                                      "run_id, user_id, lifecycle_stage"));
  }
  return std::pair(kind, key);
}

bool IsNumericAttribute(const std::string& key) { return key == "start_time" || key == "end_time"; }

std::optional<double> AttributeNumber(const RunRow& r, const std::string& key) {
  if (key == "start_time") return static_cast<double>(r.run.start.start_ms);
  if (key == "end_time" && r.run.end_ms) return static_cast<double>(*r.run.end_ms);
  return std::nullopt;
}

std::optional<std::string> AttributeText(const RunRow& r, const std::string& key) {
  if (key == "run_name") return r.info.run_name;
  if (key == "status") return MlflowStatus(r.run.status);
  if (key == "run_id") return r.run.id;
  if (key == "user_id") return r.run.start.user;
  if (key == "lifecycle_stage") return std::string(r.info.deleted ? "deleted" : "active");
  return std::nullopt;
}

std::optional<double> MetricOf(const RunRow& r, const std::string& key) {
  std::optional<double> v;
  const store::Metric* best = nullptr;
  for (const store::Metric& m : r.run.metrics) {
    if (m.key != key) continue;
    if (!best || std::tie(m.step, m.timestamp_ms) >= std::tie(best->step, best->timestamp_ms)) {
      best = &m;
    }
  }
  if (best) v = best->value;
  return v;
}

std::optional<std::string> TextOf(const RunRow& r, const std::string& kind,
                                  const std::string& key) {
  if (kind == "tags") return DerivedTag(r.run, r.info, key);
  auto it = r.run.params.find(key);
  if (it == r.run.params.end()) return std::nullopt;
  return it->second;
}

bool Compare(double a, const std::string& op, double b) {
  if (op == "=") return a == b;
  if (op == "!=") return a != b;
  if (op == ">") return a > b;
  if (op == ">=") return a >= b;
  if (op == "<") return a < b;
  return a <= b;
}

}  // namespace

std::optional<std::string> DerivedTag(const store::Run& run, const store::MlflowRunInfo& info,
                                      std::string_view key) {
  if (key == "mlflow.runName" && !info.run_name.empty()) return info.run_name;
  if (auto it = run.tags.find(std::string(key)); it != run.tags.end()) return it->second;
  const store::RunStart& start = run.start;
  if (key == "mlflow.source.git.commit") return start.code_commit;
  if (key == "hone.data_digest") return start.data_digest;
  if (key == "hone.code_dirty" && start.code_dirty) {
    return std::string(*start.code_dirty ? "true" : "false");
  }
  return std::nullopt;
}

std::map<std::string, std::string> MlflowTags(const store::Run& run,
                                              const store::MlflowRunInfo& info) {
  std::map<std::string, std::string> tags = run.tags;
  for (const char* key :
       {"mlflow.runName", "mlflow.source.git.commit", "hone.data_digest", "hone.code_dirty"}) {
    if (std::optional<std::string> value = DerivedTag(run, info, key)) tags[key] = *value;
  }
  return tags;
}

bool Like(std::string_view text, std::string_view pattern, bool fold) {
  auto eq = [fold](char a, char b) {
    return fold ? std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b))
                : a == b;
  };
  // Iterative wildcard match with backtracking to the last '%'.
  size_t t = 0, p = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '_' || eq(pattern[p], text[t]))) {
      ++t, ++p;
    } else if (p < pattern.size() && pattern[p] == '%') {
      star = p++, mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1, t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '%') ++p;
  return p == pattern.size();
}

Result<std::vector<Clause>> ParseRunFilter(std::string_view filter) {
  HONE_ASSIGN_OR_RETURN(std::vector<Token> t, Tokenize(filter));
  std::vector<Clause> out;
  size_t i = 0;
  while (i < t.size()) {
    if (!out.empty()) {
      if (t[i].kind != Token::kWord || Upper(t[i].text) != "AND") {
        return Fail(BadFilter(
            filter, "expected AND before '" + t[i].text + "' (only AND joins comparisons)"));
      }
      ++i;
    }
    if (i >= t.size() || t[i].kind != Token::kWord) {
      return Fail(BadFilter(filter, "expected an identifier such as metrics.acc" +
                                        (i < t.size() ? " at '" + t[i].text + "'" : "")));
    }
    Clause c;
    HONE_ASSIGN_OR_RETURN(std::tie(c.kind, c.key), Identifier(filter, t[i].text));
    ++i;
    if (i >= t.size()) return Fail(BadFilter(filter, "a comparison ends after its identifier"));
    if (t[i].kind == Token::kOp) {
      c.op = t[i].text;
    } else if (t[i].kind == Token::kWord &&
               (Upper(t[i].text) == "LIKE" || Upper(t[i].text) == "ILIKE" ||
                Upper(t[i].text) == "IN")) {
      c.op = Upper(t[i].text);
    } else {
      return Fail(BadFilter(
          filter, "unknown comparator '" + t[i].text + "'; known: = != > >= < <= LIKE ILIKE IN"));
    }
    if (c.op == "!" || c.op == "==")
      return Fail(BadFilter(filter, "unknown comparator '" + c.op + "'"));
    ++i;
    const bool numeric_key =
        c.kind == "metrics" || (c.kind == "attributes" && IsNumericAttribute(c.key));
    if (c.op == "IN") {
      if (i >= t.size() || t[i].kind != Token::kOpen) {
        return Fail(BadFilter(filter, "IN needs a parenthesised list of strings"));
      }
      ++i;
      while (i < t.size() && t[i].kind == Token::kString) {
        c.values.push_back(t[i++].text);
        if (i < t.size() && t[i].kind == Token::kComma) ++i;
      }
      if (i >= t.size() || t[i].kind != Token::kClose || c.values.empty()) {
        return Fail(BadFilter(filter, "IN needs a parenthesised list of strings"));
      }
      ++i;
    } else {
      if (i >= t.size()) return Fail(BadFilter(filter, "a comparison has no value"));
      const Token& v = t[i++];
      if (numeric_key) {
        if (v.kind != Token::kNumber || c.op == "LIKE" || c.op == "ILIKE") {
          return Fail(BadFilter(filter, "'" + c.kind + "." + c.key +
                                            "' compares with a number, not '" + v.text + "'"));
        }
        auto [end, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), c.number);
        if (ec != std::errc() || end != v.text.data() + v.text.size()) {
          return Fail(BadFilter(filter, "'" + v.text + "' is not a number"));
        }
        c.numeric = true;
      } else {
        if (v.kind != Token::kString) {
          return Fail(BadFilter(filter, "'" + c.kind + "." + c.key +
                                            "' compares with a quoted string, not '" + v.text +
                                            "'"));
        }
        if (c.op != "=" && c.op != "!=" && c.op != "LIKE" && c.op != "ILIKE") {
          return Fail(
              BadFilter(filter, "strings compare with = != LIKE ILIKE, not '" + c.op + "'"));
        }
      }
      c.values.push_back(v.text);
    }
    out.push_back(std::move(c));
  }
  return out;
}

bool Matches(const RunRow& r, const std::vector<Clause>& clauses) {
  for (const Clause& c : clauses) {
    if (c.numeric) {
      std::optional<double> v =
          c.kind == "metrics" ? MetricOf(r, c.key) : AttributeNumber(r, c.key);
      if (!v || std::isnan(*v) || !Compare(*v, c.op, c.number)) return false;
      continue;
    }
    std::optional<std::string> v =
        c.kind == "attributes" ? AttributeText(r, c.key) : TextOf(r, c.kind, c.key);
    if (!v) return false;
    if (c.op == "=" && *v != c.values[0]) return false;
    if (c.op == "!=" && *v == c.values[0]) return false;
    if ((c.op == "LIKE" || c.op == "ILIKE") && !Like(*v, c.values[0], c.op == "ILIKE")) {
      return false;
    }
    if (c.op == "IN" && std::find(c.values.begin(), c.values.end(), *v) == c.values.end()) {
      return false;
    }
  }
  return true;
}

Result<OrderTerm> ParseOrderBy(std::string_view term) {
  HONE_ASSIGN_OR_RETURN(std::vector<Token> t, Tokenize(term));
  if (t.empty() || t.size() > 2 || t[0].kind != Token::kWord) {
    return Fail(ErrorCode::kInvalidArgument,
                "Invalid order_by clause '" + std::string(term) +
                    "': expected an identifier such as metrics.acc, then ASC or DESC");
  }
  OrderTerm o;
  auto id = Identifier(term, t[0].text);
  if (!id) {
    return Fail(ErrorCode::kInvalidArgument,
                "Invalid order_by clause '" + std::string(term) + "': " + id.error().message());
  }
  std::tie(o.kind, o.key) = *id;
  if (t.size() == 2) {
    const std::string dir = Upper(t[1].text);
    if (dir != "ASC" && dir != "DESC") {
      return Fail(ErrorCode::kInvalidArgument, "Invalid order_by clause '" + std::string(term) +
                                                   "': '" + t[1].text +
                                                   "' is neither ASC nor DESC");
    }
    o.ascending = dir == "ASC";
  }
  return o;
}

void SortRuns(std::vector<RunRow>& rows, const std::vector<OrderTerm>& terms) {
  // -1: a before b, 1: b before a, 0: tie. A missing value sorts last either way.
  auto cmp = [&](const RunRow& a, const RunRow& b, const OrderTerm& o) -> int {
    const bool numeric =
        o.kind == "metrics" || (o.kind == "attributes" && IsNumericAttribute(o.key));
    if (numeric) {
      auto va = o.kind == "metrics" ? MetricOf(a, o.key) : AttributeNumber(a, o.key);
      auto vb = o.kind == "metrics" ? MetricOf(b, o.key) : AttributeNumber(b, o.key);
      if (!va || !vb) return va ? -1 : vb ? 1 : 0;
      if (*va == *vb) return 0;
      return (*va < *vb) == o.ascending ? -1 : 1;
    }
    auto va = o.kind == "attributes" ? AttributeText(a, o.key) : TextOf(a, o.kind, o.key);
    auto vb = o.kind == "attributes" ? AttributeText(b, o.key) : TextOf(b, o.kind, o.key);
    if (!va || !vb) return va ? -1 : vb ? 1 : 0;
    if (*va == *vb) return 0;
    return (*va < *vb) == o.ascending ? -1 : 1;
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const RunRow& a, const RunRow& b) {
    for (const OrderTerm& o : terms) {
      if (int c = cmp(a, b, o); c != 0) return c < 0;
    }
    if (a.run.start.start_ms != b.run.start.start_ms) {
      return a.run.start.start_ms > b.run.start.start_ms;
    }
    return a.run.id < b.run.id;
  });
}

}  // namespace hone::server::mlflow
