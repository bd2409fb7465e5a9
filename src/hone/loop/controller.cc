// Controller: one look at a time, under the model's lease.
#include "hone/loop/controller.h"

#include <charconv>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "hone/loop/observe.h"
#include "hone/pipeline/source.h"
#include "hone/registry/code_state.h"
#include "hone/registry/registry.h"

namespace hone::loop {
namespace {

constexpr std::string_view kProduction = "production";
constexpr std::string_view kCanary = "canary";
constexpr std::string_view kShadow = "shadow";

store::TimeMs SystemNow() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<int64_t> ParseVersion(const std::string& text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < 1) {
    return std::nullopt;
  }
  return v;
}

std::string_view ReleaseAlias(ReleaseMode mode) {
  return mode == ReleaseMode::kShadow ? kShadow : kCanary;
}

// The size and modification time of a file, to notice that it changed without reading it.
std::optional<std::pair<int64_t, int64_t>> FileStamp(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return std::make_pair(static_cast<int64_t>(st.st_size),
                        static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec);
}

}  // namespace

Result<std::optional<LoopState>> LatestLoopState(store::MetaStore& meta, std::string_view model) {
  HONE_ASSIGN_OR_RETURN(std::optional<store::AuditHead> head, meta.GetAuditHead());
  if (!head) return std::optional<LoopState>();
  constexpr int64_t kPage = 500;
  for (int64_t hi = head->seq; hi > 0; hi -= kPage) {
    store::AuditQuery query;
    query.after_seq = std::max<int64_t>(0, hi - kPage);
    query.limit = static_cast<size_t>(hi - query.after_seq);
    HONE_ASSIGN_OR_RETURN(std::vector<store::AuditRecord> page, meta.ListAudit(query));
    for (auto it = page.rbegin(); it != page.rend(); ++it) {
      if (it->subject != model || !it->action.starts_with(kAuditPrefix)) continue;
      nlohmann::json after = nlohmann::json::parse(it->after, nullptr, false);
      if (after.is_discarded() || !after.contains("state")) {
        return Fail(ErrorCode::kInvalidData, "audit record " + std::to_string(it->seq) + " (" +
                                                 it->action + ") holds no loop state");
      }
      auto state = LoopState::FromJson(after["state"]);
      if (!state) {
        return Fail(
            state.error().WithContext("the loop state in audit record " + std::to_string(it->seq)));
      }
      return std::optional<LoopState>(std::move(*state));
    }
  }
  return std::optional<LoopState>();
}

struct Controller::Impl {
  pipeline::Spec spec;
  pipeline::WatchSpec watch;
  ControllerOptions options;
  std::optional<store::Store> store;
  std::unique_ptr<Observer> observer;
  bool held = false;
  LoopState state;
  // How the pipeline run this process started ended, for the kTraining look after it.
  std::optional<RunOutcome> run;
  // The data source's digest, kept while its file does not change.
  std::optional<std::pair<int64_t, int64_t>> data_stamp;
  std::string data_digest;

  store::TimeMs Now() const { return options.clock ? options.clock() : SystemNow(); }
  void Log(std::string_view line) const {
    if (options.log) options.log(line);
  }
  std::string LeaseName() const { return "watch/" + spec.model; }
  std::chrono::milliseconds LeaseTtl() const {
    return std::chrono::milliseconds(static_cast<int64_t>(watch.lease_seconds * 1000));
  }

  Result<store::Store*> Store() {
    if (!store) {
      HONE_ASSIGN_OR_RETURN(store::Store opened, options.open());
      store.emplace(std::move(opened));
      observer = std::make_unique<Observer>(*store);
    }
    return &*store;
  }

