#include "hone/registry/registry.h"

#include <cstdlib>

#include <pwd.h>
#include <unistd.h>

namespace hone::registry {

store::Actor DefaultActor() {
  if (const char* actor = std::getenv("HONE_ACTOR"); actor != nullptr && *actor != '\0') {
    return {actor};
  }
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_name != nullptr) {
    return {pw->pw_name};
  }
  if (const char* user = std::getenv("USER"); user != nullptr && *user != '\0') return {user};
  return {"uid:" + std::to_string(::geteuid())};
}

Result<int64_t> RollbackTarget(std::string_view model, std::string_view alias,
                               std::span<const store::AliasMove> history) {
  // Newest first: each rollback undoes one earlier move, so it is skipped together with it.
  int undone = 0;
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    if (it->from == it->to) continue;  // a move that changed nothing
    if (it->action == "rollback") {
      ++undone;
      continue;
    }
    if (undone > 0) {
      --undone;
      continue;
    }
    if (it->from) return *it->from;
    break;
  }
  return Fail(ErrorCode::kNotFound, "alias '" + std::string(alias) + "' of model '" +
                                        std::string(model) +
                                        "' has no earlier version to roll back to");
}

Result<std::string> Registry::PutArtifact(std::string_view bytes) {
  // The folder learns that this store keeps blobs in it before the first one lands, so that
  // another store sharing the folder refuses to collect it.
  HONE_ASSIGN_OR_RETURN(std::string store_id, meta_.StoreId());
  HONE_TRY(artifacts_.Claim(store_id));
  return artifacts_.Put(bytes);
}

Result<store::ModelVersion> Registry::Register(store::NewVersion version, std::string_view bundle) {
  HONE_TRY(store::CheckName("model", version.model));
  HONE_ASSIGN_OR_RETURN(version.bundle_digest, PutArtifact(bundle));
  return meta_.CreateVersion(version, actor_);
}

Result<int64_t> Registry::ResolveVersion(const ModelRef& ref) {
  switch (ref.kind) {
    case ModelRef::Kind::kAlias:
      return meta_.ResolveAlias(ref.model, ref.alias);
    case ModelRef::Kind::kVersion:
      HONE_TRY(meta_.GetVersion(ref.model, ref.version));
      return ref.version;
    case ModelRef::Kind::kLatest: {
      HONE_ASSIGN_OR_RETURN(store::Model model, meta_.GetModel(ref.model));
      return model.latest_version;
    }
    case ModelRef::Kind::kFile:
      break;
  }
  return Fail(ErrorCode::kInvalidArgument,
              "'" + ref.path + "' is a bundle file, not a registered model version");
}

Result<ResolvedModel> Registry::Resolve(std::string_view reference) {
  HONE_ASSIGN_OR_RETURN(ModelRef ref, ParseModelRef(reference));
  ResolvedModel resolved;
  if (ref.kind == ModelRef::Kind::kFile) {
    HONE_ASSIGN_OR_RETURN(resolved.bundle, core::ReadFileBytes(ref.path));
    resolved.source = ref.path;
    return resolved;
  }
  HONE_ASSIGN_OR_RETURN(int64_t number, ResolveVersion(ref));
  HONE_ASSIGN_OR_RETURN(store::ModelVersion version, meta_.GetVersion(ref.model, number));
  auto bundle = artifacts_.Get(version.bundle_digest);
  if (!bundle) {
    return Fail(
        bundle.error().WithContext("bundle of " + ref.model + "/" + std::to_string(number)));
  }
  resolved.bundle = std::move(*bundle);
  resolved.source = ref.model + "/" + std::to_string(number);
  if (ref.kind != ModelRef::Kind::kVersion) {
    resolved.source = ref.ToString() + " = " + resolved.source;
  }
  resolved.version = std::move(version);
  return resolved;
}

Result<AliasOutcome> Registry::Promote(std::string_view model, int64_t version,
                                       std::string_view alias,
                                       std::optional<std::optional<int64_t>> expect, bool force) {
  HONE_TRY(store::CheckName("alias", alias));
  HONE_ASSIGN_OR_RETURN(store::Model m, meta_.GetModel(model));
  auto current = m.aliases.find(std::string(alias));
  std::optional<int64_t> from;
  if (current != m.aliases.end()) from = current->second;
  if (from == version && (!expect || *expect == from)) {
    HONE_TRY(meta_.GetVersion(model, version));
    return AliasOutcome{from, version, false};
  }
  store::AliasChange change{
      std::string(model), std::string(alias), version, expect, "promote", actor_};
  change.forced = force;
  HONE_ASSIGN_OR_RETURN(store::AliasMove move, meta_.MoveAlias(change));
  return AliasOutcome{move.from, move.to, true};
}

Result<store::AliasChange> RollbackChange(store::MetaStore& meta, std::string_view model,
                                          std::string_view alias, store::Actor actor,
                                          std::optional<int64_t> expect) {
  HONE_ASSIGN_OR_RETURN(int64_t current, meta.ResolveAlias(model, alias));
  if (expect && *expect != current) {
    return Fail(ErrorCode::kConflict, "alias '" + std::string(alias) + "' of model '" +
                                          std::string(model) + "' points at version " +
                                          std::to_string(current) + " now, not " +
                                          std::to_string(*expect));
  }
  HONE_ASSIGN_OR_RETURN(std::vector<store::AliasMove> history, meta.AliasHistory(model, alias));
  HONE_ASSIGN_OR_RETURN(int64_t target, RollbackTarget(model, alias, history));
  // Compare-and-swap on the position the target was computed from.
  return store::AliasChange{std::string(model),
                            std::string(alias),
                            target,
                            std::optional<std::optional<int64_t>>(current),
                            "rollback",
                            std::move(actor)};
}

Result<AliasOutcome> Registry::Rollback(std::string_view model, std::string_view alias) {
  HONE_TRY(store::CheckName("alias", alias));
  HONE_ASSIGN_OR_RETURN(store::AliasChange change, RollbackChange(meta_, model, alias, actor_));
  HONE_ASSIGN_OR_RETURN(store::AliasMove move, meta_.MoveAlias(change));
  return AliasOutcome{move.from, move.to, true};
}

Result<AliasOutcome> Registry::DeleteAlias(std::string_view model, std::string_view alias,
                                           std::optional<std::optional<int64_t>> expect) {
  HONE_ASSIGN_OR_RETURN(int64_t current, meta_.ResolveAlias(model, alias));
  if (!expect) expect = std::optional<int64_t>(current);
  store::AliasChange change{
      std::string(model), std::string(alias), std::nullopt, expect, "alias-delete", actor_};
  HONE_ASSIGN_OR_RETURN(store::AliasMove move, meta_.MoveAlias(change));
  return AliasOutcome{move.from, move.to, true};
}

}  // namespace hone::registry
