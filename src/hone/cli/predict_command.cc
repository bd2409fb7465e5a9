// hone predict: predictions for every row of a CSV file, as CSV.
#include "hone/cli/commands.h"
#include "hone/cli/model_source.h"
#include "hone/cli/report.h"
#include "hone/learn/bundle.h"
#include "hone/learn/evaluate.h"

namespace hone::cli {

namespace {

struct PredictFlags {
  std::string model;
  StoreFlags store;
  std::string data;
  std::string out;
  bool proba = false;
  unsigned threads = 0;
};

int RunPredict(Io& io, const PredictFlags& f) {
  if (f.model.empty() || f.data.empty()) {
    return ReportError(io, "predict",
                       Error(ErrorCode::kInvalidArgument, "--model and --data are required"),
                       false);
  }
  auto source = LoadModel(f.model, f.store);
  if (!source) return ReportError(io, "predict", source.error(), false);
  learn::LoadedModel* loaded = &source->loaded;
  if (f.proba && !learn::IsClassification(loaded->bundle.target.task)) {
    return ReportError(io, "predict",
                       Error(ErrorCode::kInvalidArgument,
                             "--proba needs a classification model; " + source->name +
                                 " predicts '" + loaded->bundle.target.name + "' by regression"),
                       false);
  }
  auto data = ReadDataFile(f.data, ModelReadOptions(loaded->bundle, false, f.threads));
  if (!data) return ReportError(io, "predict", data.error(), false);
  auto outputs =
      learn::PredictTable(*loaded->model, loaded->bundle.features, data->table, f.threads);
  if (!outputs) return ReportError(io, "predict", outputs.error().WithContext(f.data), false);
  auto table = learn::PredictionTable(loaded->bundle.target, *outputs, f.proba);
  if (!table) return ReportError(io, "predict", table.error(), false);
  if (f.out.empty()) {
    io.out << core::FormatCsv(*table);
    return kExitOk;
  }
  if (auto w = core::WriteCsv(f.out, *table); !w)
    return ReportError(io, "predict", w.error(), false);
  io.err << "hone predict: wrote " << table->num_rows() << " predictions to " << f.out << "\n";
  return kExitOk;
}

}  // namespace

Action AddPredictCommand(CLI::App& app) {
  auto f = std::make_shared<PredictFlags>();
  CLI::App* cmd = app.add_subcommand("predict", "Predict every row of a CSV file");
  AddModelFlags(cmd, f->model, f->store);
  cmd->add_option("--data", f->data, "Rows to predict (CSV with a header row)");
  cmd->add_option("--out", f->out, "Write predictions to this CSV file (default: stdout)");
  cmd->add_flag("--proba", f->proba, "Add a proba_<class> column per class (classification)");
  cmd->add_option("--threads", f->threads, "Threads (0 = all cores)")->capture_default_str();
  return [f](Io& io) { return RunPredict(io, *f); };
}

}  // namespace hone::cli
