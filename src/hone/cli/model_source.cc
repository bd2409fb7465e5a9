#include "hone/cli/model_source.h"

#include "hone/registry/registry.h"

namespace hone::cli {

Result<ModelSource> LoadModel(const std::string& reference, const StoreFlags& flags) {
  HONE_ASSIGN_OR_RETURN(registry::ModelRef ref, registry::ParseModelRef(reference));
  if (ref.kind == registry::ModelRef::Kind::kFile) {
    HONE_ASSIGN_OR_RETURN(learn::LoadedModel loaded, learn::LoadBundle(ref.path));
    HONE_TRY(learn::UseRawInputs(loaded, ref.path));
    return ModelSource{std::move(loaded), ref.path};
  }
  HONE_ASSIGN_OR_RETURN(store::Store s, OpenStoreFrom(flags, /*create=*/false));
  registry::Registry r(*s.meta, s.artifacts, registry::DefaultActor());
  HONE_ASSIGN_OR_RETURN(registry::ResolvedModel resolved, r.Resolve(reference));
  HONE_ASSIGN_OR_RETURN(learn::LoadedModel loaded,
                        learn::LoadBundleBytes(resolved.bundle.view(), resolved.source));
  // The rows these commands read are raw: a pii policy the model was trained under applies.
  HONE_TRY(learn::UseRawInputs(loaded, resolved.source));
  return ModelSource{std::move(loaded), resolved.source};
}

void AddModelFlags(CLI::App* command, std::string& model, StoreFlags& store) {
  command->add_option("--model", model,
                      "Model: a bundle file written by hone train, or a registered version "
                      "(NAME@ALIAS, NAME/VERSION, NAME/latest, models:/NAME@ALIAS, "
                      "models:/NAME/VERSION)");
  AddStoreFlags(command, store);
}

}  // namespace hone::cli
