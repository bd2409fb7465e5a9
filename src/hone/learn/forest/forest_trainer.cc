#include "hone/learn/forest/forest_trainer.h"

#include <charconv>
#include <cmath>
#include <numeric>

#include "hone/core/parallel.h"
#include "hone/core/random.h"
#include "hone/learn/forest/binning.h"
#include "hone/learn/forest/forest_model.h"
#include "hone/learn/forest/tree_builder.h"

namespace hone::learn {
namespace {

using forest::ForestModel;

// "auto", "sqrt", "log2", "all", a fraction in (0, 1], or a whole count >= 1.
std::optional<std::string> CheckMaxFeatures(std::string_view text) {
  if (text == "auto" || text == "sqrt" || text == "log2" || text == "all") return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc() && end == text.data() + text.size() && v > 0 &&
      (v <= 1 || v == std::floor(v))) {
    return std::nullopt;
  }
  return "is not auto, sqrt, log2, all, a fraction in (0, 1] or a whole number >= 1";
}

const ParamTable& Params() {
  static const ParamTable table(
      "random_forest",
      {
          {.name = "n_estimators",
           .type = ParamType::kInt,
           .default_value = "100",
           .min = 1,
           .max = 100000,
           .doc = "Number of trees."},
          {.name = "max_depth",
           .type = ParamType::kInt,
           .default_value = "0",
           .min = 0,
           .max = 1000,
           .doc = "Deepest level a tree may reach; 0 grows every tree until its leaves are pure."},
          {.name = "min_samples_split",
           .type = ParamType::kInt,
           .default_value = "2",
           .min = 2,
           .max = 1e9,
           .doc = "Fewest distinct rows a node needs to be split."},
          {.name = "min_samples_leaf",
           .type = ParamType::kInt,
           .default_value = "1",
           .min = 1,
           .max = 1e9,
           .doc = "Fewest distinct rows each side of a split must keep."},
          {.name = "max_features",
           .type = ParamType::kText,
           .default_value = "auto",
           .doc = "Features tried at each split: auto (all for regression, sqrt for "
                  "classification, as scikit-learn), sqrt, log2, all, a fraction or a count.",
           .validate = CheckMaxFeatures},
          {.name = "bootstrap",
           .type = ParamType::kBool,
           .default_value = "true",
           .doc = "Grow each tree on a bootstrap sample of the rows (else on all rows)."},
          {.name = "max_samples",
           .type = ParamType::kFloat,
           .default_value = "1.0",
           .min = 0,
           .max = 1,
           .min_exclusive = true,
           .doc = "Bootstrap draws per tree, as a fraction of the training rows."},
          {.name = "max_bins",
           .type = ParamType::kInt,
           .default_value = "255",
           .min = 2,
           .max = forest::kMaxBins,
           .doc = "Bins per numeric feature (distinct values beyond this are grouped by "
                  "quantile) and per categorical feature (rarer categories share a bin)."},
      });
  return table;
}

int ResolveMaxFeatures(const std::string& text, Task task, size_t num_features) {
  double n = static_cast<double>(num_features);
  double count = n;
  std::string rule = text == "auto" ? (IsClassification(task) ? "sqrt" : "all") : text;
  if (rule == "sqrt") {
    count = std::floor(std::sqrt(n));
  } else if (rule == "log2") {
    count = std::floor(std::log2(n));
  } else if (rule != "all") {
    double v = 0;
    std::from_chars(rule.data(), rule.data() + rule.size(), v);  // checked by CheckMaxFeatures
    count = v <= 1 && rule.find('.') != std::string::npos ? std::floor(v * n) : v;
  }
  return static_cast<int>(std::clamp(count, 1.0, n));
}

class RandomForest : public Trainer {
 public:
  std::string_view name() const override { return "random_forest"; }
  std::string_view summary() const override {
    return "hone's histogram-based random forest (CART trees on bootstrap samples)";
  }
  const ParamTable& params() const override { return Params(); }

  Result<std::unique_ptr<Model>> Train(const TrainingData& data, const ParamValues& params,
                                       const TrainOptions& options) const override {
    if (data.x.num_rows() == 0 || data.x.num_features() == 0) {
      return Fail(ErrorCode::kInvalidData, "random_forest needs at least one row and feature");
    }
    unsigned threads = core::ResolveThreads(options.threads);
    forest::BinnedMatrix binned =
        forest::BinFeatures(data.schema, data.x, static_cast<int>(params.Int("max_bins")), threads);

    forest::TreeParams tp;
    tp.max_depth = static_cast<int>(params.Int("max_depth"));
    tp.min_samples_split = static_cast<int>(params.Int("min_samples_split"));
    tp.min_samples_leaf = static_cast<int>(params.Int("min_samples_leaf"));
    tp.max_features =
        ResolveMaxFeatures(params.Text("max_features"), data.target.task, data.x.num_features());
    tp.bootstrap = params.Bool("bootstrap");
    tp.max_samples = params.Float("max_samples");
    int num_classes =
        IsClassification(data.target.task) ? static_cast<int>(data.target.num_classes()) : 0;
    forest::TreeInput input{binned, data.y, num_classes};

    size_t n_trees = static_cast<size_t>(params.Int("n_estimators"));
    std::vector<forest::Tree> trees(n_trees);
    std::vector<std::vector<double>> importance(n_trees,
                                                std::vector<double>(data.x.num_features()));
    // Each tree draws from its own generator, so the forest is the same on any thread count.
    core::ParallelFor(n_trees, threads, [&](size_t t) {
      trees[t] = forest::BuildTree(input, tp, core::Rng::ForTask(options.seed, t), importance[t]);
    });

    std::vector<double> total(data.x.num_features());
    for (const auto& imp : importance) {
      for (size_t f = 0; f < total.size(); ++f) total[f] += imp[f];
    }
    double sum = std::accumulate(total.begin(), total.end(), 0.0);
    if (sum > 0) {
      for (double& v : total) v /= sum;
    }
    std::vector<std::vector<uint8_t>> category_bins;
    for (const auto& fb : binned.features) category_bins.push_back(fb.category_bin);
    return std::make_unique<ForestModel>(data.x.num_features(), static_cast<size_t>(num_classes),
                                         std::move(category_bins), std::move(trees),
                                         std::move(total));
  }

  Result<std::unique_ptr<Model>> Load(std::string_view bytes, const FeatureSchema& schema,
                                      const TargetInfo& target) const override {
    HONE_ASSIGN_OR_RETURN(auto model, ForestModel::Deserialize(bytes, schema, target));
    return std::unique_ptr<Model>(std::move(model));
  }
};

}  // namespace

const Trainer& RandomForestTrainer() {
  static const RandomForest trainer;
  return trainer;
}

}  // namespace hone::learn
