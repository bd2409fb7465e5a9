// "linear": ridge regression, logistic regression and softmax regression, fitted by XGBoost's
// gblinear coordinate descent on hone's encoding of the features (linear_encoding.h).
//
// XGBoost trains; hone predicts. gblinear has no in-place prediction in 1.7, and its DMatrix
// prediction would cost an allocation and a thread team per request, so the model reads the
// weights out of XGBoost's JSON model and computes the dot product itself. Training checks
// that both agree on the training rows, which guards the reading of XGBoost's model layout.
#include <algorithm>
#include <cmath>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "hone/core/parallel.h"
#include "hone/learn/xgb/linear_encoding.h"
#include "hone/learn/xgb/linear_model.h"
#include "hone/learn/xgb/model_envelope.h"
#include "hone/learn/xgb/objective.h"
#include "hone/learn/xgb/xgb_api.h"
#include "hone/learn/xgb/xgb_trainers.h"

namespace hone::learn {
namespace {

using xgb::Booster;
using xgb::LinearEncoding;
using xgb::LinearModel;

const ParamTable& LinearParams() {
  static const ParamTable table(
      "linear",
      {
          {.name = "n_estimators",
           .type = ParamType::kInt,
           .default_value = "500",
           .min = 1,
           .max = 100000,
           .doc = "most coordinate-descent rounds; training stops sooner once "
                  "converged (see tolerance)"},
          {.name = "learning_rate",
           .type = ParamType::kFloat,
           .default_value = "1",
           .min = 0,
           .max = 1,
           .min_exclusive = true,
           .doc =
               "fraction of each coordinate's Newton step taken (eta; XGBoost's default is 0.5)"},
          {.name = "reg_lambda",
           .type = ParamType::kFloat,
           .default_value = "0.001",
           .min = 0,
           .doc = "L2 penalty (ridge) on weights of standardised features, per training row: "
                  "scikit-learn's Ridge alpha or 1/C = reg_lambda * rows"},
          {.name = "reg_alpha",
           .type = ParamType::kFloat,
           .default_value = "0",
           .min = 0,
           .doc = "L1 penalty (lasso) on the same weights, per training row"},
          {.name = "updater",
           .type = ParamType::kChoice,
           .default_value = "coord_descent",
           .choices = {"coord_descent", "shotgun"},
           .doc = "coord_descent (parallel sums, reproducible) or shotgun (lock-free updates; run "
                  "on one thread so that results are reproducible)"},
          {.name = "feature_selector",
           .type = ParamType::kChoice,
           .default_value = "cyclic",
           .choices = {"cyclic", "shuffle", "random", "greedy", "thrifty"},
           .doc = "order of coordinate updates; shotgun allows only cyclic and shuffle"},
          {.name = "top_k",
           .type = ParamType::kInt,
           .default_value = "0",
           .min = 0,
           .max = 1 << 24,
           .doc = "greedy and thrifty: columns updated per round; 0 = all"},
          {.name = "tolerance",
           .type = ParamType::kFloat,
           .default_value = "1e-5",
           .min = 0,
           .max = 1,
           .doc = "stop when no weight moved more than this fraction of the largest "
                  "weight in a round; 0 = run all n_estimators rounds"},
          {.name = "max_categories",
           .type = ParamType::kInt,
           .default_value = "100",
           .min = 1,
           .max = 100000,
           .doc = "categories per categorical feature with their own effect (the most "
                  "frequent); rarer ones share one \"other\" effect"},
      });
  return table;
}

// The training rows encoded as CSR, the layout gblinear needs (it transposes to columns).
struct EncodedRows {
  std::vector<uint64_t> offsets{0};
  std::vector<uint32_t> columns;
  std::vector<float> values;
};

EncodedRows EncodeRows(const LinearEncoding& encoding, const FeatureMatrix& x) {
  EncodedRows out;
  out.offsets.reserve(x.num_rows() + 1);
  for (size_t r = 0; r < x.num_rows(); ++r) {
    for (size_t j = 0; j < x.num_features(); ++j) {
      encoding.Encode(j, x.at(r, j), [&](uint32_t column, float value) {
        out.columns.push_back(column);
        out.values.push_back(value);
      });
    }
    out.offsets.push_back(out.columns.size());
  }
  return out;
}

class Linear final : public Trainer {
 public:
  std::string_view name() const override { return "linear"; }
  std::string_view summary() const override {
    return "ridge / logistic / softmax regression on standardised, one-hot encoded features "
           "(XGBoost gblinear)";
  }
  const ParamTable& params() const override { return LinearParams(); }

