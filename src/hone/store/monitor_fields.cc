#include "hone/store/monitor_fields.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <utility>

#include <nlohmann/json.hpp>

namespace hone::store {
namespace {

constexpr size_t kMaxLabel = 256;  // lease names and holders, audit actions and subjects
constexpr size_t kMaxUnknownListed = 100;

std::string Shortest(double value) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc() ? std::string(buffer, end) : std::string("?");
}

Result<void> CheckCount(std::string_view what, uint64_t count) {
  if (count <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return {};
  return Fail(ErrorCode::kInvalidArgument,
              std::string(what) + " " + std::to_string(count) + " is more than a store keeps " +
                  "(at most " + std::to_string(std::numeric_limits<int64_t>::max()) + ")");
}

Result<void> CheckVersionNumber(std::string_view what, int64_t version) {
  if (version >= 1) return {};
  return Fail(ErrorCode::kInvalidArgument, std::string(what) + " has version " +
                                               std::to_string(version) +
                                               "; versions are numbered from 1");
}

}  // namespace

Result<void> CheckAliasWeight(const AliasChange& c) {
  if (!c.weight) return {};
  const std::string alias = c.model + "@" + c.alias;
  if (!std::isfinite(*c.weight) || *c.weight < 0 || *c.weight > 1) {
    return Fail(ErrorCode::kInvalidArgument,
                "weight " + Shortest(*c.weight) + " for alias " + alias +
                    " is not valid: use a number from 0 to 1 (the share of requests)");
  }
  if (!c.to) {
    return Fail(ErrorCode::kInvalidArgument,
                "alias " + alias + ": a weight (" + Shortest(*c.weight) +
                    ") needs a version to point at; removing the alias takes none");
  }
  return {};
}

Result<void> CheckJsonText(std::string_view what, std::string_view text) {
  if (nlohmann::json::accept(text)) return {};
  std::string shown(text.substr(0, 60));
  if (text.size() > 60) shown += "…";
  return Fail(ErrorCode::kInvalidArgument,
              std::string(what) + " is not JSON: '" + shown + "' (use JSON text, e.g. null)");
}

Result<void> CheckPrintable(std::string_view what, std::string_view text, size_t max) {
  const bool printable =
      std::all_of(text.begin(), text.end(), [](char c) { return c >= ' ' && c <= '~'; });
  if (!text.empty() && text.size() <= max && printable) return {};
  std::string shown;
  for (char c : text.substr(0, 60)) shown += (c >= ' ' && c <= '~') ? c : '?';
  return Fail(ErrorCode::kInvalidArgument, std::string(what) + " '" + shown +
                                               "' is not valid: use 1-" + std::to_string(max) +
                                               " printable ASCII characters");
}

bool IsValidRequestId(std::string_view id) {
  return !id.empty() && id.size() <= kMaxRequestIdLength &&
         std::all_of(id.begin(), id.end(), [](char c) { return c >= ' ' && c <= '~'; });
}

Result<void> CheckAuditAppend(std::string_view action, std::string_view subject,
                              std::string_view before_json, std::string_view after_json) {
  HONE_TRY(CheckPrintable("audit action", action, kMaxLabel));
  HONE_TRY(CheckPrintable("audit subject", subject, kMaxLabel));
  const std::string record = "audit record " + std::string(action) + " " + std::string(subject);
  HONE_TRY(CheckJsonText(record + ": before", before_json));
  return CheckJsonText(record + ": after", after_json);
}

Result<void> CheckLease(std::string_view name, std::string_view holder,
                        std::chrono::milliseconds ttl) {
  HONE_TRY(CheckPrintable("lease name", name, kMaxLabel));
  HONE_TRY(CheckPrintable("lease holder", holder, kMaxLabel));
  if (ttl.count() > 0) return {};
  return Fail(ErrorCode::kInvalidArgument, "lease '" + std::string(name) + "': time to live " +
                                               std::to_string(ttl.count()) +
                                               " ms is not valid: use more than 0");
}

TimeMs LeaseExpiry(TimeMs now, std::chrono::milliseconds ttl) {
  const int64_t ms = ttl.count();
  if (ms > 0 && now > std::numeric_limits<TimeMs>::max() - ms) {
    return std::numeric_limits<TimeMs>::max();
  }
  return now + ms;
}

Result<void> CheckMonitorWindows(std::span<const MonitorWindow> windows) {
  for (size_t i = 0; i < windows.size(); ++i) {
    const MonitorWindow& w = windows[i];
    const std::string at = "monitor window " + std::to_string(i);
    if (auto named = CheckName("model", w.model); !named) {
      return Fail(named.error().WithContext(at));
    }
    const std::string which = at + " (" + w.model + "/" + std::to_string(w.version) + ")";
    HONE_TRY(CheckVersionNumber(which, w.version));
    if (w.start_ms > w.end_ms) {
      return Fail(ErrorCode::kInvalidArgument, which + " ends (" + std::to_string(w.end_ms) +
                                                   ") before it starts (" +
                                                   std::to_string(w.start_ms) + ")");
    }
    HONE_TRY(CheckPrintable(which + ": server", w.server, kMaxLabel));
    HONE_TRY(CheckCount(which + ": requests", w.requests));
    HONE_TRY(CheckCount(which + ": errors", w.errors));
    HONE_TRY(CheckCount(which + ": rows", w.rows));
    HONE_TRY(CheckJsonText(which + ": summary", w.summary));
  }
  return {};
}

Result<void> CheckWindowQuery(const WindowQuery& query) { return CheckName("model", query.model); }

Result<std::vector<PredictionRecord>> PreparePredictions(std::span<const PredictionRecord> records,
                                                         size_t keep_per_model, TimeMs now) {
  if (keep_per_model == 0) {
    return Fail(ErrorCode::kInvalidArgument,
                "predictions to keep per model: 0 is not valid: keep at least 1");
  }
  for (size_t i = 0; i < records.size(); ++i) {
    const PredictionRecord& r = records[i];
    std::string at = "prediction record " + std::to_string(i);
    HONE_TRY(CheckPrintable(at + ": request id", r.request_id, kMaxRequestIdLength));
    at += " (request '" + r.request_id + "')";
    if (auto named = CheckName("model", r.model); !named) {
      return Fail(named.error().WithContext(at));
    }
    HONE_TRY(CheckVersionNumber(at, r.version));
    HONE_TRY(CheckJsonText(at + ": inputs", r.inputs));
    HONE_TRY(CheckJsonText(at + ": output", r.output));
  }
  std::vector<PredictionRecord> kept;
  std::set<std::pair<std::string_view, std::string_view>> seen;
  for (size_t i = records.size(); i-- > 0;) {
    if (!seen.emplace(records[i].model, records[i].request_id).second) continue;
    kept.push_back(records[i]);
    if (kept.back().ts_ms == 0) kept.back().ts_ms = now;
  }
  std::reverse(kept.begin(), kept.end());
  return kept;
}

std::vector<std::string> ModelsOf(std::span<const PredictionRecord> records) {
  std::set<std::string> models;
  for (const PredictionRecord& r : records) models.insert(r.model);
  return {models.begin(), models.end()};
}

Result<std::vector<Feedback>> PrepareFeedback(std::string_view model,
                                              std::span<const Feedback> feedback, TimeMs now) {
  HONE_TRY(CheckName("model", model));
  for (size_t i = 0; i < feedback.size(); ++i) {
    const Feedback& f = feedback[i];
    std::string at = "feedback record " + std::to_string(i);
    HONE_TRY(CheckPrintable(at + ": request id", f.request_id, kMaxRequestIdLength));
    HONE_TRY(CheckJsonText(at + " (request '" + f.request_id + "'): label", f.label));
  }
  std::vector<Feedback> kept;
  std::set<std::string_view> seen;
  for (size_t i = feedback.size(); i-- > 0;) {
    if (!seen.insert(feedback[i].request_id).second) continue;
    kept.push_back(feedback[i]);
    if (kept.back().ts_ms == 0) kept.back().ts_ms = now;
  }
  std::reverse(kept.begin(), kept.end());
  return kept;
}

FeedbackResult TallyFeedback(std::span<const Feedback> given,
                             const std::set<std::string, std::less<>>& matched) {
  FeedbackResult result;
  std::set<std::string_view> listed;
  for (const Feedback& f : given) {
    if (matched.contains(f.request_id)) {
      ++result.matched;
      continue;
    }
    ++result.unknown_count;
    if (result.unknown.size() < kMaxUnknownListed && listed.insert(f.request_id).second) {
      result.unknown.push_back(f.request_id);
    }
  }
  return result;
}

}  // namespace hone::store
