#include "hone/store/meta_store.h"

#include <chrono>
#include <random>

namespace hone::store {

const char* RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kFinished:
      return "finished";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kKilled:
      return "killed";
  }
  return "unknown";
}

Result<RunStatus> ParseRunStatus(std::string_view name) {
  for (RunStatus s :
       {RunStatus::kRunning, RunStatus::kFinished, RunStatus::kFailed, RunStatus::kKilled}) {
    if (name == RunStatusName(s)) return s;
  }
  return Fail(ErrorCode::kCorrupt, "unknown run status '" + std::string(name) +
                                       "'; known: running, finished, failed, killed");
}

const char* RoleName(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kTrainer:
      return "trainer";
    case Role::kDeployer:
      return "deployer";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

Result<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kViewer, Role::kTrainer, Role::kDeployer, Role::kAdmin}) {
    if (name == RoleName(r)) return r;
  }
  return Fail(ErrorCode::kInvalidArgument,
              "unknown role '" + std::string(name) + "'; known: viewer, trainer, deployer, admin");
}

bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name[0])) return false;
  for (char c : name) {
    if (!alnum(c) && c != '_' && c != '-' && c != '.') return false;
  }
  return true;
}

Result<void> CheckName(std::string_view what, std::string_view name) {
  if (IsValidName(name)) return {};
  return Fail(ErrorCode::kInvalidArgument,
              std::string(what) + " name '" + std::string(name) +
                  "' is not valid: use 1-128 letters, digits, '_', '-' or '.', starting with a "
                  "letter or digit");
}

std::string NewRunId() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device device;  // /dev/urandom
  std::string id;
  id.reserve(32);
  for (int word = 0; word < 4; ++word) {
    uint32_t bits = device();
    for (int i = 0; i < 8; ++i, bits >>= 4) id.push_back(kHex[bits & 15]);
  }
  return id;
}

TimeMs NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ModelVersion VersionFromRequest(const NewVersion& nv, int64_t number, std::optional<int64_t> parent,
                                TimeMs now, const Actor& actor) {
  ModelVersion v;
  v.model = nv.model;
  v.version = number;
  v.bundle_digest = nv.bundle_digest;
  v.run_id = nv.run_id;
  v.data_digest = nv.data_digest;
  v.code_commit = nv.code_commit;
  v.code_dirty = nv.code_dirty;
  v.config_digest = nv.config_digest;
  v.params = nv.params;
  v.metrics = nv.metrics;
  v.parent = parent;
  v.description = nv.description;
  v.created_ms = now;
  v.created_by = actor.name;
  return v;
}

// --- MLflow compatibility a store may leave out ---

namespace {

Error NoMlflowRecords(const MetaStore& store, std::string_view what) {
  return Error(ErrorCode::kUnsupported, "store '" + store.Describe() + "' does not keep " +
                                            std::string(what) +
                                            " (MLflow's API on hone server does)");
}

}  // namespace

Result<Experiment> MetaStore::PutExperiment(const Experiment&, const Actor&) {
  return Fail(NoMlflowRecords(*this, "MLflow experiments"));
}

Result<void> MetaStore::SetExperimentDeleted(std::string_view, bool, const Actor&) {
  return Fail(NoMlflowRecords(*this, "MLflow experiments"));
}

Result<void> MetaStore::DeleteRunTag(std::string_view, std::string_view) {
  return Fail(NoMlflowRecords(*this, "deletions of run tags"));
}

Result<void> MetaStore::LogRunInputs(std::string_view, std::span<const RunInput>) {
  return Fail(NoMlflowRecords(*this, "MLflow run inputs"));
}

Result<std::vector<RunInput>> MetaStore::ListRunInputs(std::string_view) {
  return Fail(NoMlflowRecords(*this, "MLflow run inputs"));
}

Result<Model> MetaStore::RenameModel(std::string_view, std::string_view, const Actor&) {
  return Fail(NoMlflowRecords(*this, "model renames"));
}

}  // namespace hone::store
