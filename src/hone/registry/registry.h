// The model registry: registering versions with their bundles, resolving references, moving
// aliases (promote, rollback) with optimistic concurrency. Every change goes through the
// MetaStore in one transaction and lands in the audit log.
#ifndef HONE_REGISTRY_REGISTRY_H_
#define HONE_REGISTRY_REGISTRY_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "hone/core/error.h"
#include "hone/core/file.h"
#include "hone/registry/model_ref.h"
#include "hone/store/artifact_store.h"
#include "hone/store/meta_store.h"

namespace hone::registry {

/// Who is acting, for the audit log: HONE_ACTOR, else the OS user.
store::Actor DefaultActor();

/// The alias moved when none is named.
inline constexpr std::string_view kProductionAlias = "production";

/// A model found by reference, with its bundle's bytes (verified against the digest the
/// registry holds).
struct ResolvedModel {
  std::optional<store::ModelVersion> version;  // empty for a bundle file
  core::FileBytes bundle;
  std::string source;  // "churn/3", "churn@production = churn/3", or the file's path
};

/// What a promotion did.
struct AliasOutcome {
  std::optional<int64_t> from;
  std::optional<int64_t> to;
  bool changed = true;  // false when the alias already pointed there
};

/// Where rolling `history` (oldest first) back goes: the version the alias pointed at before
/// its latest move that was not itself undone, so repeated rollbacks walk back one release at a
/// time. kNotFound when nothing is left to go back to.
Result<int64_t> RollbackTarget(std::string_view model, std::string_view alias,
                               std::span<const store::AliasMove> history);

/// The move a rollback of `model`'s `alias` makes: back to RollbackTarget of its history, as a
/// compare-and-swap on where it points now, so that a move in between fails the rollback
/// instead of undoing someone else's release. With `expect`, kConflict unless the alias points
/// at `*expect` now (the version a caller saw). Reads the store; moves nothing.
Result<store::AliasChange> RollbackChange(store::MetaStore& meta, std::string_view model,
                                          std::string_view alias, store::Actor actor,
                                          std::optional<int64_t> expect = std::nullopt);

/// Registry operations over one open store. Not thread-safe, like the MetaStore it uses; does
/// not own the stores.
class Registry {
 public:
  Registry(store::MetaStore& meta, const store::ArtifactStore& artifacts, store::Actor actor)
      : meta_(meta), artifacts_(artifacts), actor_(std::move(actor)) {}

  /// Puts `bundle` into the artifact store (durably, before the version that names it is
  /// committed) and registers the next version of `version.model` pointing at it.
  Result<store::ModelVersion> Register(store::NewVersion version, std::string_view bundle);
  /// Puts a run's file (a data snapshot, a model, a verdict) into the artifact store, after
  /// recording in the folder that this store keeps blobs there. Returns its digest.
  Result<std::string> PutArtifact(std::string_view bytes);

  /// The version number a registry reference names (kInvalidArgument for a file reference).
  Result<int64_t> ResolveVersion(const ModelRef& ref);
  /// Any reference, with its bundle bytes.
  Result<ResolvedModel> Resolve(std::string_view reference);

  /// Points `alias` at `version`. With `expect`, only if the alias points at `*expect` now
  /// (nullopt inside: only if it does not exist yet); otherwise kConflict.
  /// `force`: override a server's protected-alias rule (admins only; audited as forced).
  Result<AliasOutcome> Promote(std::string_view model, int64_t version, std::string_view alias,
                               std::optional<std::optional<int64_t>> expect = std::nullopt,
                               bool force = false);
  /// Moves `alias` back to where it pointed before its latest move (see RollbackTarget).
  Result<AliasOutcome> Rollback(std::string_view model, std::string_view alias);
  /// Removes `alias`; with `expect`, only if it points at `*expect` now.
  Result<AliasOutcome> DeleteAlias(std::string_view model, std::string_view alias,
                                   std::optional<std::optional<int64_t>> expect = std::nullopt);

 private:
  store::MetaStore& meta_;
  const store::ArtifactStore& artifacts_;
  store::Actor actor_;
};

}  // namespace hone::registry

#endif  // HONE_REGISTRY_REGISTRY_H_