  Result<std::optional<std::string>> DataDigest() {
    if (spec.data.kind == pipeline::DataSourceSpec::Kind::kFile) {
      std::filesystem::path path = spec.data.path;
      if (path.is_relative()) path = spec.dir / path;
      auto stamp = FileStamp(path);
      if (stamp && stamp == data_stamp && !data_digest.empty()) {
        return std::optional<std::string>(data_digest);
      }
      data_stamp = stamp;
    }
    // The digest the run that follows records: of the data after the spec's pii transform.
    auto snapshot = pipeline::TakeSpecSnapshot(spec);
    if (!snapshot) {
      Log("cannot read the data source: " + snapshot.error().message());
      data_digest.clear();
      return std::optional<std::string>();
    }
    data_digest = snapshot->digest;
    return std::optional<std::string>(data_digest);
  }

  Result<Observations> Observe(store::Store& s) {
    Observations obs;
    obs.inputs.now_ms = Now();
    std::optional<int64_t> production;
    auto model = s.meta->GetModel(spec.model);
    if (model) {
      if (auto it = model->aliases.find(std::string(kProduction)); it != model->aliases.end()) {
        production = it->second;
      }
    } else if (model.error().code() != ErrorCode::kNotFound) {
      return Fail(model.error());
    }
    if (production) obs.inputs.production_version = std::to_string(*production);

    switch (state.phase) {
      case Phase::kIdle: {
        if (watch.triggers.new_data || !production) {
          HONE_ASSIGN_OR_RETURN(obs.inputs.data_digest, DataDigest());
        }
        if (watch.triggers.commit) {
          if (auto code = registry::CurrentCodeState(spec.dir)) {
            obs.inputs.code_commit = code->commit;
          }
        }
        if (!production) break;
        HONE_ASSIGN_OR_RETURN(store::ModelVersion pv, s.meta->GetVersion(spec.model, *production));
        obs.inputs.production_data_digest = pv.data_digest;
        obs.inputs.production_code_commit = pv.code_commit;
        if (!watch.triggers.drift.enabled && !watch.triggers.decay.enabled) break;
        HONE_ASSIGN_OR_RETURN(const VersionProfile* profile,
                              observer->Profile(spec.model, *production));
        HONE_ASSIGN_OR_RETURN(store::TimeMs since, observer->AliasSince(spec.model, kProduction));
        HONE_ASSIGN_OR_RETURN(LiveTraffic traffic, observer->Traffic(spec.model, *production, since,
                                                                     profile->classification()));
        if (watch.triggers.drift.enabled) {
          HONE_ASSIGN_OR_RETURN(obs.inputs.drift,
                                observer->Drift(spec.model, *production, traffic));
        }
        if (watch.triggers.decay.enabled) {
          HONE_ASSIGN_OR_RETURN(
              obs.inputs.decay,
              observer->Decay(pv, WatchedMetric(watch, profile->classification()), traffic));
        }
        break;
      }
      case Phase::kTraining:
        if (run) {
          obs.run = *run;
        } else {
          RunOutcome lost;
          lost.status = RunOutcome::Status::kFailed;
          lost.run_id = state.run_id;
          lost.reason =
              "the pipeline run did not finish in this `hone watch` (it stopped or lost "
              "its lease during the run)";
          obs.run = lost;
        }
        break;
      case Phase::kReleasing: {
        auto candidate = ParseVersion(state.candidate_version);
        if (!candidate) {
          return Fail(ErrorCode::kInvalidData,
                      "the loop state names candidate version '" + state.candidate_version + "'");
        }
        auto profile = observer->Profile(spec.model, *candidate);
        const bool classification = profile ? (*profile)->classification() : false;
        HONE_ASSIGN_OR_RETURN(obs.release, observer->Release(spec.model, *candidate, production,
                                                             state.release_started_ms,
                                                             WatchedMetric(watch, classification)));
        break;
      }
    }
    return obs;
  }

