#include "hone/learn/forest/tree_builder.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "hone/learn/forest/grow_node.h"
#include "hone/learn/forest/histograms.h"
#include "hone/learn/forest/small_node.h"

namespace hone::learn::forest {
namespace {

constexpr double kNoSplit = -std::numeric_limits<double>::infinity();

// A list of distinct bins: at most 256 entries, no allocation.
class BinList {
 public:
  void clear() { size_ = 0; }
  void push_back(uint8_t bin) { items_[size_++] = bin; }
  void pop_back() { --size_; }
  void resize(size_t size) { size_ = size; }
  size_t size() const { return size_; }
  uint8_t operator[](size_t i) const { return items_[i]; }
  uint8_t& operator[](size_t i) { return items_[i]; }
  uint8_t* begin() { return items_; }
  uint8_t* end() { return items_ + size_; }
  const uint8_t* begin() const { return items_; }
  const uint8_t* end() const { return items_ + size_; }

 private:
  uint8_t items_[256];
  size_t size_ = 0;
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

template <bool kRegression>
class Builder {
  using Hist = Histograms<kRegression>;
  using Rec = typename Hist::Rec;
  using Sample = typename Hist::Sample;

 public:
  Builder(const TreeInput& input, const TreeParams& params, core::Rng rng,
          std::vector<double>& importance)
      : in_(input),
        params_(params),
        rng_(rng),
        importance_(importance),
        use_counts_(params.min_samples_leaf > 1),
        stats_(kRegression ? 1 : static_cast<size_t>(input.num_classes)),
        num_features_(input.x.features.size()),
        hist_(input.x, samples_, stats_, use_counts_),
        left_stat_(stats_),
        missing_left_stat_(stats_),
        total_stat_(stats_) {
    features_.resize(num_features_);
    for (uint32_t f = 0; f < num_features_; ++f) features_[f] = f;
    constant_features_ = features_;
    node_block_ = hist_.Acquire();
  }

  Tree Build() {
    DrawSamples();
    partition_scratch_.resize(samples_.size());
    grown_.emplace_back();
    struct Pending {
      uint32_t node, begin, end;
      int depth;
      size_t known_constants;  // prefix of constant_features_ known constant here
      int block;               // kept histograms, or -1
    };
    auto n_root = static_cast<uint32_t>(samples_.size());
    int root_block = n_root >= kKeepHistogramsFrom ? hist_.Acquire() : -1;
    std::vector<Pending> stack = {{0, 0, n_root, 0, 0, root_block}};
    while (!stack.empty()) {
      Pending p = stack.back();
      stack.pop_back();
      bool pure = ComputeTotals(p.begin, p.end);
      uint32_t n = p.end - p.begin;
      bool too_small = n < static_cast<uint32_t>(params_.min_samples_split) ||
                       n < 2 * static_cast<uint32_t>(params_.min_samples_leaf);
      bool too_deep = params_.max_depth > 0 && p.depth >= params_.max_depth;
      SplitChoice best;
      size_t constants = p.known_constants;
      if (!pure && !too_small && !too_deep) {
        if (kRegression && n <= kSmallNode) {
          best = FindSmallSplit(p.begin, p.end, constants);
        } else if (p.block < 0 && FusedBuild(p.begin, p.end, constants)) {
          best = FindSplit(p.begin, p.end, constants, node_block_, [&](uint32_t f, SplitChoice& b) {
            return EvaluateFeature(f, p.begin, p.end, node_block_, /*consume=*/true, b);
          });
          hist_.ClearBuilt(node_block_, fused_features_);
        } else {
          best = FindSplit(p.begin, p.end, constants, p.block, [&](uint32_t f, SplitChoice& b) {
            return EvaluateFeature(f, p.begin, p.end, p.block, /*consume=*/false, b);
          });
        }
      }
      if (best.score == kNoSplit) {
        MakeLeaf(p.node);
        hist_.Release(p.block);
        continue;
      }
      importance_[best.feature] += best.score - Proxy(total_stat_.data(), total_weight_);
      uint32_t mid = Partition(best, p.begin, p.end);
      auto [left_block, right_block] = hist_.Children(p.block, p.begin, mid, p.end);
      auto left = static_cast<uint32_t>(grown_.size());
      grown_.emplace_back();
      grown_.emplace_back();
      WriteSplit(p.node, left, best);
      stack.push_back({left + 1, mid, p.end, p.depth + 1, constants, right_block});
      stack.push_back({left, p.begin, mid, p.depth + 1, constants, left_block});
    }
    Compact(grown_, tree_);
    return std::move(tree_);
  }

