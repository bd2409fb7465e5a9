#include "hone/learn/forest/tree_builder.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hone::learn::forest {
namespace {

constexpr double kNoSplit = -std::numeric_limits<double>::infinity();

// A row in the node's sample list, with its label and bootstrap weight kept beside it so that
// histogram building reads them sequentially.
struct Sample {
  uint32_t row;
  float y;
  float w;
};

struct SplitChoice {
  double score = kNoSplit;  // sum over both sides of (stat^2 / weight): larger is purer
  uint32_t feature = 0;
  bool categorical = false;
  bool has_missing = false;
  bool missing_left = false;
  uint8_t split_bin = 0;  // numeric: bins <= split_bin go left
  BinSet left_bins{};     // categorical: bins that go left
  BinSet present_bins{};  // categorical: bins seen at this node
  double left_weight = 0;
  double right_weight = 0;
};

class Builder {
 public:
  Builder(const TreeInput& input, const TreeParams& params, core::Rng rng,
          std::vector<double>& importance)
      : in_(input),
        params_(params),
        rng_(rng),
        importance_(importance),
        stats_(input.num_classes > 0 ? input.num_classes : 1),
        count_(256),
        weight_(256),
        stat_(256 * static_cast<size_t>(stats_)),
        left_stat_(stats_),
        missing_left_stat_(stats_),
        total_stat_(stats_) {
    features_.resize(in_.x.features.size());
    for (uint32_t f = 0; f < features_.size(); ++f) features_[f] = f;
  }

  Tree Build() {
    DrawSamples();
    scratch_.resize(samples_.size());
    tree_.nodes.emplace_back();
    struct Pending {
      uint32_t node, begin, end;
      int depth;
    };
    std::vector<Pending> stack = {{0, 0, static_cast<uint32_t>(samples_.size()), 0}};
    while (!stack.empty()) {
      Pending p = stack.back();
      stack.pop_back();
      bool pure = ComputeTotals(p.begin, p.end);
      uint32_t n = p.end - p.begin;
      bool too_small = n < static_cast<uint32_t>(params_.min_samples_split) ||
                       n < 2 * static_cast<uint32_t>(params_.min_samples_leaf);
      bool too_deep = params_.max_depth > 0 && p.depth >= params_.max_depth;
      SplitChoice best;
      if (!pure && !too_small && !too_deep) best = FindSplit(p.begin, p.end);
      if (best.score == kNoSplit) {
        MakeLeaf(p.node);
        continue;
      }
      importance_[best.feature] += best.score - Proxy(total_stat_.data(), total_weight_);
      uint32_t mid = Partition(best, p.begin, p.end);
      uint32_t left = static_cast<uint32_t>(tree_.nodes.size());
      tree_.nodes.emplace_back();
      tree_.nodes.emplace_back();
      WriteSplit(p.node, left, best);
      stack.push_back({left + 1, mid, p.end, p.depth + 1});
      stack.push_back({left, p.begin, mid, p.depth + 1});
    }
    return std::move(tree_);
  }

 private:
  void DrawSamples() {
    size_t n = in_.y.size();
    std::vector<float> weight(n, params_.bootstrap ? 0.0f : 1.0f);
    if (params_.bootstrap) {
      auto draws = static_cast<size_t>(
          std::max(1.0, std::round(params_.max_samples * static_cast<double>(n))));
      for (size_t i = 0; i < draws; ++i) weight[rng_.Below(n)] += 1.0f;
    }
    for (uint32_t r = 0; r < n; ++r) {
      if (weight[r] > 0) samples_.push_back({r, in_.y[r], weight[r]});
    }
  }

  // Totals of the node into total_stat_/total_weight_; true when the node is pure.
  bool ComputeTotals(uint32_t begin, uint32_t end) {
    std::fill(total_stat_.begin(), total_stat_.end(), 0.0);
    total_weight_ = 0;
    if (in_.num_classes == 0) {
      float lo = samples_[begin].y, hi = lo;
      for (uint32_t i = begin; i < end; ++i) {
        const Sample& s = samples_[i];
        total_weight_ += s.w;
        total_stat_[0] += static_cast<double>(s.w) * s.y;
        lo = std::min(lo, s.y);
        hi = std::max(hi, s.y);
      }
      return lo == hi;
    }
    for (uint32_t i = begin; i < end; ++i) {
      const Sample& s = samples_[i];
      total_weight_ += s.w;
      total_stat_[static_cast<size_t>(s.y)] += s.w;
    }
    int classes_present = 0;
    for (double w : total_stat_) classes_present += w > 0;
    return classes_present <= 1;
  }

  double Proxy(const double* stat, double weight) const {
    if (weight <= 0) return 0;
    double sum = 0;
    for (int k = 0; k < stats_; ++k) sum += stat[k] * stat[k];
    return sum / weight;
  }

