// What `hone serve` stores for one served version every few seconds (store::MonitorWindow's
// summary): the traffic counted on the version's reference bins, the latency histogram and the
// answers by status; and what `hone monitor` and `hone watch` read back and add up.
#ifndef HONE_MONITOR_WINDOW_RECORD_H_
#define HONE_MONITOR_WINDOW_RECORD_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "hone/core/error.h"
#include "hone/core/profile.h"
#include "hone/monitor/window.h"

namespace hone::monitor {

/// A plain value. Windows of one version add up with Merge.
struct WindowRecord {
  /// Inputs and predictions on the version's reference bins.
  WindowSummary traffic;
  /// Latency histogram: upper bounds in seconds (ascending) and the requests in each bucket;
  /// counts.size() == bounds.size() + 1, the last bucket above the last bound.
  std::vector<double> latency_bounds;
  std::vector<uint64_t> latency_counts;
  /// Answers by HTTP status ("200", "400", "500", …).
  std::map<std::string, uint64_t> statuses;
  /// How the version was served in this window: "production", "canary", "shadow", or "" (only
  /// by explicit version).
  std::string alias;

  /// Requests answered (sum of statuses), and those with a server error (5xx).
  uint64_t requests() const;
  uint64_t errors() const;
  /// The latency below which a share `q` of the requests fell, in milliseconds, read from the
  /// histogram as the upper bound of the bucket holding that rank (so an upper estimate, at
  /// most one bucket off); nullopt without requests, +inf when the rank is above the last
  /// bound.
  std::optional<double> LatencyQuantileMs(double q) const;

  /// {"traffic": WindowSummary, "latency": {"bounds": [...], "counts": [...]},
  ///  "statuses": {"200": n}, "alias": "..."}.
  nlohmann::json ToJson() const;
  /// Reads ToJson's form back (it comes from the store); kInvalidData naming the bad field.
  static Result<WindowRecord> FromJson(const nlohmann::json& json);
  /// Reads the JSON text of a stored window.
  static Result<WindowRecord> Parse(std::string_view text);

  /// Adds `other` (a window of the same version): traffic as WindowSummary::Merge, latency
  /// bucket by bucket (the bounds must be equal, or this record empty), statuses by key; the
  /// alias becomes the latest non-empty one. On error nothing is changed.
  Result<void> Merge(const WindowRecord& other);
};

/// `counts`, counted on the bins of `from`, spread onto the bins of `to` (two profiles of the
/// same column, e.g. a candidate's and production's reference profiles) so that the two
/// versions' distributions can be compared. Categorical: by category name (a category not in
/// `to`'s top goes to its "other"; "other" stays "other"). Numeric: each bin's count is spread
/// over the part of `to`'s bins its interval covers, as if uniform within it (the outer bins end
/// at the reference's min and max). Missing stays missing. Fails (kInvalidArgument) when the
/// types differ or `counts` does not fit `from`.
Result<ColumnCounts> Rebin(const core::ColumnProfile& from, const ColumnCounts& counts,
                           const core::ColumnProfile& to);

}  // namespace hone::monitor

#endif  // HONE_MONITOR_WINDOW_RECORD_H_