 private:
  // For a node without a kept block whose every candidate feature will be evaluated
  // (max_features covers them all): builds all their histograms into node_block_ in one pass
  // over its rows. Returns false when that does not apply.
  bool FusedBuild(uint32_t begin, uint32_t end, size_t known_constants) {
    if (node_block_ < 0 || end - begin < 3 ||
        static_cast<size_t>(params_.max_features) < features_.size()) {
      return false;  // two rows stop at the first feature that parts them: nothing to fuse
    }
    fused_features_.assign(features_.begin() + static_cast<ptrdiff_t>(known_constants),
                           features_.end());
    hist_.BuildAll(node_block_, fused_features_, begin, end, /*zeroed=*/true);
    return true;
  }

  void DrawSamples() {
    size_t n = in_.y.size();
    std::vector<uint32_t> weight(n, params_.bootstrap ? 0 : 1);
    if (params_.bootstrap) {
      auto draws = static_cast<size_t>(
          std::max(1.0, std::round(params_.max_samples * static_cast<double>(n))));
      for (size_t i = 0; i < draws; ++i) ++weight[rng_.Below(n)];
    }
    for (uint32_t r = 0; r < n; ++r) {
      if (weight[r] == 0) continue;
      if constexpr (kRegression) {
        samples_.push_back({r, weight[r], static_cast<double>(weight[r]) * in_.y[r]});
      } else {
        samples_.push_back({r, weight[r], static_cast<uint32_t>(in_.y[r])});
      }
    }
  }

  // Totals of the node into total_stat_/total_weight_; true when the node is pure.
  bool ComputeTotals(uint32_t begin, uint32_t end) {
    std::fill(total_stat_.begin(), total_stat_.end(), 0.0);
    total_weight_ = 0;
    if constexpr (kRegression) {
      // Pure when every label equals the first: w * y == wy, exactly (see RegressionSample).
      const double y0 = samples_[begin].wy / samples_[begin].w;
      double sum = 0;
      bool pure = true;
      for (uint32_t i = begin; i < end; ++i) {
        const Sample& s = samples_[i];
        total_weight_ += s.w;
        sum += s.wy;
        pure &= s.wy == y0 * s.w;
      }
      total_stat_[0] = sum;
      return pure;
    } else {
      for (uint32_t i = begin; i < end; ++i) {
        const Sample& s = samples_[i];
        total_weight_ += s.w;
        total_stat_[s.label] += s.w;
      }
      int classes_present = 0;
      for (double w : total_stat_) classes_present += w > 0;
      return classes_present <= 1;
    }
  }

  double Proxy(const double* stat, double weight) const {
    if (weight <= 0) return 0;
    double sum = 0;
    for (size_t k = 0; k < hist_.Stats(); ++k) sum += stat[k] * stat[k];
    return sum / weight;
  }

  // Proxy of the complement: (total - stat) over (total weight - weight).
  double RightProxy(const double* left_stat, double left_weight) const {
    double weight = total_weight_ - left_weight;
    if (weight <= 0) return 0;
    double sum = 0;
    for (size_t k = 0; k < hist_.Stats(); ++k) {
      double d = total_stat_[k] - left_stat[k];
      sum += d * d;
    }
    return sum / weight;
  }

