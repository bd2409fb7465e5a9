#include "hone/monitor/window.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json.hpp>

namespace hone::monitor {
namespace {

// Counter stripes: request threads are spread over them so that concurrent increments rarely
// touch the same cache line. Take sums them.
constexpr size_t kStripes = 8;
constexpr size_t kSlotsPerLine = 8;

size_t ThisThreadStripe() {
  static std::atomic<size_t> next{0};
  thread_local const size_t stripe = next.fetch_add(1, std::memory_order_relaxed) % kStripes;
  return stripe;
}

const core::ColumnProfile* FindProfile(const core::DataProfile& profile, std::string_view name) {
  for (const core::ColumnProfile& c : profile.columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

// Why a numeric reference column has no usable histogram, or "" when it has one.
std::string HistogramProblem(const core::ColumnProfile& ref) {
  const core::NumericProfile& n = ref.numeric;
  if (n.counts.empty()) return n.edges.empty() ? "" : "histogram edges without counts";
  if (n.counts.size() != n.edges.size() + 1) return "histogram counts do not match its edges";
  for (size_t i = 0; i < n.edges.size(); ++i) {
    if (std::isnan(n.edges[i]) || (i > 0 && !(n.edges[i - 1] < n.edges[i]))) {
      return "histogram edges not ascending";
    }
  }
  return "";
}

// The first edge >= v (bin i holds edges[i-1] < v <= edges[i]), without branches on the data:
// the per-value cost of the batch path.
uint32_t LowerBound(const std::vector<double>& edges, double v) {
  const double* base = edges.data();
  size_t n = edges.size();
  if (n == 0) return 0;
  while (n > 1) {
    const size_t half = n / 2;
    base = base[half] < v ? base + half : base;
    n -= half;
  }
  return static_cast<uint32_t>(base - edges.data()) + (*base < v ? 1 : 0);
}

// The largest float <= e: for a float v, v > e exactly when v > FloatBelow(e), so the batch
// path compares floats, four or eight to an instruction.
float FloatBelow(double e) {
  float f = static_cast<float>(e);
  if (static_cast<double>(f) > e) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
  return f;
}

// Adds the histogram of `values` to counts[0..edges.size()] and their NaNs to
// counts[edges.size() + 1]. Bin i holds the values above edge i-1 minus those above edge i, so
// each edge costs one pass of comparisons the compiler vectorises, over blocks that stay in L1.
void CountNumeric(std::span<const float> values, const std::vector<float>& edges,
                  uint64_t* counts) {
  constexpr size_t kBlock = 4096;
  for (size_t start = 0; start < values.size(); start += kBlock) {
    const float* v = values.data() + start;
    const size_t n = std::min(kBlock, values.size() - start);
    uint32_t present = 0;
    for (size_t i = 0; i < n; ++i) present += v[i] == v[i] ? 1 : 0;
    uint32_t above_previous = present;
    for (size_t e = 0; e < edges.size(); ++e) {
      const float edge = edges[e];
      uint32_t above = 0;
      for (size_t i = 0; i < n; ++i) above += v[i] > edge ? 1 : 0;
      counts[e] += above_previous - above;
      above_previous = above;
    }
    counts[edges.size()] += above_previous;
    counts[edges.size() + 1] += n - present;
  }
}

// Whole number in [0, size), as a size_t.
std::optional<size_t> IndexOf(float v, size_t size) {
  const double d = v;
  if (!(d >= 0 && d < static_cast<double>(size)) || d != std::floor(d)) return std::nullopt;
  return static_cast<size_t>(d);
}

}  // namespace

uint64_t ColumnCounts::total() const {
  uint64_t sum = missing;
  for (uint64_t b : bins) sum += b;
  return sum;
}

WindowAccumulator::WindowAccumulator(std::vector<MonitoredColumn> features,
                                     const core::DataProfile& reference,
                                     std::optional<MonitoredPrediction> prediction)
    : features_(std::move(features)) {
  size_t next_slot = 1;  // slot 0 counts rows
  auto place = [&next_slot](Binning& b) {
    b.offset = static_cast<uint32_t>(next_slot);
    next_slot += b.num_bins + 1;
  };
  // A numeric binning on `ref`'s histogram (one bin when the reference has no values).
  auto numeric = [](const core::ColumnProfile& ref, Binning& b) {
    b.type = core::ColumnType::kNumeric;
    b.edges = ref.numeric.counts.empty() ? std::vector<double>{} : ref.numeric.edges;
    for (double e : b.edges) b.float_edges.push_back(FloatBelow(e));
    b.num_bins = static_cast<uint32_t>(b.edges.size() + 1);
    b.other_bin = b.num_bins;
  };
  // A by-code binning onto `ref`'s top categories + other, for the texts `codes`.
  auto categorical = [](const core::ColumnProfile& ref, const std::vector<std::string>& codes,
                        Binning& b) {
    b.type = core::ColumnType::kCategorical;
    b.by_code = true;
    std::unordered_map<std::string_view, uint32_t> top_bin;
    for (size_t i = 0; i < ref.categorical.top.size(); ++i) {
      top_bin.emplace(ref.categorical.top[i].first, static_cast<uint32_t>(i));  // first wins
    }
    b.num_bins = static_cast<uint32_t>(ref.categorical.top.size() + 1);
    b.other_bin = b.num_bins - 1;
    for (const std::string& text : codes) {
      auto it = top_bin.find(text);
      b.code_bin.push_back(it == top_bin.end() ? b.other_bin : it->second);
    }
  };

  for (size_t j = 0; j < features_.size(); ++j) {
    const MonitoredColumn& f = features_[j];
    const core::ColumnProfile* ref = FindProfile(reference, f.name);
    std::string reason;
    if (ref == nullptr) {
      reason = "not in the reference profile";
    } else if (ref->type != f.type) {
      reason = std::string(core::ColumnTypeName(ref->type)) + " in the reference profile, " +
               core::ColumnTypeName(f.type) + " in the model";
    } else if (ref->count + ref->missing == 0) {
      reason = "no rows in the reference profile";
    } else if (f.type == core::ColumnType::kNumeric) {
      reason = HistogramProblem(*ref);
    }
    if (!reason.empty()) {
      skipped_.push_back({f.name, reason});
      continue;
    }
    Binning b;
    b.name = f.name;
    b.feature = j;
    if (f.type == core::ColumnType::kNumeric) {
      numeric(*ref, b);
    } else {
      categorical(*ref, f.categories, b);
    }
    place(b);
    binnings_.push_back(std::move(b));
  }

  if (!prediction) {
    prediction_skipped_ = "predictions not monitored";
  } else if (const core::ColumnProfile* ref = FindProfile(reference, prediction->column);
             ref == nullptr) {
    prediction_skipped_ = "target '" + prediction->column + "' not in the reference profile";
  } else if (ref->count + ref->missing == 0) {
    prediction_skipped_ = "target '" + prediction->column + "' has no rows in the profile";
  } else if (ref->type == core::ColumnType::kNumeric && !HistogramProblem(*ref).empty()) {
    prediction_skipped_ = "target '" + prediction->column + "': " + HistogramProblem(*ref);
  } else {
    Binning b;
    b.name = prediction->column;
    if (ref->type == core::ColumnType::kCategorical) {
      if (prediction->classes.empty()) {
        prediction_skipped_ =
            "regression predictions, but target '" + b.name + "' is categorical in the profile";
      } else {
        categorical(*ref, prediction->classes, b);
      }
    } else {
      numeric(*ref, b);
      // Classes of a numeric target (0/1 labels): each class index goes to its number's bin.
      for (const std::string& label : prediction->classes) {
        char* end = nullptr;
        const double number = std::strtod(label.c_str(), &end);
        if (label.empty() || end != label.c_str() + label.size() || std::isnan(number)) {
          prediction_skipped_ = "class label '" + label + "' is not a number, but target '" +
                                b.name + "' is numeric in the profile";
          break;
        }
        b.code_bin.push_back(LowerBound(b.edges, number));
      }
      b.by_code = !prediction->classes.empty();
    }
    if (!prediction_skipped_) {
      place(b);
      prediction_ = std::move(b);
    }
  }

  stripe_slots_ = (next_slot + kSlotsPerLine - 1) / kSlotsPerLine * kSlotsPerLine;
  // Value-initialised: every counter starts at 0.
  lines_ = std::make_unique<Line[]>(kStripes * stripe_slots_ / kSlotsPerLine);
}

WindowAccumulator::~WindowAccumulator() = default;

uint32_t WindowAccumulator::BinOf(const Binning& b, float v) {
  if (std::isnan(v)) return b.num_bins;
  if (!b.by_code) return LowerBound(b.edges, v);
  const std::optional<size_t> index = IndexOf(v, b.code_bin.size());
  return index ? b.code_bin[*index] : b.other_bin;
}

void WindowAccumulator::AddRow(std::span<const float> row) {
  HONE_CHECK(row.size() == features_.size());
  const size_t stripe = ThisThreadStripe();
  Counter(stripe, 0).fetch_add(1, std::memory_order_relaxed);
  for (const Binning& b : binnings_) {
    Counter(stripe, b.offset + BinOf(b, row[b.feature])).fetch_add(1, std::memory_order_relaxed);
  }
}

void WindowAccumulator::AddPrediction(float value_or_class_index) {
  if (!prediction_) return;
  const uint32_t bin = BinOf(*prediction_, value_or_class_index);
  Counter(ThisThreadStripe(), prediction_->offset + bin).fetch_add(1, std::memory_order_relaxed);
}

void WindowAccumulator::AddLocal(const Binning& b, std::span<const float> values,
                                 std::vector<uint64_t>& local) {
  uint64_t* counts = local.data() + b.offset;
  if (!b.by_code) {
    CountNumeric(values, b.float_edges, counts);
  } else {
    for (float v : values) ++counts[BinOf(b, v)];
  }
}

void WindowAccumulator::Flush(size_t stripe, const std::vector<uint64_t>& local) {
  for (size_t slot = 0; slot < local.size(); ++slot) {
    if (local[slot] != 0) Counter(stripe, slot).fetch_add(local[slot], std::memory_order_relaxed);
  }
}

void WindowAccumulator::AddBatch(std::span<const std::span<const float>> columns) {
  HONE_CHECK(columns.size() == features_.size());
  const size_t rows = columns.empty() ? 0 : columns[0].size();
  for (std::span<const float> c : columns) HONE_CHECK(c.size() == rows);
  std::vector<uint64_t> local(stripe_slots_, 0);
  local[0] = rows;
  for (const Binning& b : binnings_) AddLocal(b, columns[b.feature], local);
  Flush(ThisThreadStripe(), local);
}

void WindowAccumulator::AddPredictions(std::span<const float> predictions) {
  if (!prediction_) return;
  std::vector<uint64_t> local(stripe_slots_, 0);
  AddLocal(*prediction_, predictions, local);
  Flush(ThisThreadStripe(), local);
}

ColumnCounts WindowAccumulator::Collect(const Binning& b,
                                        const std::vector<uint64_t>& totals) const {
  ColumnCounts c;
  c.name = b.name;
  c.type = b.type;
  c.bins.assign(totals.begin() + b.offset, totals.begin() + b.offset + b.num_bins);
  c.missing = totals[b.offset + b.num_bins];
  return c;
}

WindowSummary WindowAccumulator::Take() {
  std::vector<uint64_t> totals(stripe_slots_, 0);
  for (size_t stripe = 0; stripe < kStripes; ++stripe) {
    for (size_t slot = 0; slot < stripe_slots_; ++slot) {
      totals[slot] += Counter(stripe, slot).exchange(0, std::memory_order_relaxed);
    }
  }
  WindowSummary summary;
  summary.rows = totals[0];
  for (const Binning& b : binnings_) summary.columns.push_back(Collect(b, totals));
  if (prediction_) summary.prediction = Collect(*prediction_, totals);
  return summary;
}

}  // namespace hone::monitor
