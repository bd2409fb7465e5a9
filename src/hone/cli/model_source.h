// --model for the commands that use a model: a bundle file or any registry reference.
#ifndef HONE_CLI_MODEL_SOURCE_H_
#define HONE_CLI_MODEL_SOURCE_H_

#include <string>

#include "hone/cli/store_report.h"
#include "hone/learn/bundle.h"

namespace hone::cli {

struct ModelSource {
  learn::LoadedModel loaded;
  std::string name;  // the file, or "churn@production = churn/3"
};

/// Loads the model `reference` names: a bundle file, or NAME@ALIAS, NAME/VERSION,
/// models:/… from the store the flags name (whose bundle is verified against its digest).
Result<ModelSource> LoadModel(const std::string& reference, const StoreFlags& store);

/// Adds --model, --store and --artifacts to a command that uses a model.
void AddModelFlags(CLI::App* command, std::string& model, StoreFlags& store);

}  // namespace hone::cli

#endif  // HONE_CLI_MODEL_SOURCE_H_