  // scikit-learn's feature sampling (BestSplitter.node_split): features are drawn without
  // replacement until max_features were visited, continuing past that only while every
  // visited feature was constant. Features found constant are remembered for the node's
  // descendants in the prefix of constant_features_, so they are never evaluated again below.
  // `evaluate(f, best)` scans feature f's splits into best and returns false when f is
  // constant at the node; `block` is the node's kept histograms, or -1. The search stops
  // early once a split scores `attainable`: no other feature can beat it, only tie.
  template <typename Evaluate>
  SplitChoice FindSplit(uint32_t begin, uint32_t end, size_t& known_constants, int block,
                        Evaluate evaluate,
                        double attainable = std::numeric_limits<double>::infinity()) {
    SplitChoice best;
    const size_t n_known = known_constants;
    size_t f_i = features_.size();
    size_t visited = 0, found_constants = 0, drawn_constants = 0;
    size_t total_constants = n_known;
    const auto max_features = static_cast<size_t>(params_.max_features);
    while (f_i > total_constants &&
           (visited < max_features || visited <= found_constants + drawn_constants)) {
      ++visited;
      size_t f_j = drawn_constants + rng_.Below(f_i - found_constants - drawn_constants);
      if (f_j < n_known) {
        std::swap(features_[drawn_constants], features_[f_j]);
        ++drawn_constants;
        continue;
      }
      f_j += found_constants;
      if (!evaluate(features_[f_j], best)) {
        std::swap(features_[f_j], features_[total_constants]);
        ++found_constants;
        ++total_constants;
        continue;
      }
      --f_i;
      std::swap(features_[f_i], features_[f_j]);
      // Two samples apart on this feature: its split leaves both children pure, and no
      // other feature can do better, only tie. Likewise once `attainable` is reached.
      if (end - begin == 2 || best.score >= attainable) break;
    }
    // The known prefix keeps its order for siblings; newly found constants extend it.
    std::copy_n(constant_features_.begin(), n_known, features_.begin());
    std::copy_n(features_.begin() + static_cast<ptrdiff_t>(n_known), found_constants,
                constant_features_.begin() + static_cast<ptrdiff_t>(n_known));
    if (block >= 0) {
      // Constant features need no histograms below this node.
      for (size_t i = n_known; i < total_constants; ++i) {
        hist_.block(block).valid[constant_features_[i]] = 0;
      }
    }
    known_constants = total_constants;
    return best;
  }

  // Scans every split of feature f; returns false when f is constant at this node. With
  // `consume`, the block's histogram of f is not needed afterwards: it is zeroed and marked
  // not valid (see FusedBuild).
  bool EvaluateFeature(uint32_t f, uint32_t begin, uint32_t end, int block, bool consume,
                       SplitChoice& best) {
    const FeatureBins& fb = in_.x.features[f];
    values_.clear();
    Rec* h;
    BinSet present;  // scratch histogram: the bins in use
    if (block >= 0) {
      // A kept histogram: build it once if the parent had none, then walk its bins.
      auto& kept = hist_.block(block);
      Rec* slice = hist_.Slice(block, f);
      if (!kept.valid[f]) {
        hist_.ClearSlice(slice, f);
        kept.present[f] = {};
        hist_.Build(slice, f, begin, end, &kept.present[f]);
        kept.valid[f] = 1;
      }
      h = slice;
      present = kept.present[f];
      AscendingValues(present);
      if (fb.categorical) OrderCategories(h);
    } else {
      h = hist_.scratch();
      present = {};
      // A node with more samples than bins fills most of them: walk the bins afterwards
      // rather than mark each sample's.
      if (end - begin < static_cast<uint32_t>(fb.num_bins)) {
        hist_.Build(hist_.scratch(), f, begin, end, &present);
      } else {
        hist_.Build(hist_.scratch(), f, begin, end, nullptr);
        for (int b = 0; b < fb.num_bins; ++b) {
          if (hist_.Size(h, static_cast<size_t>(b)) > 0)
            BinSetAdd(present, static_cast<uint32_t>(b));
        }
        if (hist_.Size(h, kMissingBin) > 0) BinSetAdd(present, kMissingBin);
      }
      AscendingValues(present);
      if (fb.categorical) OrderCategories(h);
    }
    const bool has_missing = hist_.Size(h, kMissingBin) > 0;
    bool splittable = values_.size() + (has_missing ? 1 : 0) >= 2;
    if (splittable) {
      double n = use_counts_ ? end - begin : total_weight_;
      ScanSplits(h, f, fb.categorical, n, has_missing, best);
    }
    if (block < 0 || consume) {
      // Zeroed through the list of its bins, cheaper than a second walk of the bitmap.
      for (uint8_t bin : values_) hist_.Clear(h, bin);
      hist_.Clear(h, kMissingBin);
      if (block >= 0) hist_.block(block).valid[f] = 0;
    }
    return splittable;
  }

  // values_ = the value bins of `present` (the missing bin left out), ascending.
  void AscendingValues(BinSet present) {
    present[kMissingBin >> 6] &= ~(uint64_t{1} << (kMissingBin & 63));
    ForEachBin(present, [&](size_t bin) { values_.push_back(static_cast<uint8_t>(bin)); });
  }