  Result<std::unique_ptr<Model>> Train(const TrainingData& data, const ParamValues& params,
                                       const TrainOptions& options) const override {
    HONE_TRY(xgb::CheckTrainingData(data, "linear"));
    HONE_TRY(CheckCombination(params));
    HONE_ASSIGN_OR_RETURN(LinearEncoding encoding,
                          LinearEncoding::Fit(data.schema, data.x,
                                              static_cast<size_t>(params.Int("max_categories"))));
    if (encoding.width() == 0) {
      return Fail(ErrorCode::kInvalidData,
                  "linear: no usable features (every categorical feature is missing in training)");
    }
    unsigned threads =
        params.Text("updater") == "shotgun" ? 1 : core::ResolveThreads(options.threads);
    EncodedRows rows = EncodeRows(encoding, data.x);
    HONE_ASSIGN_OR_RETURN(xgb::DMatrix train, xgb::DMatrix::FromCsr({rows.offsets, rows.columns,
                                                                     rows.values, encoding.width()},
                                                                    threads));
    HONE_TRY(train.SetLabels(data.y));
    HONE_ASSIGN_OR_RETURN(Booster booster, Booster::ForTraining(train));
    HONE_TRY(SetParams(booster, data, params, options, threads));
    HONE_TRY(Boost(booster, train, encoding, xgb::OutputGroups(data.target), params));

    HONE_ASSIGN_OR_RETURN(std::string bytes, booster.Save("ubj"));
    HONE_ASSIGN_OR_RETURN(
        std::unique_ptr<LinearModel> model,
        LinearModel::Create(std::move(bytes), std::move(encoding), data.schema, data.target));
    HONE_TRY(CheckAgreement(*model, booster, train, data.x));
    return std::unique_ptr<Model>(std::move(model));
  }

  Result<std::unique_ptr<Model>> Load(std::string_view bytes, const FeatureSchema& schema,
                                      const TargetInfo& target) const override {
    HONE_ASSIGN_OR_RETURN(xgb::ModelEnvelope envelope,
                          xgb::ReadEnvelope(bytes, "linear", schema, target));
    if (!envelope.header.contains("encoding")) {
      return Fail(ErrorCode::kInvalidData, "linear model: the header lacks the encoding");
    }
    HONE_ASSIGN_OR_RETURN(LinearEncoding encoding,
                          LinearEncoding::FromJson(envelope.header["encoding"], schema));
    HONE_ASSIGN_OR_RETURN(
        std::unique_ptr<LinearModel> model,
        LinearModel::Create(std::move(envelope.payload), std::move(encoding), schema, target));
    return std::unique_ptr<Model>(std::move(model));
  }

 private:
  static Result<void> CheckCombination(const ParamValues& params) {
    const std::string& selector = params.Text("feature_selector");
    if (params.Text("updater") == "shotgun" && selector != "cyclic" && selector != "shuffle") {
      return Fail(ErrorCode::kInvalidArgument,
                  "linear: feature_selector '" + selector +
                      "' needs updater coord_descent; shotgun allows cyclic, shuffle");
    }
    return {};
  }