  // Runs the pipeline (register only: the controller releases), renewing the lease meanwhile.
  RunOutcome RunPipeline(store::Store& s) {
    pipeline::Spec run_spec = spec;
    run_spec.promote.alias = std::string(kProduction);
    run_spec.promote.enabled = false;
    pipeline::RunOptions options_for_run;
    options_for_run.cancel = options.cancel;
    options_for_run.command_line = "hone watch";
    options_for_run.actor = options.actor;
    options_for_run.progress = [this](std::string_view line) {
      Log(std::string("  ") + std::string(line));
    };

    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    std::thread renew([&] {
      auto other = options.open();
      std::unique_lock lock(mutex);
      while (!done_cv.wait_for(lock, LeaseTtl() / 3, [&] { return done; })) {
        if (!other) continue;
        auto lease = other->meta->AcquireLease(LeaseName(), options.holder, LeaseTtl());
        if (!lease || lease->holder != options.holder) {
          Log("lost the lease on " + spec.model + " during the pipeline run");
        }
      }
    });
    auto result = pipeline::RunPipeline(run_spec, s, options_for_run);
    {
      std::lock_guard lock(mutex);
      done = true;
    }
    done_cv.notify_all();
    renew.join();

    RunOutcome outcome;
    if (!result) {
      outcome.status = RunOutcome::Status::kFailed;
      outcome.reason = result.error().message();
      return outcome;
    }
    outcome.run_id = result->run_id;
    const pipeline::Outcome ended =
        result->outcome == pipeline::Outcome::kUnchanged ? result->recorded : result->outcome;
    if (ended == pipeline::Outcome::kRejected) {
      outcome.status = RunOutcome::Status::kRejected;
      std::string reasons;
      for (const gate::CheckResult& c : result->report.verdict.checks) {
        if (c.passed || c.severity != gate::Severity::kError) continue;
        reasons += (reasons.empty() ? "" : "; ") + c.name + ": " + c.reason;
      }
      outcome.reason = reasons.empty() ? "the gate did not bless the candidate" : reasons;
    } else if (result->version) {
      outcome.status = RunOutcome::Status::kBlessed;
      outcome.candidate_version = std::to_string(*result->version);
    } else {
      outcome.status = RunOutcome::Status::kFailed;
      outcome.reason =
          std::string("the run registered no version (") + pipeline::OutcomeName(ended) + ")";
    }
    return outcome;
  }

  Result<void> DropReleaseAlias(store::Store& s, ReleaseMode mode, const std::string& version) {
    registry::Registry registry(*s.meta, s.artifacts, options.actor);
    std::optional<std::optional<int64_t>> expect;
    if (auto v = ParseVersion(version)) expect = std::optional<int64_t>(*v);
    auto dropped = registry.DeleteAlias(spec.model, ReleaseAlias(mode), expect);
    // Already gone, or pointing elsewhere (a person moved it): not ours to remove.
    if (!dropped && dropped.error().code() != ErrorCode::kNotFound &&
        dropped.error().code() != ErrorCode::kConflict) {
      return Fail(dropped.error());
    }
    return {};
  }

  Result<void> Execute(store::Store& s, const Decision& d) {
    registry::Registry registry(*s.meta, s.artifacts, options.actor);
    switch (d.action) {
      case Action::kNone:
      case Action::kReject:
      case Action::kRetrain:  // the caller runs the pipeline after recording the decision
        return {};
      case Action::kStartRelease: {
        auto version = ParseVersion(d.version);
        if (!version) return Fail(ErrorCode::kInvalidData, "bad candidate version " + d.version);
        store::AliasChange change;
        change.model = spec.model;
        change.alias = std::string(ReleaseAlias(d.mode));
        change.to = *version;
        change.action = std::string(ReleaseAlias(d.mode));
        change.actor = options.actor;
        if (d.mode == ReleaseMode::kCanary) change.weight = d.weight;
        HONE_TRY(s.meta->MoveAlias(change));
        return {};
      }
      case Action::kPromote: {
        auto version = ParseVersion(d.version);
        if (!version) return Fail(ErrorCode::kInvalidData, "bad candidate version " + d.version);
        std::optional<int64_t> expected;
        if (d.production_version) expected = ParseVersion(*d.production_version);
        HONE_TRY(registry.Promote(spec.model, *version, kProduction,
                                  std::optional<std::optional<int64_t>>(expected)));
        if (state.phase == Phase::kReleasing) {
          HONE_TRY(DropReleaseAlias(s, state.release_mode, d.version));
        }
        return {};
      }
      case Action::kRollback:
      case Action::kAbandon:
        return DropReleaseAlias(s, state.release_mode, d.version);
    }
    return {};
  }

