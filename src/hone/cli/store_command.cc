// hone store check | hone gc | hone audit verify | hone audit list: keeping the store whole.
#include <limits>

#include "hone/cli/commands.h"
#include "hone/cli/report.h"
#include "hone/cli/store_report.h"
#include "hone/registry/store_check.h"
#include "hone/store/audit.h"

namespace hone::cli {
namespace {

struct StoreCommandFlags {
  StoreFlags store;
  bool json = false;
  int64_t grace_seconds = 3600;
  int64_t after = 0;
  int64_t before = 0;
  size_t limit = 0;
  bool newest_first = false;
  std::string search;
};

int RunCheck(Io& io, const StoreCommandFlags& f) {
  auto s = OpenStoreFrom(f.store, /*create=*/false);
  if (!s) return ReportError(io, "store check", s.error(), f.json);
  auto report = registry::CheckStore(*s->meta, s->artifacts);
  if (!report) return ReportError(io, "store check", report.error(), f.json);
  if (f.json) {
    io.out << DumpJson({{"command", "store check"},
                        {"store", s->meta->Describe()},
                        {"ok", report->ok()},
                        {"models", report->models},
                        {"versions", report->versions},
                        {"blobs", report->blobs},
                        {"audit_records", report->audit_records},
                        {"problems", report->problems}})
           << "\n";
  } else {
    io.out << "store " << s->meta->Describe() << ": " << report->models << " models, "
           << report->versions << " versions, " << report->blobs << " blobs, "
           << report->audit_records << " audit records\n";
    for (const std::string& p : report->problems) io.out << "  problem: " << p << "\n";
    io.out << (report->ok() ? "consistent\n" : "NOT consistent\n");
  }
  return report->ok() ? kExitOk : kExitCheckFailed;
}

int RunGc(Io& io, const StoreCommandFlags& f) {
  if (f.grace_seconds < 0) {
    return ReportError(io, "gc", Error(ErrorCode::kInvalidArgument, "--grace must be ≥ 0"), f.json);
  }
  auto s = OpenStoreFrom(f.store, /*create=*/false);
  if (!s) return ReportError(io, "gc", s.error(), f.json);
  auto removed =
      registry::CollectGarbage(*s->meta, s->artifacts, std::chrono::seconds(f.grace_seconds));
  if (!removed) return ReportError(io, "gc", removed.error(), f.json);
  if (f.json) {
    io.out << DumpJson({{"command", "gc"},
                        {"removed_blobs", removed->blobs},
                        {"removed_temp_files", removed->temp_files},
                        {"freed_bytes", removed->bytes}})
           << "\n";
  } else {
    io.out << "removed " << removed->blobs << " unreferenced blobs and " << removed->temp_files
           << " abandoned temp files (" << removed->bytes << " bytes)\n";
  }
  return kExitOk;
}

int RunAuditVerify(Io& io, const StoreCommandFlags& f) {
  auto s = OpenMetaStoreFrom(f.store);
  if (!s) return ReportError(io, "audit verify", s.error(), f.json);
  size_t records = 0;
  auto problems = registry::VerifyAudit(**s, &records);
  if (!problems) return ReportError(io, "audit verify", problems.error(), f.json);
  auto head = (*s)->GetAuditHead();
  if (!head) return ReportError(io, "audit verify", head.error(), f.json);
  const std::string head_hash = *head ? (*head)->hash : "";
  if (f.json) {
    io.out << DumpJson({{"command", "audit verify"},
                        {"ok", problems->empty()},
                        {"records", records},
                        {"head", head_hash},
                        {"problems", *problems}})
           << "\n";
  } else {
    for (const std::string& p : *problems) io.out << "problem: " << p << "\n";
    io.out << (problems->empty() ? "audit log intact: " : "audit log BROKEN: ") << records
           << " records, head " << (head_hash.empty() ? "(none)" : head_hash) << "\n";
  }
  return problems->empty() ? kExitOk : kExitCheckFailed;
}

int RunAuditList(Io& io, const StoreCommandFlags& f) {
  auto s = OpenMetaStoreFrom(f.store);
  if (!s) return ReportError(io, "audit list", s.error(), f.json);
  const store::AuditQuery query{.after_seq = f.after,
                                .limit = f.limit,
                                .before_seq = f.before,
                                .newest_first = f.newest_first};
  auto page = store::SearchAudit(**s, query, store::AuditSearch::Parse(f.search),
                                 std::numeric_limits<size_t>::max());
  if (!page) return ReportError(io, "audit list", page.error(), f.json);
  nlohmann::json j = {{"records", nlohmann::json::array()}};
  for (const store::AuditRecord& r : page->records) {
    auto parse = [](const std::string& text) {
      auto v = nlohmann::json::parse(text, nullptr, false);
      return v.is_discarded() ? nlohmann::json(text) : v;
    };
    j["records"].push_back({{"seq", r.seq},
                            {"time", FormatTime(r.ts_ms)},
                            {"actor", r.actor},
                            {"action", r.action},
                            {"subject", r.subject},
                            {"before", parse(r.before)},
                            {"after", parse(r.after)},
                            {"hash", r.hash}});
    if (!f.json) {
      io.out << r.seq << "  " << FormatTime(r.ts_ms) << "  " << r.actor << "  " << r.action << " "
             << r.subject << "  " << r.before << " → " << r.after << "\n";
    }
  }
  if (f.json) io.out << DumpJson(j) << "\n";
  return kExitOk;
}

}  // namespace

Action AddStoreCommand(CLI::App& app) {
  auto f = std::make_shared<StoreCommandFlags>();
  CLI::App* cmd = app.add_subcommand("store", "The store itself");
  cmd->require_subcommand(1);
  CLI::App* check = cmd->add_subcommand(
      "check", "Verify every bundle, artifact and blob and the audit chain (exit 1 if not whole)");
  AddStoreCommandFlags(check, f->store, f->json);
  return [f](Io& io) { return RunCheck(io, *f); };
}

Action AddGcCommand(CLI::App& app) {
  auto f = std::make_shared<StoreCommandFlags>();
  CLI::App* cmd = app.add_subcommand("gc", "Remove artifacts no version or run refers to");
  cmd->add_option("--grace", f->grace_seconds,
                  "Spare blobs written less than this many seconds ago (a registration in "
                  "flight)")
      ->capture_default_str();
  AddStoreCommandFlags(cmd, f->store, f->json);
  return [f](Io& io) { return RunGc(io, *f); };
}

Action AddAuditCommand(CLI::App& app) {
  auto f = std::make_shared<StoreCommandFlags>();
  CLI::App* cmd = app.add_subcommand("audit", "The hash-chained log of every registry change");
  cmd->require_subcommand(1);
  CLI::App* verify = cmd->add_subcommand(
      "verify", "Check the chain; name any edited or removed record (exit 1 if broken)");
  CLI::App* list = cmd->add_subcommand("list", "The records, oldest first");
  list->add_option("--after", f->after, "Only records after this sequence number");
  list->add_option("--before", f->before, "Only records before this sequence number");
  list->add_option("--limit", f->limit, "At most this many (0 = all)");
  list->add_flag("--newest-first", f->newest_first,
                 "Newest first (with --limit: the newest records)");
  list->add_option("--search", f->search,
                   "Only records with every one of these space-separated words in their "
                   "action, actor or subject, ignoring case (\"watch. churn\")");
  for (CLI::App* sub : {verify, list}) {
    AddStoreCommandFlags(sub, f->store, f->json);
  }
  return [f, cmd](Io& io) {
    return cmd->get_subcommands().front()->get_name() == "verify" ? RunAuditVerify(io, *f)
                                                                  : RunAuditList(io, *f);
  };
}

}  // namespace hone::cli
