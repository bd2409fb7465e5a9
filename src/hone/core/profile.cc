#include "hone/core/profile.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace hone::core {
namespace {

constexpr size_t kMaxSample = 200000;

// "p0", "p1", ..., "p99", "p100".
std::string QuantileKey(double q) {
  char key[16];
  std::snprintf(key, sizeof(key), "p%g", q * 100);
  return key;
}

double Quantile(const std::vector<float>& sorted, double p) {
  double pos = p * static_cast<double>(sorted.size() - 1);
  auto lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, sorted.size() - 1);
  double frac = pos - static_cast<double>(lo);
  return sorted[lo] + (static_cast<double>(sorted[hi]) - sorted[lo]) * frac;
}

void ProfileNumeric(const Column& column, ColumnProfile& out) {
  std::vector<float> values;
  values.reserve(column.size());
  double sum = 0;
  for (float v : column.values()) {
    if (std::isnan(v)) continue;
    values.push_back(v);
    sum += v;
  }
  out.count = values.size();
  out.missing = column.size() - values.size();
  if (values.empty()) return;
  NumericProfile& p = out.numeric;
  p.mean = sum / static_cast<double>(values.size());
  double sq = 0;
  for (float v : values) sq += (v - p.mean) * (v - p.mean);
  p.stddev = std::sqrt(sq / static_cast<double>(values.size()));

  std::vector<float> sample;
  if (values.size() > kMaxSample) {
    double stride = static_cast<double>(values.size()) / kMaxSample;
    for (size_t i = 0; i < kMaxSample; ++i) {
      sample.push_back(values[static_cast<size_t>(static_cast<double>(i) * stride)]);
    }
  } else {
    sample = values;
  }
  std::sort(sample.begin(), sample.end());
  p.min = *std::min_element(values.begin(), values.end());
  p.max = *std::max_element(values.begin(), values.end());
  for (double q : kProfileQuantiles) p.quantiles.push_back(Quantile(sample, q));
  p.quantiles.front() = p.min;
  p.quantiles.back() = p.max;

  for (int b = 1; b < kProfileHistogramBins; ++b) {
    double edge = Quantile(sample, static_cast<double>(b) / kProfileHistogramBins);
    if (p.edges.empty() || edge > p.edges.back()) p.edges.push_back(edge);
  }
  if (!p.edges.empty() && p.edges.back() >= p.max) p.edges.pop_back();
  p.counts.assign(p.edges.size() + 1, 0);
  for (float v : values) {
    auto bin =
        std::lower_bound(p.edges.begin(), p.edges.end(), static_cast<double>(v)) - p.edges.begin();
    ++p.counts[static_cast<size_t>(bin)];
  }
}

void ProfileCategorical(const Column& column, ColumnProfile& out) {
  std::vector<uint64_t> counts(column.dictionary().size());
  for (int32_t c : column.codes()) {
    if (c == kMissingCode) {
      ++out.missing;
    } else {
      ++counts[static_cast<size_t>(c)];
    }
  }
  out.count = column.size() - out.missing;
  std::vector<std::pair<std::string, uint64_t>> all;
  for (size_t c = 0; c < counts.size(); ++c) {
    if (counts[c] > 0) all.emplace_back(column.dictionary()[c], counts[c]);
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  CategoricalProfile& p = out.categorical;
  p.distinct = all.size();
  for (size_t i = 0; i < all.size(); ++i) {
    if (i < kProfileTopCategories) {
      p.top.push_back(all[i]);
    } else {
      p.other += all[i].second;
    }
  }
}

}  // namespace

DataProfile ProfileTable(const Table& table) {
  DataProfile profile;
  profile.rows = table.num_rows();
  for (const Column& c : table.columns()) {
    ColumnProfile col;
    col.name = c.name();
    col.type = c.type();
    if (c.is_numeric()) {
      ProfileNumeric(c, col);
    } else {
      ProfileCategorical(c, col);
    }
    profile.columns.push_back(std::move(col));
  }
  return profile;
}

nlohmann::json DataProfile::ToJson() const {
  nlohmann::json cols = nlohmann::json::array();
  for (const ColumnProfile& c : columns) {
    nlohmann::json j = {{"name", c.name},
                        {"type", ColumnTypeName(c.type)},
                        {"count", c.count},
                        {"missing", c.missing}};
    if (c.type == ColumnType::kNumeric && c.count > 0) {
      const NumericProfile& p = c.numeric;
      j["min"] = p.min;
      j["max"] = p.max;
      j["mean"] = p.mean;
      j["stddev"] = p.stddev;
      nlohmann::json q = nlohmann::json::object();
      for (size_t i = 0; i < p.quantiles.size(); ++i) {
        q[QuantileKey(kProfileQuantiles[i])] = p.quantiles[i];
      }
      j["quantiles"] = q;
      j["histogram"] = {{"edges", p.edges}, {"counts", p.counts}};
    } else if (c.type == ColumnType::kCategorical) {
      nlohmann::json top = nlohmann::json::array();
      for (const auto& [value, count] : c.categorical.top) top.push_back({value, count});
      j["distinct"] = c.categorical.distinct;
      j["top"] = top;
      j["other"] = c.categorical.other;
    }
    cols.push_back(std::move(j));
  }
  return {{"rows", rows}, {"columns", cols}};
}

Result<DataProfile> DataProfile::FromJson(const nlohmann::json& json) {
  // The profile is written by hone; a malformed one is reported, not trusted.
  try {
    DataProfile p;
    p.rows = json.at("rows").get<uint64_t>();
    for (const auto& j : json.at("columns")) {
      ColumnProfile c;
      c.name = j.at("name").get<std::string>();
      HONE_ASSIGN_OR_RETURN(c.type, ParseColumnType(j.at("type").get<std::string>()));
      c.count = j.at("count").get<uint64_t>();
      c.missing = j.at("missing").get<uint64_t>();
      if (c.type == ColumnType::kNumeric && c.count > 0) {
        NumericProfile& n = c.numeric;
        n.min = j.at("min").get<double>();
        n.max = j.at("max").get<double>();
        n.mean = j.at("mean").get<double>();
        n.stddev = j.at("stddev").get<double>();
        for (double q : kProfileQuantiles) {
          n.quantiles.push_back(j.at("quantiles").at(QuantileKey(q)).get<double>());
        }
        n.edges = j.at("histogram").at("edges").get<std::vector<double>>();
        n.counts = j.at("histogram").at("counts").get<std::vector<uint64_t>>();
        if (n.counts.size() != n.edges.size() + 1) {
          return Fail(ErrorCode::kInvalidData, "profile of '" + c.name + "': bad histogram");
        }
      } else if (c.type == ColumnType::kCategorical) {
        c.categorical.distinct = j.at("distinct").get<uint64_t>();
        c.categorical.other = j.at("other").get<uint64_t>();
        for (const auto& t : j.at("top")) {
          c.categorical.top.emplace_back(t.at(0).get<std::string>(), t.at(1).get<uint64_t>());
        }
      }
      p.columns.push_back(std::move(c));
    }
    return p;
  } catch (const nlohmann::json::exception& e) {
    return Fail(ErrorCode::kInvalidData, std::string("malformed data profile: ") + e.what());
  }
}

}  // namespace hone::core
