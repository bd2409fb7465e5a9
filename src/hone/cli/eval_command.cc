// hone eval: score a model bundle on a CSV file that holds the target.
#include "hone/cli/commands.h"
#include "hone/cli/model_source.h"
#include "hone/cli/report.h"
#include "hone/learn/bundle.h"
#include "hone/learn/evaluate.h"

namespace hone::cli {
namespace {

struct EvalFlags {
  std::string model;
  StoreFlags store;
  std::string data;
  unsigned threads = 0;
  bool json = false;
};

int RunEval(Io& io, const EvalFlags& f) {
  if (f.model.empty() || f.data.empty()) {
    return ReportError(
        io, "eval", Error(ErrorCode::kInvalidArgument, "--model and --data are required"), f.json);
  }
  auto source = LoadModel(f.model, f.store);
  if (!source) return ReportError(io, "eval", source.error(), f.json);
  learn::LoadedModel* loaded = &source->loaded;
  auto data = ReadDataFile(f.data, ModelReadOptions(loaded->bundle, true, f.threads));
  if (!data) return ReportError(io, "eval", data.error(), f.json);
  auto eval = learn::EvaluateOnTable(*loaded, data->table, f.threads);
  if (!eval) return ReportError(io, "eval", eval.error().WithContext(f.data), f.json);

  if (f.json) {
    io.out << DumpJson({{"command", "eval"},
                        {"model", source->name},
                        {"bundle_sha256", loaded->digest},
                        {"model_kind", loaded->bundle.model_kind},
                        {"task", learn::TaskName(loaded->bundle.target.task)},
                        {"target", loaded->bundle.target.name},
                        {"data", {{"path", f.data}, {"sha256", data->sha256}}},
                        {"rows", eval->rows},
                        {"rows_dropped_missing_target", eval->rows_dropped},
                        {"metrics", MetricsJson(eval->metrics)}})
           << "\n";
    return kExitOk;
  }
  io.out << "evaluated " << source->name << " (" << loaded->bundle.model_kind << ", "
         << learn::TaskName(loaded->bundle.target.task) << ", target '"
         << loaded->bundle.target.name << "') on " << f.data << "\n";
  io.out << "  rows     " << eval->rows << " scored";
  if (eval->rows_dropped > 0) io.out << ", " << eval->rows_dropped << " without a target skipped";
  io.out << "\n  metrics\n";
  PrintMetrics(io.out, eval->metrics, "    ");
  return kExitOk;
}

}  // namespace

Action AddEvalCommand(CLI::App& app) {
  auto f = std::make_shared<EvalFlags>();
  CLI::App* cmd = app.add_subcommand("eval", "Score a model on a CSV file that holds the target");
  AddModelFlags(cmd, f->model, f->store);
  cmd->add_option("--data", f->data, "Data to score (CSV with a header row)");
  cmd->add_option("--threads", f->threads, "Threads (0 = all cores)")->capture_default_str();
  cmd->add_flag("--json", f->json, "Print one JSON object instead of text");
  return [f](Io& io) { return RunEval(io, *f); };
}

}  // namespace hone::cli
