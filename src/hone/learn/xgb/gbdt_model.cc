#include "hone/learn/xgb/gbdt_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "hone/learn/xgb/model_envelope.h"
#include "hone/learn/xgb/objective.h"
#include "hone/learn/xgb/row_chunks.h"

namespace hone::learn::xgb {
namespace {

constexpr char kGapsKey[] = "categories_without_rows";

}  // namespace

CategoryGaps FindCategoryGaps(const FeatureSchema& schema, const FeatureMatrix& x) {
  CategoryGaps gaps(schema.size());
  for (size_t j = 0; j < schema.size(); ++j) {
    size_t levels = schema.features()[j].categories.size();
    if (schema.features()[j].type != core::ColumnType::kCategorical) continue;
    std::vector<bool> seen(levels, false);
    for (float v : x.column(j)) {
      if (v >= 0 && v < static_cast<float>(levels)) seen[static_cast<size_t>(v)] = true;
    }
    for (size_t c = 0; c < levels; ++c) {
      if (!seen[c]) gaps[j].push_back(static_cast<int32_t>(c));
    }
  }
  return gaps;
}

Result<CategoryGaps> GbdtModel::GapsFromHeader(const nlohmann::json& header,
                                               const FeatureSchema& schema) {
  auto bad = [](const std::string& why) {
    return Fail(ErrorCode::kInvalidData, "gbdt model: " + why);
  };
  if (!header.contains(kGapsKey) || !header[kGapsKey].is_array() ||
      header[kGapsKey].size() != schema.size()) {
    return bad(std::string("the header lacks ") + kGapsKey + " for each feature");
  }
  CategoryGaps gaps(schema.size());
  for (size_t j = 0; j < schema.size(); ++j) {
    const nlohmann::json& list = header[kGapsKey][j];
    if (!list.is_array()) return bad(std::string(kGapsKey) + " holds a non-list");
    for (const nlohmann::json& c : list) {
      int64_t index = c.is_number_integer() ? c.get<int64_t>() : -1;
      if (index < 0 || static_cast<size_t>(index) >= schema.features()[j].categories.size()) {
        return bad("feature '" + schema.features()[j].name + "' lists an unknown category");
      }
      gaps[j].push_back(static_cast<int32_t>(index));
    }
  }
  return gaps;
}

Result<std::unique_ptr<GbdtModel>> GbdtModel::Create(std::string_view xgboost_bytes,
                                                     CategoryGaps gaps, const FeatureSchema& schema,
                                                     const TargetInfo& target,
                                                     GbdtEvaluator evaluator) {
  HONE_ASSIGN_OR_RETURN(Booster booster, Booster::Load(xgboost_bytes));
  HONE_TRY(CheckBoosterFits(booster, "gbtree", target, schema.size(), "gbdt"));
  // Every prediction runs on the calling thread; Predict splits rows over threads itself.
  HONE_TRY(booster.SetParam("nthread", "1"));
  HONE_TRY(booster.Prime(schema.size()));
  HONE_ASSIGN_OR_RETURN(std::vector<double> importance, booster.TotalGain(schema.size()));
  double total = 0;
  for (double g : importance) total += g;
  for (double& g : importance) g = total > 0 ? g / total : 0.0;

  std::unique_ptr<GbdtModel> model(
      new GbdtModel(std::move(booster), std::move(gaps), schema, target));
  model->importance_ = std::move(importance);
  if (evaluator == GbdtEvaluator::kFlat) {
    // Booster::Load has checked the bytes (CheckModelBytes), so they read as UBJSON.
    nlohmann::json doc = nlohmann::json::from_ubjson(xgboost_bytes, /*strict=*/true,
                                                     /*allow_exceptions=*/false);
    Result<FlatTrees> flat = FlatTrees::Build(doc, schema.size(), model->is_gap_);
    if (flat) {
      model->flat_ = std::move(*flat);
    } else if (flat.error().code() != ErrorCode::kUnsupported) {
      return Fail(flat.error());
    }  // else XGBoost predicts this model, as it did before FlatTrees
  }
  return model;
}

GbdtModel::GbdtModel(Booster booster, CategoryGaps gaps, const FeatureSchema& schema,
                     const TargetInfo& target)
    : booster_(std::move(booster)),
      gaps_(std::move(gaps)),
      target_(target),
      header_(BasicHeader("gbdt", schema, target)),
      num_features_(schema.size()),
      groups_(OutputGroups(target)),
      outputs_(NumOutputs(target)) {
  header_[kGapsKey] = gaps_;
  header_["payload"] = "ubj";
  is_gap_.resize(num_features_);
  for (size_t j = 0; j < num_features_; ++j) {
    if (gaps_[j].empty()) continue;
    is_gap_[j].assign(schema.features()[j].categories.size(), 0);
    for (int32_t c : gaps_[j]) is_gap_[j][c] = 1;
    has_gaps_ = true;
  }
}

Result<void> GbdtModel::PredictBlock(const float* data, size_t rows, size_t row_stride,
                                     size_t col_stride, std::span<float> out) const {
  if (flat_) {
    flat_->Predict(data, rows, row_stride, col_stride, out.data());
    ExpandOutputs(target_, rows, out);
    return {};
  }
  if (!has_gaps_) {
    // XGBoost reads hone's memory in place, whatever its layout.
    DenseView view{data, rows, num_features_, row_stride, col_stride};
    HONE_TRY(booster_.PredictDense(view, PredictKind::kValue, out.first(rows * groups_)));
    ExpandOutputs(target_, rows, out);
    return {};
  }
  // Copies blocks of rows with the categories without training rows made missing.
  constexpr size_t kBlockRows = 1024;
  std::vector<float> buffer(std::min(rows, kBlockRows) * num_features_);
  for (size_t begin = 0; begin < rows; begin += kBlockRows) {
    size_t n = std::min(kBlockRows, rows - begin);
    for (size_t r = 0; r < n; ++r) {
      for (size_t j = 0; j < num_features_; ++j) {
        float v = data[(begin + r) * row_stride + j * col_stride];
        const std::vector<uint8_t>& gap = is_gap_[j];
        if (!gap.empty() && v >= 0 && v < static_cast<float>(gap.size()) &&
            gap[static_cast<size_t>(v)]) {
          v = std::numeric_limits<float>::quiet_NaN();
        }
        buffer[r * num_features_ + j] = v;
      }
    }
    std::span<float> part = out.subspan(begin * outputs_, n * outputs_);
    HONE_TRY(booster_.PredictDense(DenseView::RowMajor(buffer.data(), n, num_features_),
                                   PredictKind::kValue, part.first(n * groups_)));
    ExpandOutputs(target_, n, part);
  }
  return {};
}

Result<void> GbdtModel::Predict(const FeatureMatrix& x, std::span<float> out,
                                unsigned threads) const {
  HONE_TRY(CheckPredictShape("gbdt", num_features_, outputs_, x.num_features(), x.num_rows(),
                             out.size()));
  if (x.num_rows() == 0) return {};
  const float* data = x.column(0).data();
  size_t rows = x.num_rows();
  return ForEachRowChunk(rows, threads, [&](size_t begin, size_t end) {
    return PredictBlock(data + begin, end - begin, 1, rows,
                        out.subspan(begin * outputs_, (end - begin) * outputs_));
  });
}

Result<void> GbdtModel::PredictRow(std::span<const float> row, std::span<float> out) const {
  HONE_TRY(CheckPredictShape("gbdt", num_features_, outputs_, row.size(), 1, out.size()));
  if (flat_) {
    flat_->PredictRow(row.data(), out.data());
    ExpandOutputs(target_, 1, out);
    return {};
  }
  return PredictBlock(row.data(), 1, num_features_, 1, out);
}

Result<std::string> GbdtModel::Serialize() const {
  HONE_ASSIGN_OR_RETURN(std::string bytes, booster_.Save("ubj"));
  return WriteEnvelope(header_, bytes);
}

}  // namespace hone::learn::xgb
