// What every MetaStore backend checks of the monitoring loop's input (alias weights, audit
// records of its own, leases, monitoring windows, predictions and their feedback) before it
// touches its database, written once so that both backends accept and refuse the same input in
// the same words.
#ifndef HONE_STORE_MONITOR_FIELDS_H_
#define HONE_STORE_MONITOR_FIELDS_H_

#include <chrono>
#include <cstddef>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hone/core/error.h"
#include "hone/store/meta_store.h"

namespace hone::store {

/// kInvalidArgument naming the alias and the value unless `change.weight` is absent or a
/// finite number in 0..1 given with a version to point at.
Result<void> CheckAliasWeight(const AliasChange& change);

/// kInvalidArgument naming `what` unless `text` is one JSON value.
Result<void> CheckJsonText(std::string_view what, std::string_view text);
/// kInvalidArgument naming `what` unless `text` is 1..`max` printable ASCII characters
/// (' '..'~').
Result<void> CheckPrintable(std::string_view what, std::string_view text, size_t max);

/// The longest request id the prediction log and feedback keep.
inline constexpr size_t kMaxRequestIdLength = 128;
/// Whether LogPredictions and RecordFeedback accept `id`: 1..kMaxRequestIdLength printable
/// ASCII characters.
bool IsValidRequestId(std::string_view id);

/// AppendAudit's input: action and subject printable, before and after JSON.
Result<void> CheckAuditAppend(std::string_view action, std::string_view subject,
                              std::string_view before_json, std::string_view after_json);

/// AcquireLease's input: name and holder printable, ttl > 0.
Result<void> CheckLease(std::string_view name, std::string_view holder,
                        std::chrono::milliseconds ttl);
/// now + ttl, saturating at the largest TimeMs.
TimeMs LeaseExpiry(TimeMs now, std::chrono::milliseconds ttl);

/// AppendMonitorWindows's input, naming the first bad window by its index.
Result<void> CheckMonitorWindows(std::span<const MonitorWindow> windows);
/// A query's model name (the time range and the rest need no check: an empty range selects
/// nothing).
Result<void> CheckWindowQuery(const WindowQuery& query);

/// LogPredictions's input checked (naming the first bad record by index and id), times of 0
/// set to `now`, and of records with the same model and request id only the last kept, in the
/// order given; `keep_per_model` must be >= 1.
Result<std::vector<PredictionRecord>> PreparePredictions(std::span<const PredictionRecord> records,
                                                         size_t keep_per_model, TimeMs now);
/// The models `records` write to, sorted.
std::vector<std::string> ModelsOf(std::span<const PredictionRecord> records);

/// RecordFeedback's input checked, times of 0 set to `now`, and of records with the same
/// request id only the last kept, in the order given.
Result<std::vector<Feedback>> PrepareFeedback(std::string_view model,
                                              std::span<const Feedback> feedback, TimeMs now);
/// The result for the records `given`, of which those whose ids are in `matched` found their
/// prediction.
FeedbackResult TallyFeedback(std::span<const Feedback> given,
                             const std::set<std::string, std::less<>>& matched);

}  // namespace hone::store

#endif  // HONE_STORE_MONITOR_FIELDS_H_