  // Orders category bins by their mean label (regression), the share of class 1 (binary) or
  // of the node's majority class (multiclass): the best prefix split in this order is the best
  // subset split for regression and binary classification.
  void OrderCategories(const Rec* h) {
    size_t k = 0;
    if (!kRegression) {
      k = in_.num_classes == 2
              ? 1
              : static_cast<size_t>(std::max_element(total_stat_.begin(), total_stat_.end()) -
                                    total_stat_.begin());
    }
    // Sort one integer per bin: the score's order key, the bin below it to break ties.
    const size_t m = values_.size();
    for (size_t i = 0; i < m; ++i) {
      uint8_t b = values_[i];
      order_keys_[i] = MeanOrderKey(hist_.Stat(h, b, k) / hist_.Weight(h, b), b);
    }
    std::sort(order_keys_, order_keys_ + m);
    for (size_t i = 0; i < m; ++i) values_[i] = static_cast<uint8_t>(order_keys_[i] & 0xff);
  }

  void ScanSplits(const Rec* h, uint32_t f, bool categorical, double n, bool has_missing,
                  SplitChoice& best) {
    if constexpr (kRegression) return ScanRegression(h, f, categorical, n, has_missing, best);
    const size_t m = values_.size();
    const double min_leaf = params_.min_samples_leaf;
    const double missing_count = hist_.Size(h, kMissingBin),
                 missing_weight = hist_.Weight(h, kMissingBin);
    std::fill(left_stat_.begin(), left_stat_.end(), 0.0);
    double left_count = 0, left_weight = 0;
    for (size_t p = 0; p < m; ++p) {
      const uint8_t b = values_[p];
      left_count += hist_.Size(h, b);
      left_weight += hist_.Weight(h, b);
      for (size_t k = 0; k < hist_.Stats(); ++k) left_stat_[k] += hist_.Stat(h, b, k);
      const bool last = p + 1 == m;
      // Missing values to the right; at the last bin that leaves only them on the right.
      if ((!last || has_missing) && left_count >= min_leaf && n - left_count >= min_leaf) {
        double score =
            Proxy(left_stat_.data(), left_weight) + RightProxy(left_stat_.data(), left_weight);
        Consider(score, f, categorical, has_missing, false, p, left_weight, best);
      }
      // Missing values to the left.
      if (has_missing && !last) {
        double with_missing = left_count + missing_count;
        if (with_missing >= min_leaf && n - with_missing >= min_leaf) {
          for (size_t k = 0; k < hist_.Stats(); ++k) {
            missing_left_stat_[k] = left_stat_[k] + hist_.Stat(h, kMissingBin, k);
          }
          double w = left_weight + missing_weight;
          double score =
              Proxy(missing_left_stat_.data(), w) + RightProxy(missing_left_stat_.data(), w);
          Consider(score, f, categorical, has_missing, true, p, w, best);
        }
      }
    }
  }

  // Regression, kept tight: no function calls per candidate, and no checks for empty sides
  // (every value bin and the missing bin are non-empty, so both sides always have weight).
  void ScanRegression(const Rec* h, uint32_t f, bool categorical, double n, bool has_missing,
                      SplitChoice& best) {
    auto bin = [this, h](size_t p) -> const RegressionBin& { return h[values_[p]]; };
    ScanRegression(bin, h[kMissingBin], f, categorical, n, has_missing, best);
  }

  // `bin(p)` is the record of values_[p]; `missing` that of the missing values.
  template <typename BinAt>
  void ScanRegression(BinAt bin, const RegressionBin& missing, uint32_t f, bool categorical,
                      double n, bool has_missing, SplitChoice& best) {
    if (use_counts_) {
      has_missing ? ScanRegression<true, true>(bin, missing, f, categorical, n, best)
                  : ScanRegression<true, false>(bin, missing, f, categorical, n, best);
    } else {
      has_missing ? ScanRegression<false, true>(bin, missing, f, categorical, n, best)
                  : ScanRegression<false, false>(bin, missing, f, categorical, n, best);
    }
  }

