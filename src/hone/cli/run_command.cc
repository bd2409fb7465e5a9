// hone run: execute the pipeline in hone.yaml once; hone init: write a working one.
#include "hone/cli/commands.h"
#include "hone/cli/interrupt.h"
#include "hone/cli/report.h"
#include "hone/cli/store_report.h"
#include "hone/core/file.h"
#include "hone/gate/report.h"
#include "hone/pipeline/init.h"
#include "hone/pipeline/run.h"
#include "hone/registry/registry.h"

namespace hone::cli {
namespace {

struct RunFlags {
  std::string file = "hone.yaml";
  bool dry_run = false;
  bool force = false;
  bool no_promote = false;
  bool json = false;
  std::string junit;
  std::string report;
  StoreFlags store;
};

/// Writes the JUnit and Markdown reports the flags ask for (also after an error, so CI shows
/// it). The SVG chart goes beside the Markdown file.
Result<void> WriteReports(const RunFlags& f, const gate::RunReport& report) {
  if (!f.junit.empty()) HONE_TRY(core::WriteFileAtomic(f.junit, gate::JunitXml(report)));
  if (!f.report.empty()) {
    std::filesystem::path chart = f.report;
    chart.replace_extension(".svg");
    HONE_TRY(core::WriteFileAtomic(chart, gate::MetricsChartSvg(report)));
    HONE_TRY(
        core::WriteFileAtomic(f.report, gate::MarkdownReport(report, chart.filename().string())));
  }
  return {};
}

void PrintResult(std::ostream& out, const pipeline::PipelineResult& r) {
  for (const gate::CheckResult& c : r.report.verdict.checks) {
    if (c.passed) continue;
    out << (c.severity == gate::Severity::kError ? "  FAIL " : "  WARN ") << c.stage << ": "
        << c.name << ": " << c.reason << "\n";
  }
  const std::string run = r.run_id.substr(0, 10);
  switch (r.outcome) {
    case pipeline::Outcome::kPromoted:
      out << "promoted " << r.report.candidate << " to " << r.alias << " (run " << run << ")\n";
      break;
    case pipeline::Outcome::kRegistered:
      out << "registered " << r.report.candidate << "; promotion is off (run " << run << ")\n";
      break;
    case pipeline::Outcome::kRejected:
      out << "rejected: nothing registered or promoted (run " << run << ")\n";
      break;
    case pipeline::Outcome::kUnchanged:
      out << "unchanged: run " << run << " already handled these inputs ("
          << pipeline::OutcomeName(r.recorded) << ")\n";
      break;
  }
}

int RunRun(Io& io, const RunFlags& f) {
  auto spec = pipeline::LoadSpec(f.file);
  if (!spec) return ReportError(io, "run", spec.error(), f.json);
  if (f.no_promote) spec->promote.enabled = false;
  const std::filesystem::path dir =
      std::filesystem::absolute(spec->dir.empty() ? std::filesystem::path(".") : spec->dir);
  if (f.dry_run) {
    // A dry run never makes a store; it reads one if there is one.
    auto store = OpenStoreFrom(f.store, /*create=*/false, dir);
    if (!store && store.error().code() != ErrorCode::kNotFound) {
      return ReportError(io, "run", store.error(), f.json);
    }
    auto plan = pipeline::PlanPipeline(*spec, store ? &*store : nullptr);
    if (!plan) return ReportError(io, "run", plan.error(), f.json);
    if (f.json) {
      io.out << DumpJson(plan->json) << "\n";
    } else {
      for (const std::string& line : plan->lines) io.out << line << "\n";
    }
    return kExitOk;
  }
  gate::RunReport failed;
  failed.model = spec->model;
  failed.outcome = "failed";
  auto store = OpenStoreFrom(f.store, /*create=*/true, dir);
  if (!store) {
    failed.error = store.error().message();
    (void)WriteReports(f, failed);
    return ReportError(io, "run", store.error(), f.json);
  }
  InterruptGuard guard;
  pipeline::RunOptions options;
  options.force = f.force;
  options.cancel = guard.cancel();
  options.command_line = io.command_line;
  options.actor = registry::DefaultActor();
  std::ostream& progress = f.json ? io.err : io.out;
  options.progress = [&](std::string_view line) { progress << line << "\n" << std::flush; };
  if (!f.json) io.out << "hone run: " << spec->model << " (" << f.file << ")\n";
  auto result = pipeline::RunPipeline(*spec, *store, options);
  if (!result) {
    failed.error = result.error().message();
    (void)WriteReports(f, failed);
    return ReportError(io, "run", result.error(), f.json);
  }
  if (auto written = WriteReports(f, result->report); !written) {
    return ReportError(io, "run", written.error(), f.json);
  }
  if (f.json) {
    io.out << DumpJson(result->ToJson()) << "\n";
  } else {
    PrintResult(io.out, *result);
  }
  return result->ExitCode();
}

int RunInit(Io& io, const std::string& dir) {
  auto written = pipeline::InitProject(dir);
  if (!written) return ReportError(io, "init", written.error(), false);
  for (const auto& file : *written) io.out << "wrote " << file.string() << "\n";
  io.out << "next: hone run"
         << (dir == "." ? "" : " --file " + (std::filesystem::path(dir) / "hone.yaml").string())
         << "\n";
  return kExitOk;
}

}  // namespace

Action AddRunCommand(CLI::App& app) {
  auto f = std::make_shared<RunFlags>();
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Run the pipeline in hone.yaml: snapshot, check, train, evaluate, gate, register, "
      "promote (exit 0 promoted or unchanged, 1 a check or gate said no, 2 error)");
  cmd->add_option("-f,--file", f->file, "The pipeline spec")->capture_default_str();
  cmd->add_flag("--dry-run", f->dry_run, "Print the plan; train and write nothing");
  cmd->add_flag("--force", f->force, "Run every stage even if its inputs did not change");
  cmd->add_flag("--no-promote", f->no_promote,
                "Register a blessed candidate but move no alias (for pull requests)");
  cmd->add_flag("--json", f->json, "Print one JSON summary (progress goes to stderr)");
  cmd->add_option("--junit", f->junit, "Write a JUnit XML file: one testcase per check and gate");
  cmd->add_option("--report", f->report,
                  "Write a Markdown report (and an SVG chart beside it) for a pull request");
  AddStoreFlags(cmd, f->store);
  return [f](Io& io) { return RunRun(io, *f); };
}

Action AddInitCommand(CLI::App& app) {
  auto dir = std::make_shared<std::string>(".");
  CLI::App* cmd = app.add_subcommand(
      "init", "Write a working hone.yaml and example data, so that `hone run` works at once");
  cmd->add_option("dir", *dir, "The folder to write into")->capture_default_str();
  return [dir](Io& io) { return RunInit(io, *dir); };
}

}  // namespace hone::cli
