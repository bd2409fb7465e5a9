// hone runs list | show | compare: what was run, with what, and how it did.
#include <cstdio>
#include <set>

#include "hone/cli/commands.h"
#include "hone/cli/report.h"
#include "hone/cli/store_report.h"

namespace hone::cli {
namespace {

struct RunsFlags {
  StoreFlags store;
  bool json = false;
  size_t limit = 50;
  size_t offset = 0;
  std::string model;
  std::vector<std::string> ids;
};

std::string Duration(const store::Run& run) {
  if (!run.end_ms) return "-";
  char text[32];
  std::snprintf(text, sizeof(text), "%.1fs",
                static_cast<double>(*run.end_ms - run.start.start_ms) / 1000.0);
  return text;
}

Result<nlohmann::json> List(Io& io, store::Store& s, const RunsFlags& f) {
  store::RunQuery q;
  q.limit = f.limit;
  q.offset = f.offset;
  if (!f.model.empty()) {
    HONE_TRY(s.meta->GetModel(f.model));  // an unknown model is an error, not an empty list
    q.model = f.model;
  }
  HONE_ASSIGN_OR_RETURN(std::vector<store::Run> runs, s.meta->ListRuns(q));
  nlohmann::json j = {{"runs", nlohmann::json::array()}};
  for (const store::Run& r : runs) j["runs"].push_back(RunJson(r));
  if (!f.json) {
    char line[256];
    std::snprintf(line, sizeof(line), "%-10s  %-8s  %-24s  %8s  %-12s  %s\n", "RUN", "STATUS",
                  "START", "DURATION", "DATA", "METRICS");
    io.out << line;
    for (const store::Run& r : runs) {
      std::string metrics;
      for (const store::Metric& m : r.metrics) {
        metrics += (metrics.empty() ? "" : " ") + m.key + "=" + FormatMetric(m.value);
      }
      std::snprintf(line, sizeof(line), "%-10s  %-8s  %-24s  %8s  %-12s  ",
                    r.id.substr(0, 10).c_str(), store::RunStatusName(r.status),
                    FormatTime(r.start.start_ms).c_str(), Duration(r).c_str(),
                    r.start.data_digest ? r.start.data_digest->substr(0, 12).c_str() : "-");
      io.out << line << metrics << "\n";
    }
  }
  return j;
}

void PrintRun(std::ostream& out, const store::Run& r) {
  out << "run      " << r.id << "\n"
      << "status   " << store::RunStatusName(r.status) << "\n"
      << "command  " << r.start.command << "\n"
      << "start    " << FormatTime(r.start.start_ms) << " (" << Duration(r) << ")\n"
      << "where    " << r.start.user << "@" << r.start.host << "\n"
      << "code     " << r.start.code_commit.value_or("-")
      << (r.start.code_dirty.value_or(false) ? " (dirty)" : "") << "\n"
      << "data     " << r.start.data_digest.value_or("-") << "\n"
      << "config   " << r.start.config_digest.value_or("-") << "\n";
  out << "params\n";
  for (const auto& [k, v] : r.params) out << "  " << k << " = " << v << "\n";
  if (!r.tags.empty()) out << "tags\n";
  for (const auto& [k, v] : r.tags) out << "  " << k << " = " << v << "\n";
  out << "metrics\n";
  for (const store::Metric& m : r.metrics) {
    out << "  " << m.key << " = " << FormatMetric(m.value);
    if (m.step != 0) out << " (step " << m.step << ")";
    out << "\n";
  }
  if (!r.artifacts.empty()) out << "artifacts\n";
  for (const store::RunArtifact& a : r.artifacts) {
    out << "  " << a.name << "  " << a.digest.substr(0, 16) << "  " << a.bytes << " bytes\n";
  }
}

Result<nlohmann::json> Show(Io& io, store::Store& s, const RunsFlags& f) {
  HONE_ASSIGN_OR_RETURN(store::Run run, s.meta->GetRun(f.ids.at(0)));
  if (!f.json) PrintRun(io.out, run);
  return RunJson(run);
}

/// The latest value of each metric key (highest step, then latest time).
std::map<std::string, double> Latest(const store::Run& run) {
  std::map<std::string, std::pair<std::pair<int64_t, int64_t>, double>> best;
  for (const store::Metric& m : run.metrics) {
    auto order = std::make_pair(m.step, m.timestamp_ms);
    auto it = best.find(m.key);
    if (it == best.end() || order >= it->second.first) best[m.key] = {order, m.value};
  }
  std::map<std::string, double> out;
  for (const auto& [k, v] : best) out[k] = v.second;
  return out;
}

Result<nlohmann::json> Compare(Io& io, store::Store& s, const RunsFlags& f) {
  if (f.ids.size() < 2) {
    return Fail(ErrorCode::kInvalidArgument, "compare takes two or more runs");
  }
  std::vector<store::Run> runs;
  for (const std::string& id : f.ids) {
    HONE_ASSIGN_OR_RETURN(store::Run run, s.meta->GetRun(id));
    runs.push_back(std::move(run));
  }
  std::set<std::string> param_keys, metric_keys;
  std::vector<std::map<std::string, double>> latest;
  for (const store::Run& r : runs) {
    for (const auto& [k, v] : r.params) param_keys.insert(k);
    latest.push_back(Latest(r));
    for (const auto& [k, v] : latest.back()) metric_keys.insert(k);
  }
  nlohmann::json j = {{"runs", nlohmann::json::array()},
                      {"params", nlohmann::json::object()},
                      {"metrics", nlohmann::json::object()},
                      {"data_digest", nlohmann::json::array()},
                      {"code_commit", nlohmann::json::array()}};
  for (const store::Run& r : runs) {
    j["runs"].push_back(r.id);
    j["data_digest"].push_back(r.start.data_digest ? nlohmann::json(*r.start.data_digest)
                                                   : nlohmann::json());
    j["code_commit"].push_back(r.start.code_commit ? nlohmann::json(*r.start.code_commit)
                                                   : nlohmann::json());
  }
  for (const std::string& k : param_keys) {
    nlohmann::json row = nlohmann::json::array();
    for (const store::Run& r : runs) {
      auto it = r.params.find(k);
      row.push_back(it == r.params.end() ? nlohmann::json() : nlohmann::json(it->second));
    }
    j["params"][k] = row;
  }
  for (const std::string& k : metric_keys) {
    nlohmann::json row = nlohmann::json::array();
    for (const auto& l : latest) {
      auto it = l.find(k);
      row.push_back(it == l.end() ? nlohmann::json() : MetricValue(it->second));
    }
    j["metrics"][k] = row;
  }
  if (!f.json) {
    auto cell = [](const std::string& text) {
      char c[32];
      std::snprintf(c, sizeof(c), "%-18.18s", text.c_str());
      return std::string(c);
    };
    io.out << cell("");
    for (const store::Run& r : runs) io.out << "  " << cell(r.id.substr(0, 10));
    io.out << "\n" << cell("data");
    for (const store::Run& r : runs) {
      io.out << "  " << cell(r.start.data_digest ? r.start.data_digest->substr(0, 12) : "-");
    }
    io.out << "\n" << cell("code");
    for (const store::Run& r : runs) {
      io.out << "  " << cell(r.start.code_commit ? r.start.code_commit->substr(0, 12) : "-");
    }
    io.out << "\nparams\n";
    for (const std::string& k : param_keys) {
      io.out << cell("  " + k);
      for (const store::Run& r : runs) {
        auto it = r.params.find(k);
        io.out << "  " << cell(it == r.params.end() ? "-" : it->second);
      }
      io.out << "\n";
    }
    io.out << "metrics\n";
    for (const std::string& k : metric_keys) {
      io.out << cell("  " + k);
      for (const auto& l : latest) {
        auto it = l.find(k);
        io.out << "  " << cell(it == l.end() ? "-" : FormatMetric(it->second));
      }
      io.out << "\n";
    }
  }
  return j;
}

int RunRuns(Io& io, CLI::App* cmd, const RunsFlags& f) {
  return RunOnStore<RunsFlags>(io, cmd, f, {{"list", List}, {"show", Show}, {"compare", Compare}});
}

}  // namespace

Action AddRunsCommand(CLI::App& app) {
  auto f = std::make_shared<RunsFlags>();
  CLI::App* cmd = app.add_subcommand("runs", "Recorded runs: parameters, metrics, lineage");
  cmd->require_subcommand(1);
  CLI::App* list = cmd->add_subcommand("list", "Runs, newest first");
  list->add_option("--limit", f->limit, "At most this many")->capture_default_str();
  list->add_option("--offset", f->offset, "Skip this many first");
  list->add_option("--model", f->model, "Only runs that registered a version of this model");
  AddStoreCommandFlags(list, f->store, f->json);
  CLI::App* show = cmd->add_subcommand("show", "One run with every metric value");
  show->add_option("RUN", f->ids, "Run id (or a unique prefix of 4+ characters)")
      ->required()
      ->expected(1);
  AddStoreCommandFlags(show, f->store, f->json);
  CLI::App* compare = cmd->add_subcommand("compare", "Runs side by side");
  compare->add_option("RUN", f->ids, "Two or more run ids (or unique prefixes)")
      ->required()
      ->expected(2, 100);
  AddStoreCommandFlags(compare, f->store, f->json);
  return [f, cmd](Io& io) { return RunRuns(io, cmd, *f); };
}

}  // namespace hone::cli