  template <bool kCounts, bool kMissing, typename BinAt>
  void ScanRegression(BinAt bin, const RegressionBin& missing, uint32_t f, bool categorical,
                      double n, SplitChoice& best) {
    const size_t m = values_.size();
    const double min_leaf = params_.min_samples_leaf;
    const double total_sum = total_stat_[0], total_weight = total_weight_;
    // Whether a left side of sum s and weight w beats `record`, and if so records its score:
    // s^2/w + r^2/(W-w) > record, multiplied out (both weights are positive) to spare two
    // divisions per candidate.
    auto beats = [&](double s, double w, double& record) {
      double right = total_sum - s, right_weight = total_weight - w;
      double den = w * right_weight;
      double num = s * s * right_weight + right * right * w;
      if (!(num > record * den)) return false;
      record = num / den;
      return true;
    };
    double count = 0, weight = 0, sum = 0;
    double best_score = best.score, best_weight = 0;
    size_t best_p = m;
    bool best_missing_left = false;
    // Without missing values the last bin cannot end a left side.
    const size_t candidates = kMissing ? m : m - 1;
    for (size_t p = 0; p < candidates; ++p) {
      const RegressionBin& r = bin(p);
      weight += r.weight;
      sum += r.sum;
      if constexpr (kCounts) count += r.count;
      if (!kCounts || (count >= min_leaf && n - count >= min_leaf)) {
        if (beats(sum, weight, best_score)) {
          best_p = p;
          best_weight = weight;
          best_missing_left = false;
        }
      }
      if constexpr (kMissing) {
        if (p + 1 == m) break;
        double c = count + missing.count;
        if (!kCounts || (c >= min_leaf && n - c >= min_leaf)) {
          double w = weight + missing.weight;
          if (beats(sum + missing.sum, w, best_score)) {
            best_p = p;
            best_weight = w;
            best_missing_left = true;
          }
        }
      }
    }
    if (best_p < m) {
      Consider(best_score, f, categorical, kMissing, best_missing_left, best_p, best_weight, best);
    }
  }

  // FindSplit for a regression node of at most kSmallNode samples: EvaluateSmall on each
  // feature, stopping at the first split as good as any partition of the samples could be.
  // Most nodes are this small, and most of them stop after a feature or two.
  SplitChoice FindSmallSplit(uint32_t begin, uint32_t end, size_t& known_constants) {
    double attainable = std::numeric_limits<double>::infinity();  // two samples stop anyway
    if constexpr (kRegression) {
      for (uint32_t i = begin; i < end; ++i) {
        const Sample& s = samples_[i];
        small_rows_[i - begin] = in_.x.row(s.row);
        small_[i - begin] = {1, s.w, s.wy};
      }
      if (end - begin > 2) {
        attainable = AttainableScore(std::span(samples_).subspan(begin, end - begin),
                                     total_stat_[0], total_weight_);
      }
    }
    return FindSplit(
        begin, end, known_constants, -1,
        [&](uint32_t f, SplitChoice& best) { return EvaluateSmall(f, begin, end, best); },
        attainable);
  }

  // EvaluateFeature for a node of at most kSmallNode samples (see FindSmallSplit), without
  // histograms: GroupByBin yields the records a histogram would hold, summed in the same
  // order, so the split found is the same.
  bool EvaluateSmall(uint32_t f, uint32_t begin, uint32_t end, SplitChoice& best) {
    const auto n = static_cast<uint32_t>(end - begin);
    size_t m = GroupByBin(small_rows_, small_, n, f, values_.begin(), groups_);
    values_.resize(m);
    RegressionBin missing{};
    const bool has_missing = values_[m - 1] == kMissingBin;
    if (has_missing) {
      missing = groups_[--m];
      values_.pop_back();
    }
    if (m + (has_missing ? 1 : 0) < 2) return false;
    const FeatureBins& fb = in_.x.features[f];
    if (fb.categorical) OrderByMean(m, values_.begin(), groups_);
    double size = use_counts_ ? n : total_weight_;
    auto group = [this](size_t p) -> const RegressionBin& { return groups_[p]; };
    ScanRegression(group, missing, f, fb.categorical, size, has_missing, best);
    return true;
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
    const uint8_t* col = in_.x.column(split.feature).data();
    if (split.categorical) {
      BinSet left_set = split.left_bins;
      if (split.missing_left) BinSetAdd(left_set, kMissingBin);
      return PartitionBy(col, begin, end, [&](uint8_t bin) { return BinSetHas(left_set, bin); });
    }
    const uint8_t last = split.split_bin;
    if (split.missing_left) {
      return PartitionBy(col, begin, end,
                         [last](uint8_t bin) { return bin <= last || bin == kMissingBin; });
    }
    return PartitionBy(col, begin, end, [last](uint8_t bin) { return bin <= last; });
  }

