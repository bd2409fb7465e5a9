// Per-bin label statistics for the tree builder: the records, the sample list they are built
// from, and the blocks of per-feature histograms a node keeps so that its children can be
// built by subtraction. Internal to forest/; header-only because it sits in the hottest loops.
#ifndef HONE_LEARN_FOREST_HISTOGRAMS_H_
#define HONE_LEARN_FOREST_HISTOGRAMS_H_

#include <algorithm>
#include <bit>
#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "hone/learn/forest/binning.h"
#include "hone/learn/forest/tree.h"

namespace hone::learn::forest {

inline constexpr size_t kBins = 256;  // value bins 0..254 and kMissingBin
// Nodes with at least this many samples keep per-feature histograms so that their children
// need only build the smaller child's and subtract (below it, building directly is cheaper).
inline constexpr uint32_t kKeepHistogramsFrom = 128;
// Histograms are not kept when one node's would exceed this.
inline constexpr size_t kMaxHistogramBlockBytes = size_t{8} << 20;

// A row in a node's sample list, with its bootstrap weight and label kept beside it so that
// histogram building reads them sequentially. Weights are bootstrap counts: whole numbers, so
// weight sums are exact integers.
struct RegressionSample {
  uint32_t row;
  uint32_t w;
  double wy;  // w * label: exact in double (a 24-bit float times a count below 2^29)
};
struct ClassSample {
  uint32_t row;
  uint32_t w;
  uint32_t label;
};

// Histogram record of one bin for regression: one cache line holds all a sample updates.
// Classification records are uint32 runs: [count, weight, weight of class 0..K-1].
struct RegressionBin {
  uint32_t count;  // distinct samples
  uint32_t weight;
  double sum;  // sum of weight * label
};

// Calls fn(bin) for every bin in `set`, in ascending order.
template <typename Fn>
void ForEachBin(const BinSet& set, Fn fn) {
  for (size_t w = 0; w < set.size(); ++w) {
    for (uint64_t bits = set[w]; bits != 0; bits &= bits - 1) {
      fn(w * 64 + static_cast<size_t>(std::countr_zero(bits)));
    }
  }
}

// The histograms one tree's builder works with. kRegression fixes the record layout at
// compile time: {count, weight, sum of w*y} per bin, or {count, weight, weight per class}.
// Not thread-safe: one per tree being built.
template <bool kRegression>
class Histograms {
 public:
  using Rec = std::conditional_t<kRegression, RegressionBin, uint32_t>;
  using Sample = std::conditional_t<kRegression, RegressionSample, ClassSample>;

  // A kept block: one 256-bin histogram per feature, valid where marked, with the bins in use.
  struct Block {
    std::vector<Rec> data;
    std::vector<uint8_t> valid;
    std::vector<BinSet> present;  // missing bin included
  };

  // `use_counts`: keep distinct-sample counts per bin (min_samples_leaf > 1).
  Histograms(const BinnedMatrix& x, const std::vector<Sample>& samples, size_t num_classes,
             bool use_counts)
      : x_(x),
        samples_(samples),
        stats_(kRegression ? 1 : num_classes),
        use_counts_(use_counts),
        num_features_(x.features.size()),
        scratch_(kBins * RecsPerBin()),
        keep_(num_features_ * kBins * RecsPerBin() * sizeof(Rec) <= kMaxHistogramBlockBytes) {}

  // ---- Records ----
  size_t RecsPerBin() const {
    if constexpr (kRegression) {
      return 1;
    } else {
      return stats_ + 2;
    }
  }
  size_t Stats() const { return kRegression ? 1 : stats_; }
  const Rec* At(const Rec* h, size_t bin) const { return h + bin * RecsPerBin(); }
  Rec* At(Rec* h, size_t bin) const { return h + bin * RecsPerBin(); }
  // A bin's size for min_samples_leaf: its distinct samples, or, when every leaf may hold a
  // single sample, its weight (non-zero exactly when the bin is), which saves a count update
  // per sample.
  double Size(const Rec* h, size_t bin) const {
    if constexpr (kRegression) {
      return use_counts_ ? h[bin].count : h[bin].weight;
    } else {
      return At(h, bin)[use_counts_ ? 0 : 1];
    }
  }
  double Weight(const Rec* h, size_t bin) const {
    if constexpr (kRegression) {
      return h[bin].weight;
    } else {
      return At(h, bin)[1];
    }
  }
  double Stat(const Rec* h, size_t bin, size_t k) const {
    if constexpr (kRegression) {
      return h[bin].sum;
    } else {
      return At(h, bin)[2 + k];
    }
  }
  void Add(Rec* h, uint8_t bin, const Sample& s) const {
    if constexpr (kRegression) {
      RegressionBin& r = h[bin];
      r.weight += s.w;
      r.sum += s.wy;
      if (use_counts_) ++r.count;
    } else {
      uint32_t* r = At(h, bin);
      r[1] += s.w;
      r[2 + s.label] += s.w;
      if (use_counts_) ++r[0];
    }
  }
  void Clear(Rec* h, size_t bin) const {
    Rec* r = At(h, bin);
    for (size_t i = 0; i < RecsPerBin(); ++i) r[i] = Rec{};  // a loop, not a memset call
  }
  // Zeroes the bins feature f can use: value bins 0..num_bins-1 and the missing bin.
  void ClearSlice(Rec* h, uint32_t f) const {
    const auto num_bins = static_cast<size_t>(x_.features[f].num_bins);
    std::fill_n(h, num_bins * RecsPerBin(), Rec{});
    Clear(h, kMissingBin);
  }

