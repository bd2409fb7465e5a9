#include "hone/learn/xgb/linear_model.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <utility>

#include "hone/learn/xgb/model_envelope.h"
#include "hone/learn/xgb/objective.h"
#include "hone/learn/xgb/row_chunks.h"

namespace hone::learn::xgb {
namespace {

Error Bad(const std::string& why) { return Error(ErrorCode::kInvalidData, "linear model: " + why); }

// The JSON model of a gblinear booster: {"learner": {"gradient_booster": {"model":
// {"weights": [...]}}, "learner_model_param": {"base_score": "5E-1", ...}}}.
Result<nlohmann::json> ModelJson(const Booster& booster) {
  HONE_ASSIGN_OR_RETURN(std::string text, booster.Save("json"));
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("learner") || !json["learner"].is_object()) {
    return Fail(Bad("XGBoost's JSON model has no learner"));
  }
  return json;
}

Result<std::vector<float>> WeightsOf(const nlohmann::json& json) {
  const nlohmann::json& learner = json["learner"];
  const nlohmann::json* w = nullptr;
  if (learner.contains("gradient_booster") && learner["gradient_booster"].contains("model")) {
    const nlohmann::json& model = learner["gradient_booster"]["model"];
    if (model.contains("weights")) w = &model["weights"];
  }
  if (w == nullptr || !w->is_array()) return Fail(Bad("XGBoost's model has no weights"));
  std::vector<float> out;
  out.reserve(w->size());
  for (const nlohmann::json& v : *w) {
    if (!v.is_number()) return Fail(Bad("XGBoost's model has a weight that is not a number"));
    out.push_back(v.get<float>());
  }
  return out;
}

Result<double> BaseScoreOf(const nlohmann::json& json) {
  const nlohmann::json& learner = json["learner"];
  if (!learner.contains("learner_model_param") ||
      !learner["learner_model_param"].contains("base_score") ||
      !learner["learner_model_param"]["base_score"].is_string()) {
    return Fail(Bad("XGBoost's model has no base_score"));
  }
  const std::string& text =
      learner["learner_model_param"]["base_score"].get_ref<const std::string&>();
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return Fail(Bad("XGBoost's base_score '" + text + "' is not a number"));
  }
  return value;
}

}  // namespace

Result<std::vector<float>> ReadLinearWeights(const Booster& booster) {
  HONE_ASSIGN_OR_RETURN(nlohmann::json json, ModelJson(booster));
  return WeightsOf(json);
}

std::vector<double> IdentifiedWeights(std::span<const float> raw, const LinearEncoding& encoding,
                                      size_t groups) {
  std::vector<double> out(raw.begin(), raw.end());
  encoding.Identify(out, groups);
  if (groups < 2) return out;
  for (size_t at = 0; at + groups <= out.size(); at += groups) {
    double mean = 0;
    for (size_t g = 0; g < groups; ++g) mean += out[at + g];
    mean /= static_cast<double>(groups);
    for (size_t g = 0; g < groups; ++g) out[at + g] -= mean;
  }
  return out;
}

Result<std::unique_ptr<LinearModel>> LinearModel::Create(std::string xgboost_bytes,
                                                         LinearEncoding encoding,
                                                         const FeatureSchema& schema,
                                                         const TargetInfo& target) {
  if (encoding.num_features() != schema.size()) {
    return Fail(Bad("the encoding has " + std::to_string(encoding.num_features()) +
                    " features but the schema " + std::to_string(schema.size())));
  }
  HONE_ASSIGN_OR_RETURN(Booster booster, Booster::Load(xgboost_bytes));
  HONE_TRY(CheckBoosterFits(booster, "gblinear", target, encoding.width(), "linear"));
  HONE_ASSIGN_OR_RETURN(nlohmann::json json, ModelJson(booster));
  HONE_ASSIGN_OR_RETURN(std::vector<float> weights, WeightsOf(json));
  HONE_ASSIGN_OR_RETURN(double base_score, BaseScoreOf(json));

  std::unique_ptr<LinearModel> model(new LinearModel());
  model->groups_ = OutputGroups(target);
  model->outputs_ = NumOutputs(target);
  if (weights.size() != (encoding.width() + 1) * model->groups_) {
    return Fail(Bad("XGBoost's model has " + std::to_string(weights.size()) +
                    " weights; expected " +
                    std::to_string((encoding.width() + 1) * model->groups_)));
  }
  // XGBoost keeps base_score on the probability scale and links it like a prediction.
  if (target.task == Task::kBinary) {
    if (!(base_score > 0 && base_score < 1)) return Fail(Bad("base_score is not a probability"));
    base_score = std::log(base_score / (1 - base_score));
  }
  model->base_margin_ = base_score;
  model->weights_.assign(weights.begin(), weights.end());
  model->importance_ =
      encoding.Spread(IdentifiedWeights(weights, encoding, model->groups_), model->groups_);
  double total = 0;
  for (double v : model->importance_) total += v;
  for (double& v : model->importance_) v = total > 0 ? v / total : 0.0;
  model->header_ = BasicHeader("linear", schema, target);
  model->header_["encoding"] = encoding.ToJson();
  model->header_["payload"] = "ubj";
  model->encoding_ = std::move(encoding);
  model->target_ = target;
  model->xgboost_bytes_ = std::move(xgboost_bytes);
  return model;
}

