#include "hone/learn/features.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_set>

#include <nlohmann/json.hpp>

namespace hone::learn {

namespace {
constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();
}  // namespace

void FeatureMatrix::CopyRow(size_t row, std::span<float> out) const {
  for (size_t j = 0; j < num_features_; ++j) out[j] = data_[j * num_rows_ + row];
}

FeatureMatrix FeatureMatrix::Take(std::span<const uint32_t> rows) const {
  FeatureMatrix out(rows.size(), num_features_);
  for (size_t j = 0; j < num_features_; ++j) {
    auto src = column(j);
    auto dst = out.mutable_column(j);
    for (size_t i = 0; i < rows.size(); ++i) dst[i] = src[rows[i]];
  }
  return out;
}

FeatureSchema::FeatureSchema(std::vector<FeatureInfo> features) : features_(std::move(features)) {
  lookup_.resize(features_.size());
  for (size_t j = 0; j < features_.size(); ++j) {
    const auto& cats = features_[j].categories;
    lookup_[j].reserve(cats.size());
    for (size_t c = 0; c < cats.size(); ++c) lookup_[j].emplace(cats[c], static_cast<int32_t>(c));
  }
}

FeatureSchema FeatureSchema::FromTable(const core::Table& table) {
  std::vector<FeatureInfo> features;
  for (const core::Column& c : table.columns()) {
    FeatureInfo f{c.name(), c.type(), {}};
    if (c.is_categorical()) {
      // Only categories that occur: a table made by Take keeps its source's whole dictionary.
      std::vector<bool> used(c.dictionary().size());
      for (int32_t code : c.codes()) {
        if (code != core::kMissingCode) used[static_cast<size_t>(code)] = true;
      }
      for (size_t i = 0; i < used.size(); ++i) {
        if (used[i]) f.categories.push_back(c.dictionary()[i]);
      }
      std::sort(f.categories.begin(), f.categories.end());
    }
    features.push_back(std::move(f));
  }
  return FeatureSchema(std::move(features));
}

float FeatureSchema::EncodeCategory(size_t feature, std::string_view text) const {
  const auto& lookup = lookup_[feature];
  auto it = !hashed_.empty() && hashed_[feature] ? lookup.find(key_->Hash(text))
                                                 : lookup.find(std::string(text));
  return it == lookup.end() ? kMissing : static_cast<float>(it->second);
}

FeatureSchema FeatureSchema::ForRawInputs(const core::PiiPolicy& policy,
                                          std::shared_ptr<const core::PiiKey> key) const {
  FeatureSchema out = *this;
  out.hashed_.assign(features_.size(), 0);
  bool any = false;
  for (size_t j = 0; j < features_.size(); ++j) {
    const core::PiiColumn* p = policy.Find(features_[j].name);
    if (p != nullptr && p->mode == core::PiiMode::kHash &&
        features_[j].type == core::ColumnType::kCategorical) {
      HONE_CHECK(key != nullptr);
      out.hashed_[j] = 1;
      any = true;
    }
  }
  if (!any) out.hashed_.clear();
  out.key_ = any ? std::move(key) : nullptr;
  for (const core::PiiColumn& p : policy.columns) {
    if (p.mode == core::PiiMode::kDrop) out.ignored_.push_back(p.name);
  }
  return out;
}

bool FeatureSchema::IgnoresColumn(std::string_view name) const {
  return std::find(ignored_.begin(), ignored_.end(), name) != ignored_.end();
}

Result<FeatureMatrix> FeatureSchema::Encode(const core::Table& table) const {
  std::vector<size_t> source(features_.size());
  std::string absent;
  for (size_t j = 0; j < features_.size(); ++j) {
    auto i = table.FindColumn(features_[j].name);
    if (!i) {
      absent += (absent.empty() ? "'" : ", '") + features_[j].name + "'";
      continue;
    }
    source[j] = *i;
    if (features_[j].type == core::ColumnType::kNumeric && table.column(*i).is_categorical()) {
      // Name the first offending cell so the user can find it.
      const core::Column& col = table.column(*i);
      size_t row = 0;
      while (row < col.size() && col.IsMissing(row)) ++row;
      return Fail(ErrorCode::kInvalidData,
                  "column '" + features_[j].name + "' must be numeric but holds text ('" +
                      col.CellText(row) + "' in data row " + std::to_string(row + 1) + ")");
    }
  }
  if (!absent.empty()) {
    return Fail(ErrorCode::kInvalidData, "missing feature column(s) " + absent);
  }

  FeatureMatrix out(table.num_rows(), features_.size());
  for (size_t j = 0; j < features_.size(); ++j) {
    const core::Column& col = table.column(source[j]);
    auto dst = out.mutable_column(j);
    if (features_[j].type == core::ColumnType::kNumeric) {
      std::copy(col.values().begin(), col.values().end(), dst.begin());
    } else if (col.is_categorical()) {
      // Translate the column's dictionary once, then map codes.
      std::vector<float> remap(col.dictionary().size());
      for (size_t c = 0; c < remap.size(); ++c) remap[c] = EncodeCategory(j, col.dictionary()[c]);
      auto codes = col.codes();
      for (size_t r = 0; r < codes.size(); ++r) {
        dst[r] = codes[r] == core::kMissingCode ? kMissing : remap[codes[r]];
      }
    } else {
      // A categorical feature whose cells all looked like numbers in this file.
      for (size_t r = 0; r < col.size(); ++r) {
        dst[r] = col.IsMissing(r) ? kMissing : EncodeCategory(j, col.CellText(r));
      }
    }
  }
  return out;
}

nlohmann::json FeatureSchema::ToJson() const {
  nlohmann::json out = nlohmann::json::array();
  for (const FeatureInfo& f : features_) {
    nlohmann::json entry = {{"name", f.name}, {"type", core::ColumnTypeName(f.type)}};
    if (f.type == core::ColumnType::kCategorical) entry["categories"] = f.categories;
    out.push_back(std::move(entry));
  }
  return out;
}

Result<FeatureSchema> FeatureSchema::FromJson(const nlohmann::json& json) {
  if (!json.is_array()) return Fail(ErrorCode::kInvalidData, "features must be a JSON array");
  std::vector<FeatureInfo> features;
  std::unordered_set<std::string> names;
  for (size_t i = 0; i < json.size(); ++i) {
    const auto& e = json[i];
    std::string where = "feature " + std::to_string(i);
    if (!e.is_object() || !e.contains("name") || !e["name"].is_string() || !e.contains("type") ||
        !e["type"].is_string()) {
      return Fail(ErrorCode::kInvalidData, where + " must have a string name and type");
    }
    auto type = core::ParseColumnType(e["type"].get<std::string>());
    if (!type) return Fail(type.error().WithContext(where));
    FeatureInfo f{e["name"].get<std::string>(), *type, {}};
    if (!names.insert(f.name).second) {
      return Fail(ErrorCode::kInvalidData, "feature '" + f.name + "' appears twice");
    }
    if (f.type == core::ColumnType::kCategorical) {
      if (!e.contains("categories") || !e["categories"].is_array()) {
        return Fail(ErrorCode::kInvalidData, where + " ('" + f.name + "') has no categories");
      }
      for (const auto& c : e["categories"]) {
        if (!c.is_string()) {
          return Fail(ErrorCode::kInvalidData, where + " has a category that is not a string");
        }
        f.categories.push_back(c.get<std::string>());
      }
      std::unordered_set<std::string> distinct(f.categories.begin(), f.categories.end());
      if (distinct.size() != f.categories.size()) {
        return Fail(ErrorCode::kInvalidData, where + " ('" + f.name + "') repeats a category");
      }
    }
    features.push_back(std::move(f));
  }
  return FeatureSchema(std::move(features));
}

}  // namespace hone::learn