  SplitChoice FindSplit(uint32_t begin, uint32_t end) {
    SplitChoice best;
    // Draw features without replacement until max_features non-constant ones were tried,
    // as scikit-learn does; constant features do not count.
    size_t remaining = features_.size();
    int tried = 0;
    while (remaining > 0 && tried < params_.max_features) {
      size_t pick = rng_.Below(remaining);
      std::swap(features_[pick], features_[remaining - 1]);
      uint32_t f = features_[--remaining];
      if (EvaluateFeature(f, begin, end, best)) ++tried;
    }
    return best;
  }

  // Scans every split of feature f; returns false when f is constant at this node.
  bool EvaluateFeature(uint32_t f, uint32_t begin, uint32_t end, SplitChoice& best) {
    const uint8_t* col = in_.x.column(f).data();
    touched_.clear();
    const bool regression = in_.num_classes == 0;
    for (uint32_t i = begin; i < end; ++i) {
      const Sample& s = samples_[i];
      uint8_t bin = col[s.row];
      if (count_[bin]++ == 0) touched_.push_back(bin);
      weight_[bin] += s.w;
      if (regression) {
        stat_[bin] += static_cast<double>(s.w) * s.y;
      } else {
        stat_[bin * static_cast<size_t>(stats_) + static_cast<size_t>(s.y)] += s.w;
      }
    }
    bool has_missing = count_[kMissingBin] > 0;
    values_.clear();
    for (uint8_t b : touched_) {
      if (b != kMissingBin) values_.push_back(b);
    }
    bool splittable = values_.size() + (has_missing ? 1 : 0) >= 2;
    if (splittable) ScanSplits(f, end - begin, has_missing, best);
    for (uint8_t b : touched_) {
      count_[b] = 0;
      weight_[b] = 0;
      std::fill_n(stat_.begin() + b * static_cast<ptrdiff_t>(stats_), stats_, 0.0);
    }
    return splittable;
  }

  void OrderBins(bool categorical) {
    if (!categorical) {
      std::sort(values_.begin(), values_.end());
      return;
    }
    // Categories ordered by their mean label (regression), the share of class 1 (binary) or
    // of the node's majority class (multiclass): the best prefix split in this order is the
    // best subset split for regression and binary classification.
    size_t k = 0;
    if (in_.num_classes == 2) k = 1;
    if (in_.num_classes > 2) {
      k = static_cast<size_t>(std::max_element(total_stat_.begin(), total_stat_.end()) -
                              total_stat_.begin());
    }
    auto score = [&](uint8_t b) { return stat_[b * static_cast<size_t>(stats_) + k] / weight_[b]; };
    std::sort(values_.begin(), values_.end(), [&](uint8_t a, uint8_t b) {
      double sa = score(a), sb = score(b);
      return sa != sb ? sa < sb : a < b;
    });
  }

  // Right-side proxy: (total - left) over (total weight - left weight).
  double RightProxy(const double* left_stat, double left_weight) const {
    double weight = total_weight_ - left_weight;
    if (weight <= 0) return 0;
    double sum = 0;
    for (int k = 0; k < stats_; ++k) {
      double d = total_stat_[k] - left_stat[k];
      sum += d * d;
    }
    return sum / weight;
  }

  void ScanSplits(uint32_t f, uint32_t n, bool has_missing, SplitChoice& best) {
    const FeatureBins& fb = in_.x.features[f];
    OrderBins(fb.categorical);
    const size_t m = values_.size();
    const size_t S = static_cast<size_t>(stats_);
    const uint32_t min_leaf = static_cast<uint32_t>(params_.min_samples_leaf);
    const uint32_t missing_count = count_[kMissingBin];
    const double missing_weight = weight_[kMissingBin];
    const double* missing_stat = &stat_[kMissingBin * S];

    std::fill(left_stat_.begin(), left_stat_.end(), 0.0);
    uint32_t left_count = 0;
    double left_weight = 0;
    for (size_t p = 0; p < m; ++p) {
      const uint8_t b = values_[p];
      left_count += count_[b];
      left_weight += weight_[b];
      for (size_t k = 0; k < S; ++k) left_stat_[k] += stat_[b * S + k];
      const bool last = p + 1 == m;
      // Missing values to the right; at the last bin that leaves only them on the right.
      if ((!last || has_missing) && left_count >= min_leaf && n - left_count >= min_leaf) {
        double score =
            Proxy(left_stat_.data(), left_weight) + RightProxy(left_stat_.data(), left_weight);
        Consider(score, f, fb.categorical, has_missing, false, p, left_weight, best);
      }
      // Missing values to the left.
      if (has_missing && !last) {
        uint32_t with_missing = left_count + missing_count;
        if (with_missing >= min_leaf && n - with_missing >= min_leaf) {
          for (size_t k = 0; k < S; ++k) missing_left_stat_[k] = left_stat_[k] + missing_stat[k];
          double w = left_weight + missing_weight;
          double score =
              Proxy(missing_left_stat_.data(), w) + RightProxy(missing_left_stat_.data(), w);
          Consider(score, f, fb.categorical, has_missing, true, p, w, best);
        }
      }
    }
  }