void LinearModel::Margins(std::span<const float> row, std::span<double> out) const {
  const double* bias = weights_.data() + encoding_.width() * groups_;
  for (size_t g = 0; g < groups_; ++g) out[g] = base_margin_ + bias[g];
  for (size_t j = 0; j < row.size(); ++j) {
    encoding_.Encode(j, row[j], [&](uint32_t column, float value) {
      const double* w = weights_.data() + column * groups_;
      for (size_t g = 0; g < groups_; ++g) out[g] += w[g] * value;
    });
  }
}

void LinearModel::Link(std::span<const double> margins, std::span<float> out) const {
  size_t rows = margins.size() / groups_;
  for (size_t r = 0; r < rows; ++r) {
    const double* m = margins.data() + r * groups_;
    float* o = out.data() + r * outputs_;
    switch (target_.task) {
      case Task::kRegression:
        o[0] = static_cast<float>(m[0]);
        break;
      case Task::kBinary: {
        double p = 1 / (1 + std::exp(-m[0]));
        o[0] = static_cast<float>(1 - p);
        o[1] = static_cast<float>(p);
        break;
      }
      case Task::kMulticlass: {
        double top = *std::max_element(m, m + groups_);
        double sum = 0;
        for (size_t g = 0; g < groups_; ++g) sum += std::exp(m[g] - top);
        for (size_t g = 0; g < groups_; ++g) o[g] = static_cast<float>(std::exp(m[g] - top) / sum);
        break;
      }
    }
  }
}

Result<void> LinearModel::Predict(const FeatureMatrix& x, std::span<float> out,
                                  unsigned threads) const {
  HONE_TRY(CheckPredictShape("linear", encoding_.num_features(), outputs_, x.num_features(),
                             x.num_rows(), out.size()));
  const double* bias = weights_.data() + encoding_.width() * groups_;
  return ForEachRowChunk(x.num_rows(), threads, [&](size_t begin, size_t end) -> Result<void> {
    std::vector<double> margins((end - begin) * groups_);
    for (size_t i = 0; i < margins.size(); ++i) margins[i] = base_margin_ + bias[i % groups_];
    // Feature by feature, reading the column-major matrix in order.
    for (size_t j = 0; j < x.num_features(); ++j) {
      auto column = x.column(j);
      for (size_t r = begin; r < end; ++r) {
        double* m = margins.data() + (r - begin) * groups_;
        encoding_.Encode(j, column[r], [&](uint32_t c, float value) {
          const double* w = weights_.data() + c * groups_;
          for (size_t g = 0; g < groups_; ++g) m[g] += w[g] * value;
        });
      }
    }
    Link(margins, out.subspan(begin * outputs_, (end - begin) * outputs_));
    return {};
  });
}

Result<void> LinearModel::PredictRow(std::span<const float> row, std::span<float> out) const {
  HONE_TRY(
      CheckPredictShape("linear", encoding_.num_features(), outputs_, row.size(), 1, out.size()));
  // Small fixed buffer for the common case; multiclass with many classes allocates.
  double small[16];
  std::vector<double> large(groups_ > std::size(small) ? groups_ : 0);
  std::span<double> margins =
      large.empty() ? std::span<double>(small, groups_) : std::span<double>(large);
  Margins(row, margins);
  Link(margins, out);
  return {};
}

Result<std::string> LinearModel::Serialize() const {
  return WriteEnvelope(header_, xgboost_bytes_);
}

}  // namespace hone::learn::xgb