  template <typename GoesLeft>
  uint32_t PartitionBy(const uint8_t* col, uint32_t begin, uint32_t end, GoesLeft goes_left) {
    // Each sample is written to both places and only one cursor moves: which side a sample
    // goes to is as good as random, so a branch on it would be mispredicted half the time.
    uint32_t left = begin;
    size_t right = 0;
    for (uint32_t i = begin; i < end; ++i) {
      const Sample s = samples_[i];
      const bool to_left = goes_left(col[s.row]);
      samples_[left] = s;
      partition_scratch_[right] = s;
      left += to_left;
      right += !to_left;
    }
    std::copy_n(partition_scratch_.begin(), right, samples_.begin() + left);
    return left;
  }

  void WriteSplit(uint32_t node, uint32_t left, const SplitChoice& split) {
    const FeatureBins& fb = in_.x.features[split.feature];
    // Values never seen here at training time follow the missing values, or else the
    // heavier child.
    bool default_left =
        split.has_missing ? split.missing_left : split.left_weight >= split.right_weight;
    GrowNode& n = grown_[node];
    n.left = left;
    n.bits = split.feature | (default_left ? uint32_t{Node::kDefaultLeft} : 0u);
    if (split.categorical) {
      BinSet set = split.left_bins;
      if (default_left) {
        // Every value bin (0..num_bins-1) not seen here goes left too, a word at a time.
        for (size_t w = 0; w < set.size(); ++w) {
          const int below = std::clamp(fb.num_bins - static_cast<int>(w * 64), 0, 64);
          const uint64_t bins = below == 64 ? ~uint64_t{0} : (uint64_t{1} << below) - 1;
          set[w] |= bins & ~split.present_bins[w];
        }
      }
      n.bits |= Node::kCategorical;
      n.threshold = std::bit_cast<float>(static_cast<uint32_t>(tree_.category_sets.size()));
      tree_.category_sets.push_back(set);
    } else {
      n.threshold = split.split_bin < fb.thresholds.size() ? fb.thresholds[split.split_bin]
                                                           : std::numeric_limits<float>::infinity();
    }
  }

  // Turns `node` into a leaf holding the totals last computed (those of this node).
  void MakeLeaf(uint32_t node) {
    GrowNode& n = grown_[node];
    n.leaf = true;
    if constexpr (kRegression) {
      n.value = std::bit_cast<LeafValue>(static_cast<float>(total_stat_[0] / total_weight_));
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
      n.value = kPureClass | only;
      return;
    }
    n.value = static_cast<LeafValue>(tree_.distributions.size());
    for (double w : total_stat_) {
      tree_.distributions.push_back(static_cast<float>(w / total_weight_));
    }
  }

  const TreeInput& in_;
  const TreeParams& params_;
  core::Rng rng_;
  std::vector<double>& importance_;
  const bool use_counts_;  // min_samples_leaf > 1: keep distinct-sample counts per bin
  const size_t stats_;     // label statistics per bin
  const size_t num_features_;

  Tree tree_;
  std::vector<GrowNode> grown_;
  std::vector<Sample> samples_;
  std::vector<Sample> partition_scratch_;
  std::vector<uint32_t> features_;
  std::vector<uint32_t> constant_features_;

  Hist hist_;
  int node_block_ = -1;  // all zeros between nodes; see FusedBuild
  std::vector<uint32_t> fused_features_;
  BinList values_;
  uint64_t order_keys_[kBins] = {};
  // The node of FindSmallSplit: its samples' rows of bins and records, and their groups.
  const uint8_t* small_rows_[kSmallNode] = {};
  RegressionBin small_[kSmallNode] = {};
  RegressionBin groups_[kSmallNode] = {};

  std::vector<double> left_stat_;
  std::vector<double> missing_left_stat_;
  std::vector<double> total_stat_;
  double total_weight_ = 0;
};

}  // namespace

Tree BuildTree(const TreeInput& input, const TreeParams& params, core::Rng rng,
               std::vector<double>& importance) {
  if (input.num_classes == 0) return Builder<true>(input, params, rng, importance).Build();
  return Builder<false>(input, params, rng, importance).Build();
}

}  // namespace hone::learn::forest
