// WindowRecord's JSON form, its sums and quantiles, and Rebin.
#include "hone/monitor/window_record.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json.hpp>

namespace hone::monitor {
namespace {

using nlohmann::json;

tl::unexpected<Error> Bad(const std::string& field, const std::string& problem) {
  return Fail(ErrorCode::kInvalidData, "monitor window: '" + field + "' " + problem);
}

Result<uint64_t> Count(const json& j, const std::string& field) {
  if (!j.is_number_integer() || (!j.is_number_unsigned() && j.get<int64_t>() < 0)) {
    return Bad(field, "must be a non-negative integer, not " + j.dump());
  }
  return j.get<uint64_t>();
}

// Rounds shares to whole counts that add up to `total` (largest remainders first).
std::vector<uint64_t> RoundToTotal(const std::vector<double>& shares, uint64_t total) {
  std::vector<uint64_t> out(shares.size());
  std::vector<std::pair<double, size_t>> remainders;
  uint64_t given = 0;
  for (size_t i = 0; i < shares.size(); ++i) {
    const double whole = std::floor(shares[i]);
    out[i] = static_cast<uint64_t>(whole);
    given += out[i];
    remainders.emplace_back(shares[i] - whole, i);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t k = 0; given < total && k < remainders.size(); ++k, ++given) {
    ++out[remainders[k].second];
  }
  return out;
}

// Bin `v` of a numeric profile: the first inner edge >= v (as the accumulator counts).
size_t BinOf(const std::vector<double>& edges, double v) {
  return static_cast<size_t>(std::lower_bound(edges.begin(), edges.end(), v) - edges.begin());
}

Result<ColumnCounts> RebinNumeric(const core::ColumnProfile& from, const ColumnCounts& counts,
                                  const core::ColumnProfile& to) {
  const core::NumericProfile& f = from.numeric;
  const core::NumericProfile& t = to.numeric;
  const size_t from_bins = std::max<size_t>(f.edges.size() + 1, 1);
  if (counts.bins.size() != from_bins) {
    return Fail(ErrorCode::kInvalidArgument, "column '" + counts.name + "' has " +
                                                 std::to_string(counts.bins.size()) +
                                                 " bins, its profile " + std::to_string(from_bins));
  }
  const size_t to_bins = t.edges.size() + 1;
  std::vector<double> shares(to_bins, 0);
  uint64_t total = 0;
  for (size_t i = 0; i < from_bins; ++i) {
    const uint64_t n = counts.bins[i];
    if (n == 0) continue;
    total += n;
    double lo = i == 0 ? f.min : f.edges[i - 1];
    double hi = i + 1 == from_bins ? f.max : f.edges[i];
    if (lo > hi) std::swap(lo, hi);
    if (!(hi > lo)) {  // a point (or an empty reference): all of it where that point falls
      shares[BinOf(t.edges, hi)] += static_cast<double>(n);
      continue;
    }
    for (size_t j = 0; j < to_bins; ++j) {
      const double tlo = j == 0 ? -std::numeric_limits<double>::infinity() : t.edges[j - 1];
      const double thi = j + 1 == to_bins ? std::numeric_limits<double>::infinity() : t.edges[j];
      const double overlap = std::min(hi, thi) - std::max(lo, tlo);
      if (overlap > 0) shares[j] += static_cast<double>(n) * overlap / (hi - lo);
    }
  }
  ColumnCounts out{counts.name, counts.type, RoundToTotal(shares, total), counts.missing};
  return out;
}

Result<ColumnCounts> RebinCategorical(const core::ColumnProfile& from, const ColumnCounts& counts,
                                      const core::ColumnProfile& to) {
  const auto& from_top = from.categorical.top;
  if (counts.bins.size() != from_top.size() + 1) {
    return Fail(ErrorCode::kInvalidArgument,
                "column '" + counts.name + "' has " + std::to_string(counts.bins.size()) +
                    " bins, its profile " + std::to_string(from_top.size() + 1));
  }
  std::unordered_map<std::string_view, size_t> to_bin;
  for (size_t j = 0; j < to.categorical.top.size(); ++j)
    to_bin.emplace(to.categorical.top[j].first, j);
  const size_t other = to.categorical.top.size();
  ColumnCounts out{counts.name, counts.type, std::vector<uint64_t>(other + 1, 0), counts.missing};
  for (size_t i = 0; i < from_top.size(); ++i) {
    auto it = to_bin.find(from_top[i].first);
    out.bins[it == to_bin.end() ? other : it->second] += counts.bins[i];
  }
  out.bins[other] += counts.bins.back();
  return out;
}

}  // namespace

uint64_t WindowRecord::requests() const {
  uint64_t n = 0;
  for (const auto& [status, count] : statuses) n += count;
  return n;
}

uint64_t WindowRecord::errors() const {
  uint64_t n = 0;
  for (const auto& [status, count] : statuses) {
    if (status.size() == 3 && status[0] == '5') n += count;
  }
  return n;
}

std::optional<double> WindowRecord::LatencyQuantileMs(double q) const {
  const uint64_t total = std::accumulate(latency_counts.begin(), latency_counts.end(), uint64_t{0});
  if (total == 0) return std::nullopt;
  // The rank of the q-quantile, 1-based: the smallest request count covering a share q.
  const auto rank = static_cast<uint64_t>(std::max(1.0, std::ceil(q * static_cast<double>(total))));
  uint64_t seen = 0;
  for (size_t b = 0; b < latency_counts.size(); ++b) {
    seen += latency_counts[b];
    if (seen >= rank) {
      return b < latency_bounds.size() ? latency_bounds[b] * 1e3
                                       : std::numeric_limits<double>::infinity();
    }
  }
  return std::numeric_limits<double>::infinity();
}

json WindowRecord::ToJson() const {
  return {{"traffic", traffic.ToJson()},
          {"latency", {{"bounds", latency_bounds}, {"counts", latency_counts}}},
          {"statuses", statuses},
          {"alias", alias}};
}

Result<WindowRecord> WindowRecord::FromJson(const json& j) {
  if (!j.is_object()) return Bad("", "must be an object");
  WindowRecord r;
  auto traffic = j.find("traffic");
  if (traffic == j.end()) return Bad("traffic", "is missing");
  HONE_ASSIGN_OR_RETURN(r.traffic, WindowSummary::FromJson(*traffic));
  auto latency = j.find("latency");
  if (latency == j.end() || !latency->is_object()) return Bad("latency", "must be an object");
  auto bounds = latency->find("bounds");
  auto counts = latency->find("counts");
  if (bounds == latency->end() || !bounds->is_array()) {
    return Bad("latency.bounds", "must be an array");
  }
  if (counts == latency->end() || !counts->is_array()) {
    return Bad("latency.counts", "must be an array");
  }
  for (size_t i = 0; i < bounds->size(); ++i) {
    const json& b = (*bounds)[i];
    if (!b.is_number() || !std::isfinite(b.get<double>()) ||
        (i > 0 && b.get<double>() <= r.latency_bounds.back())) {
      return Bad("latency.bounds[" + std::to_string(i) + "]",
                 "must be a finite number above the one before, not " + b.dump());
    }
    r.latency_bounds.push_back(b.get<double>());
  }
  for (size_t i = 0; i < counts->size(); ++i) {
    HONE_ASSIGN_OR_RETURN(uint64_t c,
                          Count((*counts)[i], "latency.counts[" + std::to_string(i) + "]"));
    r.latency_counts.push_back(c);
  }
  if (!r.latency_counts.empty() && r.latency_counts.size() != r.latency_bounds.size() + 1) {
    return Bad("latency.counts", "must have one more entry than latency.bounds (" +
                                     std::to_string(r.latency_bounds.size() + 1) + "), not " +
                                     std::to_string(r.latency_counts.size()));
  }
  auto statuses = j.find("statuses");
  if (statuses == j.end() || !statuses->is_object()) return Bad("statuses", "must be an object");
  for (const auto& [status, count] : statuses->items()) {
    HONE_ASSIGN_OR_RETURN(r.statuses[status], Count(count, "statuses." + status));
  }
  if (auto alias = j.find("alias"); alias != j.end()) {
    if (!alias->is_string()) return Bad("alias", "must be a string");
    r.alias = alias->get<std::string>();
  }
  return r;
}

Result<WindowRecord> WindowRecord::Parse(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Bad("", "is not JSON");
  return FromJson(j);
}

Result<void> WindowRecord::Merge(const WindowRecord& other) {
  const bool empty_latency = latency_counts.empty();
  if (!empty_latency && !other.latency_counts.empty() && latency_bounds != other.latency_bounds) {
    return Fail(ErrorCode::kInvalidArgument,
                "monitor windows with different latency buckets cannot be added");
  }
  WindowSummary traffic_sum = traffic;
  HONE_TRY(traffic_sum.Merge(other.traffic));
  traffic = std::move(traffic_sum);
  if (empty_latency) {
    latency_bounds = other.latency_bounds;
    latency_counts = other.latency_counts;
  } else {
    for (size_t b = 0; b < other.latency_counts.size(); ++b) {
      latency_counts[b] += other.latency_counts[b];
    }
  }
  for (const auto& [status, count] : other.statuses) statuses[status] += count;
  if (!other.alias.empty()) alias = other.alias;
  return {};
}

Result<ColumnCounts> Rebin(const core::ColumnProfile& from, const ColumnCounts& counts,
                           const core::ColumnProfile& to) {
  if (from.type != to.type || counts.type != from.type) {
    return Fail(ErrorCode::kInvalidArgument,
                "column '" + counts.name + "' is " + core::ColumnTypeName(counts.type) +
                    " in one profile and " + core::ColumnTypeName(to.type) + " in the other");
  }
  return from.type == core::ColumnType::kNumeric ? RebinNumeric(from, counts, to)
                                                 : RebinCategorical(from, counts, to);
}

}  // namespace hone::monitor