  Result<void> Record(store::Store& s, const Decision& d) {
    nlohmann::json after = {{"decision", d.ToJson()}, {"state", d.state.ToJson()}};
    HONE_TRY(s.meta->AppendAudit(std::string(kAuditPrefix) + ActionName(d.action), spec.model,
                                 state.ToJson().dump(), after.dump(), options.actor));
    return {};
  }

  Result<LookResult> Look() {
    LookResult result;
    HONE_ASSIGN_OR_RETURN(store::Store * s, Store());
    auto lease = s->meta->AcquireLease(LeaseName(), options.holder, LeaseTtl());
    if (!lease) {
      store.reset();  // reconnect at the next look
      return Fail(lease.error().WithContext("taking the lease on " + spec.model));
    }
    result.holder = lease->holder;
    if (lease->holder != options.holder) {
      if (held) Log("the lease on " + spec.model + " is now held by " + lease->holder);
      held = false;
      return result;
    }
    result.held = true;
    if (!held) {
      HONE_ASSIGN_OR_RETURN(std::optional<LoopState> recorded,
                            LatestLoopState(*s->meta, spec.model));
      state = recorded ? std::move(*recorded) : InitialLoopState(Now());
      held = true;
      Log("watching " + spec.model + " (holder " + options.holder + ", phase " +
          PhaseName(state.phase) + ")");
    }
    // A retraining and the release decision after it happen in one look; the bound only
    // guards against a policy that never waits.
    for (int step = 0; step < 8; ++step) {
      if (options.cancel != nullptr && options.cancel->load()) break;
      HONE_ASSIGN_OR_RETURN(Observations obs, Observe(*s));
      Decision d = Decide(state, obs, watch);
      if (d.action == Action::kNone) {
        state = d.state;
        result.decisions.push_back(std::move(d));
        break;
      }
      HONE_TRY(Execute(*s, d));
      HONE_TRY(Record(*s, d));
      Log(std::string(ActionName(d.action)) + ": " + d.reason);
      state = d.state;
      if (d.action == Action::kRetrain) {
        run = RunPipeline(*s);
        state.run_id = run->run_id;
      } else {
        run.reset();
      }
      result.decisions.push_back(std::move(d));
    }
    return result;
  }
};

Result<std::unique_ptr<Controller>> Controller::Create(pipeline::Spec spec,
                                                       ControllerOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->watch = spec.watch.value_or(pipeline::WatchSpec{});
  HONE_TRY(ValidateWatchSpec(impl->watch));
  impl->spec = std::move(spec);
  if (!options.open) return Fail(ErrorCode::kInvalidArgument, "the controller needs a store");
  impl->options = std::move(options);
  return std::unique_ptr<Controller>(new Controller(std::move(impl)));
}

Controller::Controller(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Controller::~Controller() = default;

Result<LookResult> Controller::Look() { return impl_->Look(); }

Result<void> Controller::Run() {
  const auto interval =
      std::chrono::milliseconds(static_cast<int64_t>(impl_->watch.interval_seconds * 1000));
  const auto stopped = [this] {
    return impl_->options.cancel != nullptr && impl_->options.cancel->load();
  };
  while (!stopped()) {
    if (auto look = Look(); !look) impl_->Log("look failed: " + look.error().message());
    const auto until = std::chrono::steady_clock::now() + interval;
    while (!stopped() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  if (impl_->held && impl_->store) {
    (void)impl_->store->meta->ReleaseLease(impl_->LeaseName(), impl_->options.holder);
  }
  return {};
}

const pipeline::WatchSpec& Controller::watch() const { return impl_->watch; }
const LoopState& Controller::state() const { return impl_->state; }

}  // namespace hone::loop