  void Consider(double score, uint32_t f, bool categorical, bool has_missing, bool missing_left,
                size_t p, double left_weight, SplitChoice& best) const {
    if (!(score > best.score)) return;
    best.score = score;
    best.feature = f;
    best.categorical = categorical;
    best.has_missing = has_missing;
    best.missing_left = missing_left;
    best.left_weight = left_weight;
    best.right_weight = total_weight_ - left_weight;
    if (!categorical) {
      best.split_bin = values_[p];
      return;
    }
    best.left_bins = {};
    best.present_bins = {};
    for (size_t i = 0; i < values_.size(); ++i) {
      if (i <= p) BinSetAdd(best.left_bins, values_[i]);
      BinSetAdd(best.present_bins, values_[i]);
    }
  }

  // Reorders samples_[begin, end) so the left child's come first, keeping row order within
  // each side (sequential reads in later histograms). Returns the boundary.
  uint32_t Partition(const SplitChoice& split, uint32_t begin, uint32_t end) {
    bool goes_left[256];
    for (int b = 0; b < 256; ++b) {
      goes_left[b] = split.categorical ? BinSetHas(split.left_bins, static_cast<uint32_t>(b))
                                       : b <= split.split_bin;
    }
    goes_left[kMissingBin] = split.missing_left;
    const uint8_t* col = in_.x.column(split.feature).data();
    uint32_t left = begin;
    size_t right = 0;
    for (uint32_t i = begin; i < end; ++i) {
      const Sample s = samples_[i];
      if (goes_left[col[s.row]]) {
        samples_[left++] = s;
      } else {
        scratch_[right++] = s;
      }
    }
    std::copy_n(scratch_.begin(), right, samples_.begin() + left);
    return left;
  }

  void WriteSplit(uint32_t node, uint32_t left, const SplitChoice& split) {
    const FeatureBins& fb = in_.x.features[split.feature];
    // Values never seen here at training time follow the missing values, or else the
    // heavier child.
    bool default_left =
        split.has_missing ? split.missing_left : split.left_weight >= split.right_weight;
    Node& n = tree_.nodes[node];
    n.feature = split.feature;
    n.left = left;
    n.bits = default_left ? uint32_t{Node::kDefaultLeft} : 0u;
    if (split.categorical) {
      BinSet set = split.left_bins;
      if (default_left) {
        for (int b = 0; b < fb.num_bins; ++b) {
          if (!BinSetHas(split.present_bins, static_cast<uint32_t>(b))) {
            BinSetAdd(set, static_cast<uint32_t>(b));
          }
        }
      }
      n.bits |= Node::kCategorical | static_cast<uint32_t>(tree_.category_sets.size() << 8);
      tree_.category_sets.push_back(set);
    } else {
      n.value = split.split_bin < fb.thresholds.size() ? fb.thresholds[split.split_bin]
                                                       : std::numeric_limits<float>::infinity();
    }
  }

  // Turns `node` into a leaf holding the totals last computed (those of this node).
  void MakeLeaf(uint32_t node) {
    Node& n = tree_.nodes[node];
    n.bits = Node::kLeaf;
    if (in_.num_classes == 0) {
      n.value = static_cast<float>(total_stat_[0] / total_weight_);
      return;
    }
    int present = 0;
    uint32_t only = 0;
    for (size_t k = 0; k < total_stat_.size(); ++k) {
      if (total_stat_[k] > 0) {
        ++present;
        only = static_cast<uint32_t>(k);
      }
    }
    if (present == 1) {
      n.bits |= Node::kPureLeaf;
      n.feature = only;
      return;
    }
    n.feature = static_cast<uint32_t>(tree_.distributions.size());
    for (double w : total_stat_) {
      tree_.distributions.push_back(static_cast<float>(w / total_weight_));
    }
  }

  const TreeInput& in_;
  const TreeParams& params_;
  core::Rng rng_;
  std::vector<double>& importance_;
  const int stats_;  // label statistics per bin: 1 (sum of w*y) or one weight per class

  Tree tree_;
  std::vector<Sample> samples_;
  std::vector<Sample> scratch_;
  std::vector<uint32_t> features_;

  // Histogram of the feature being evaluated; all zero between evaluations.
  std::vector<uint32_t> count_;
  std::vector<double> weight_;
  std::vector<double> stat_;
  std::vector<uint8_t> touched_;
  std::vector<uint8_t> values_;

  std::vector<double> left_stat_;
  std::vector<double> missing_left_stat_;
  std::vector<double> total_stat_;
  double total_weight_ = 0;
};

}  // namespace

Tree BuildTree(const TreeInput& input, const TreeParams& params, core::Rng rng,
               std::vector<double>& importance) {
  return Builder(input, params, rng, importance).Build();
}

}  // namespace hone::learn::forest