  static Result<void> SetParams(Booster& booster, const TrainingData& data,
                                const ParamValues& params, const TrainOptions& options,
                                unsigned threads) {
    HONE_TRY(booster.SetParam("booster", "gblinear"));
    HONE_TRY(xgb::SetThreadsAndSeed(booster, threads, options.seed));
    HONE_TRY(xgb::SetObjective(booster, data.target, data.y));
    HONE_TRY(booster.SetParam("eta", xgb::ParamText(params.Float("learning_rate"))));
    HONE_TRY(booster.SetParam("lambda", xgb::ParamText(params.Float("reg_lambda"))));
    HONE_TRY(booster.SetParam("alpha", xgb::ParamText(params.Float("reg_alpha"))));
    HONE_TRY(booster.SetParam("updater", params.Text("updater")));
    HONE_TRY(booster.SetParam("feature_selector", params.Text("feature_selector")));
    return booster.SetParam("top_k", std::to_string(params.Int("top_k")));
  }

  // Runs rounds until n_estimators, or until the largest weight change of a round falls to
  // `tolerance` times the largest weight. (XGBoost's own "tolerance" freezes the weights but
  // still pays for a gradient pass every remaining round.) The random selector may skip a
  // column for a round or two, so its change is measured over 10 rounds.
  static Result<void> Boost(Booster& booster, const xgb::DMatrix& train,
                            const LinearEncoding& encoding, size_t groups,
                            const ParamValues& params) {
    double tolerance = params.Float("tolerance");
    size_t window = params.Text("feature_selector") == "random" ? 10 : 1;
    std::deque<std::vector<double>> history;
    for (int64_t i = 0; i < params.Int("n_estimators"); ++i) {
      HONE_TRY(booster.UpdateOneIter(static_cast<int>(i), train).map_error([](const Error& e) {
        return e.WithContext("linear");
      }));
      if (tolerance <= 0) continue;
      HONE_ASSIGN_OR_RETURN(std::vector<float> raw, xgb::ReadLinearWeights(booster));
      history.push_back(xgb::IdentifiedWeights(raw, encoding, groups));
      if (history.size() <= window) continue;
      const std::vector<double>& now = history.back();
      const std::vector<double>& then = history.front();
      double largest = 0, change = 0;
      for (size_t k = 0; k < now.size() && now.size() == then.size(); ++k) {
        largest = std::max(largest, std::abs(now[k]));
        change = std::max(change, std::abs(now[k] - then[k]));
      }
      if (change <= tolerance * largest) break;
      history.pop_front();
    }
    return {};
  }

  // hone's dot product must give XGBoost's margins; a mismatch means its model layout is not
  // the one LinearModel reads (a different XGBoost version), and nothing should be served.
  static Result<void> CheckAgreement(const LinearModel& model, const Booster& booster,
                                     const xgb::DMatrix& train, const FeatureMatrix& x) {
    size_t groups = model.groups();
    std::vector<float> theirs(x.num_rows() * groups);
    HONE_TRY(booster.PredictDMatrix(train, xgb::PredictKind::kMargin, theirs));
    std::vector<float> row(x.num_features());
    std::vector<double> ours(groups);
    for (size_t r = 0; r < x.num_rows(); ++r) {
      x.CopyRow(r, row);
      model.Margins(row, ours);
      for (size_t g = 0; g < groups; ++g) {
        double a = ours[g], b = theirs[r * groups + g];
        if (!(std::abs(a - b) <= 1e-3 * (1 + std::abs(b)))) {
          return Fail(ErrorCode::kInternal, "linear: hone's margin " + std::to_string(a) +
                                                " differs from XGBoost's " + std::to_string(b) +
                                                " on training row " + std::to_string(r + 1) +
                                                "; this XGBoost (" + xgb::LibraryVersion() +
                                                ") stores gblinear models differently");
        }
      }
    }
    return {};
  }
};

}  // namespace

const Trainer& LinearTrainer() {
  static const Linear trainer;
  return trainer;
}

}  // namespace hone::learn
