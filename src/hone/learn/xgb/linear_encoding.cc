#include "hone/learn/xgb/linear_encoding.h"

#include <algorithm>
#include <string>

namespace hone::learn::xgb {
namespace {

// Each column of a categorical feature lists the category indices that set it: one for a
// frequent category, several for the shared "other" column.
using CategoryColumns = std::vector<std::vector<int32_t>>;

void ChooseColumns(std::span<const float> values, size_t num_categories, size_t max_categories,
                   CategoryColumns* columns, std::vector<float>* frequency) {
  std::vector<size_t> count(num_categories, 0);
  size_t total = 0;
  for (float v : values) {
    if (v >= 0 && v < static_cast<float>(num_categories)) {
      ++count[static_cast<size_t>(v)];
      ++total;
    }
  }
  std::vector<int32_t> seen;
  for (size_t c = 0; c < num_categories; ++c) {
    if (count[c] > 0) seen.push_back(static_cast<int32_t>(c));
  }
  // Most frequent first; the stable sort keeps lower indices first among equals.
  std::stable_sort(seen.begin(), seen.end(),
                   [&](int32_t a, int32_t b) { return count[a] > count[b]; });
  size_t kept = std::min(seen.size(), max_categories);
  std::sort(seen.begin(), seen.begin() + static_cast<ptrdiff_t>(kept));
  for (size_t i = 0; i < kept; ++i) columns->push_back({seen[i]});
  if (kept < seen.size()) {
    std::vector<int32_t> other(seen.begin() + static_cast<ptrdiff_t>(kept), seen.end());
    std::sort(other.begin(), other.end());
    columns->push_back(std::move(other));
  }
  for (const std::vector<int32_t>& column : *columns) {
    size_t n = 0;
    for (int32_t k : column) n += count[k];
    frequency->push_back(static_cast<float>(static_cast<double>(n) / static_cast<double>(total)));
  }
}

Error Bad(const std::string& why) {
  return Error(ErrorCode::kInvalidData, "linear model encoding: " + why);
}

}  // namespace

Result<LinearEncoding> LinearEncoding::Fit(const FeatureSchema& schema, const FeatureMatrix& x,
                                           size_t max_categories) {
  std::vector<Feature> features(schema.size());
  for (size_t j = 0; j < schema.size(); ++j) {
    const FeatureInfo& info = schema.features()[j];
    Feature& f = features[j];
    auto values = x.column(j);
    if (info.type == core::ColumnType::kCategorical) {
      f.categorical = true;
      f.slot.assign(info.categories.size(), -1);
      CategoryColumns columns;
      ChooseColumns(values, info.categories.size(), max_categories, &columns, &f.frequency);
      for (size_t c = 0; c < columns.size(); ++c) {
        for (int32_t k : columns[c]) f.slot[k] = static_cast<int32_t>(c);
      }
      continue;
    }
    double sum = 0;
    size_t n = 0;
    for (size_t i = 0; i < values.size(); ++i) {
      if (std::isnan(values[i])) continue;
      if (std::isinf(values[i])) {
        return Fail(ErrorCode::kInvalidData, "linear: feature '" + info.name +
                                                 "' holds an infinite value (row " +
                                                 std::to_string(i + 1) + ")");
      }
      sum += values[i];
      ++n;
    }
    if (n == 0) continue;
    f.mean = sum / static_cast<double>(n);
    double squares = 0;
    for (float v : values) {
      if (!std::isnan(v)) squares += (v - f.mean) * (v - f.mean);
    }
    double sd = std::sqrt(squares / static_cast<double>(n));
    // A constant feature encodes to 0 whatever its scale; 1 avoids dividing by ~0.
    f.scale = sd > 1e-12 * std::max(1.0, std::abs(f.mean)) ? sd : 1.0;
  }
  return Build(std::move(features));
}

LinearEncoding LinearEncoding::Build(std::vector<Feature> features) {
  LinearEncoding out;
  uint32_t column = 0;
  for (Feature& f : features) {
    f.column = column;
    column += f.categorical ? static_cast<uint32_t>(f.frequency.size()) : 1;
  }
  out.features_ = std::move(features);
  out.width_ = column;
  return out;
}

void LinearEncoding::Identify(std::span<double> weights, size_t groups) const {
  double* bias = weights.data() + width_ * groups;
  for (const Feature& f : features_) {
    for (size_t g = 0; g < groups && f.categorical; ++g) {
      double mean = 0;
      for (size_t k = 0; k < f.frequency.size(); ++k) {
        mean += f.frequency[k] * weights[(f.column + k) * groups + g];
      }
      for (size_t k = 0; k < f.frequency.size(); ++k) weights[(f.column + k) * groups + g] -= mean;
      bias[g] += mean;
    }
  }
}

std::vector<double> LinearEncoding::Spread(std::span<const double> weights, size_t groups) const {
  std::vector<double> out(features_.size(), 0.0);
  for (size_t j = 0; j < features_.size(); ++j) {
    const Feature& f = features_[j];
    for (size_t g = 0; g < groups; ++g) {
      if (!f.categorical) {
        out[j] += std::abs(weights[f.column * groups + g]);
        continue;
      }
      // Identified one-hot weights have frequency-weighted mean 0.
      double variance = 0;
      for (size_t k = 0; k < f.frequency.size(); ++k) {
        double w = weights[(f.column + k) * groups + g];
        variance += f.frequency[k] * w * w;
      }
      out[j] += std::sqrt(variance);
    }
  }
  return out;
}

nlohmann::json LinearEncoding::ToJson() const {
  nlohmann::json out = nlohmann::json::array();
  for (const Feature& f : features_) {
    if (!f.categorical) {
      out.push_back({{"mean", f.mean}, {"scale", f.scale}});
      continue;
    }
    CategoryColumns columns(f.frequency.size());
    for (size_t k = 0; k < f.slot.size(); ++k) {
      if (f.slot[k] >= 0) columns[f.slot[k]].push_back(static_cast<int32_t>(k));
    }
    out.push_back({{"columns", columns}, {"frequencies", f.frequency}});
  }
  return out;
}

Result<LinearEncoding> LinearEncoding::FromJson(const nlohmann::json& json,
                                                const FeatureSchema& schema) {
  if (!json.is_array() || json.size() != schema.size()) {
    return Fail(Bad("expected one entry per feature (" + std::to_string(schema.size()) + ")"));
  }
  std::vector<Feature> features(schema.size());
  for (size_t j = 0; j < schema.size(); ++j) {
    const FeatureInfo& info = schema.features()[j];
    const nlohmann::json& e = json[j];
    Feature& f = features[j];
    std::string where = "feature '" + info.name + "'";
    if (info.type != core::ColumnType::kCategorical) {
      if (!e.is_object() || !e.contains("mean") || !e["mean"].is_number() || !e.contains("scale") ||
          !e["scale"].is_number()) {
        return Fail(Bad(where + " needs a numeric mean and scale"));
      }
      f.mean = e["mean"].get<double>();
      f.scale = e["scale"].get<double>();
      if (!std::isfinite(f.mean) || !std::isfinite(f.scale) || f.scale <= 0) {
        return Fail(Bad(where + " has an unusable mean or scale"));
      }
      continue;
    }
    if (!e.is_object() || !e.contains("columns") || !e["columns"].is_array() ||
        !e.contains("frequencies") || !e["frequencies"].is_array() ||
        e["frequencies"].size() != e["columns"].size()) {
      return Fail(Bad(where + " needs its one-hot columns and their frequencies"));
    }
    f.categorical = true;
    f.slot.assign(info.categories.size(), -1);
    const nlohmann::json& columns = e["columns"];
    double total = 0;
    for (size_t c = 0; c < columns.size(); ++c) {
      const nlohmann::json& share = e["frequencies"][c];
      if (!columns[c].is_array() || columns[c].empty() || !share.is_number() ||
          !(share.get<double>() >= 0 && share.get<double>() <= 1)) {
        return Fail(Bad(where + " has an empty one-hot column or a bad frequency"));
      }
      f.frequency.push_back(share.get<float>());
      total += share.get<double>();
      for (const nlohmann::json& k : columns[c]) {
        int64_t index = k.is_number_integer() ? k.get<int64_t>() : -1;
        if (index < 0 || static_cast<uint64_t>(index) >= f.slot.size() || f.slot[index] >= 0) {
          return Fail(Bad(where + " maps a category that is unknown or used twice"));
        }
        f.slot[index] = static_cast<int32_t>(c);
      }
    }
    if (!columns.empty() && std::abs(total - 1) > 1e-4) {
      return Fail(Bad(where + " has frequencies that do not sum to 1"));
    }
  }
  return Build(std::move(features));
}

}  // namespace hone::learn::xgb