  // A histogram for one feature evaluated without a block; all zero between uses.
  Rec* scratch() { return scratch_.data(); }

  // Builds the histogram of samples[begin, end) for feature f into h (all zero on entry).
  // With `present`, also marks the bins used: unconditionally, since a test for "first in
  // its bin" is a branch the processor cannot predict.
  void Build(Rec* h, uint32_t f, uint32_t begin, uint32_t end, BinSet* present) const {
    const uint8_t* col = x_.column(f).data();
    if (present == nullptr) {
      for (uint32_t i = begin; i < end; ++i) Add(h, col[samples_[i].row], samples_[i]);
      return;
    }
    for (uint32_t i = begin; i < end; ++i) {
      uint8_t bin = col[samples_[i].row];
      Add(h, bin, samples_[i]);
      BinSetAdd(*present, bin);
    }
  }

  // ---- Kept blocks ----
  Block& block(int id) { return blocks_[static_cast<size_t>(id)]; }
  Rec* Slice(int id, uint32_t f) { return block(id).data.data() + f * kBins * RecsPerBin(); }

  // A block, or -1 when blocks would be too large. Its slices hold whatever they last held;
  // none is valid.
  int Acquire() {
    if (!keep_) return -1;
    int id;
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
    } else {
      id = static_cast<int>(blocks_.size());
      blocks_.push_back({std::vector<Rec>(num_features_ * kBins * RecsPerBin()),
                         std::vector<uint8_t>(num_features_), std::vector<BinSet>(num_features_)});
    }
    std::fill(block(id).valid.begin(), block(id).valid.end(), 0);
    return id;
  }
  void Release(int id) {
    if (id >= 0) free_.push_back(id);
  }

  // Builds the histograms of `features` for samples[begin, end) into block `id`, all in one
  // pass over the rows (row-major bins). With `zeroed`, the slices are known to be all zero;
  // otherwise they are cleared first.
  void BuildAll(int id, std::span<const uint32_t> features, uint32_t begin, uint32_t end,
                bool zeroed) {
    Block& b = block(id);
    const size_t nf = features.size();
    slices_.resize(nf);
    present_.resize(nf);
    for (size_t k = 0; k < nf; ++k) {
      uint32_t f = features[k];
      slices_[k] = Slice(id, f);
      if (!zeroed) ClearSlice(slices_[k], f);
      b.present[f] = {};
      present_[k] = &b.present[f];
      b.valid[f] = 1;
    }
    for (uint32_t i = begin; i < end; ++i) {
      const Sample& s = samples_[i];
      const uint8_t* bins = x_.row(s.row);
      for (size_t k = 0; k < nf; ++k) {
        uint8_t bin = bins[features[k]];
        Add(slices_[k], bin, s);
        BinSetAdd(*present_[k], bin);
      }
    }
  }

  // Returns the slices of `features` in block `id` that are still valid to all zeros,
  // clearing only the bins in use, and marks them not valid.
  void ClearBuilt(int id, std::span<const uint32_t> features) {
    Block& b = block(id);
    for (uint32_t f : features) {
      if (!b.valid[f]) continue;
      Rec* h = Slice(id, f);
      ForEachBin(b.present[f], [&](size_t bin) { Clear(h, bin); });
      b.valid[f] = 0;
    }
  }

  // The children's blocks from the parent's (which holds samples[begin, end)): the smaller
  // child's built, the larger child's by subtraction in place of the parent's. Returns
  // {left, right}; both -1 when the parent is too small for kept blocks to pay.
  std::pair<int, int> Children(int parent, uint32_t begin, uint32_t mid, uint32_t end) {
    if (parent < 0) return {-1, -1};
    if (end - begin < kKeepHistogramsFrom) {
      Release(parent);
      return {-1, -1};
    }
    bool left_smaller = mid - begin <= end - mid;
    int small = Acquire();  // feeds the subtraction, whatever the child's size
    Block& pb = block(parent);
    kept_.clear();
    for (uint32_t f = 0; f < num_features_; ++f) {
      if (pb.valid[f]) kept_.push_back(f);
    }
    BuildAll(small, kept_, left_smaller ? begin : mid, left_smaller ? mid : end,
             /*zeroed=*/false);
    // The larger child: parent minus smaller, over the bins the parent used.
    for (uint32_t f : kept_) {
      Rec* large_h = Slice(parent, f);
      const Rec* small_h = Slice(small, f);
      BinSet& present = pb.present[f];
      ForEachBin(BinSet(present), [&](size_t bin) {
        if constexpr (kRegression) {
          large_h[bin].weight -= small_h[bin].weight;
          large_h[bin].sum -= small_h[bin].sum;
          if (use_counts_) large_h[bin].count -= small_h[bin].count;
        } else {
          for (size_t i = 0; i < RecsPerBin(); ++i) At(large_h, bin)[i] -= At(small_h, bin)[i];
        }
        if (Size(large_h, bin) == 0) present[bin >> 6] &= ~(uint64_t{1} << (bin & 63));
      });
    }
    return left_smaller ? std::pair{small, parent} : std::pair{parent, small};
  }

 private:
  const BinnedMatrix& x_;
  const std::vector<Sample>& samples_;
  const size_t stats_;
  const bool use_counts_;
  const size_t num_features_;
  std::vector<Rec> scratch_;
  const bool keep_;
  std::vector<Block> blocks_;
  std::vector<int> free_;
  std::vector<uint32_t> kept_;
  std::vector<Rec*> slices_;
  std::vector<BinSet*> present_;
};

}  // namespace hone::learn::forest

#endif  // HONE_LEARN_FOREST_HISTOGRAMS_H_
