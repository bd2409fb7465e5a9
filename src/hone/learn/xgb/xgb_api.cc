#include "hone/learn/xgb/xgb_api.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>

#include <xgboost/c_api.h>

#include "hone/learn/xgb/model_check.h"

namespace hone::learn::xgb {
namespace {

// XGBoost's last error reads "[17:25:48] ./src/learner.cc:1017: Check failed: ...\nStack
// trace:\n  [bt] ...". Users get the message alone.
std::string CleanMessage(std::string text) {
  if (size_t trace = text.find("Stack trace:"); trace != std::string::npos) text.resize(trace);
  std::string_view v = text;
  if (v.starts_with('[')) {
    if (size_t end = v.find("] "); end != std::string_view::npos) v.remove_prefix(end + 2);
  }
  // A source position "path/file.cc:123: " comes next.
  if (size_t colon = v.find(": "); colon != std::string_view::npos) {
    std::string_view where = v.substr(0, colon);
    size_t digits = where.find_last_of(':');
    bool position = digits != std::string_view::npos && digits + 1 < where.size() &&
                    where.find(' ') == std::string_view::npos;
    for (size_t i = digits + 1; position && i < where.size(); ++i) {
      position = std::isdigit(static_cast<unsigned char>(where[i])) != 0;
    }
    if (position) v.remove_prefix(colon + 2);
  }
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.remove_suffix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  return v.empty() ? "unknown error" : std::string(v);
}

Result<void> Check(int rc, std::string_view what, ErrorCode code = ErrorCode::kInternal) {
  if (rc == 0) return {};
  return Fail(code,
              "xgboost: " + std::string(what) + " failed: " + CleanMessage(XGBGetLastError()));
}

// XGBoost 1.7 keeps its global configuration (verbosity among it) per thread, and a booster's
// "verbosity" parameter reaches only the thread that configures it. Every thread that calls
// XGBoost silences it first, so nothing is printed from serving threads either.
void QuietThisThread() {
  thread_local bool quiet = false;
  if (!quiet) {
    // Cannot fail for this fixed, valid document; a failure would only leave warnings on.
    XGBSetGlobalConfig(R"({"verbosity": 0})");
    quiet = true;
  }
}

std::string JoinNumbers(std::initializer_list<size_t> values) {
  std::string out;
  for (size_t v : values) out += (out.empty() ? "" : ", ") + std::to_string(v);
  return out;
}

// The JSON __array_interface__ XGBoost reads: a pointer, a shape, strides in bytes.
std::string ArrayInterface(const void* data, std::string_view typestr,
                           std::initializer_list<size_t> shape,
                           std::initializer_list<size_t> byte_strides = {}) {
  std::string out = "{\"data\": [" + std::to_string(reinterpret_cast<uintptr_t>(data)) +
                    ", true], \"shape\": [" + JoinNumbers(shape) + "]";
  if (byte_strides.size() > 0) out += ", \"strides\": [" + JoinNumbers(byte_strides) + "]";
  return out + ", \"typestr\": \"" + std::string(typestr) + "\", \"version\": 3}";
}

std::string DenseInterface(const DenseView& x) {
  return ArrayInterface(x.data, "<f4", {x.rows, x.cols},
                        {x.row_stride * sizeof(float), x.col_stride * sizeof(float)});
}

std::string MatrixConfig(unsigned threads) {
  return R"({"missing": NaN, "nthread": )" + std::to_string(threads) + "}";
}

// "cache_id" must be present although the header's example omits it: without it 1.7 fails
// with "Invalid cast, from Null to Integer".
std::string PredictConfig(PredictKind kind) {
  return std::string(R"({"type": )") + (kind == PredictKind::kMargin ? "1" : "0") +
         R"(, "training": false, "iteration_begin": 0, "iteration_end": 0,)"
         R"( "strict_shape": true, "missing": NaN, "cache_id": 0})";
}

// Copies a prediction out of XGBoost's thread-local buffer after checking its size.
Result<void> CopyPrediction(const bst_ulong* shape, bst_ulong dim, const float* values,
                            std::span<float> out) {
  size_t total = 1;
  for (bst_ulong i = 0; i < dim; ++i) total *= shape[i];
  if (values == nullptr || total != out.size()) {
    return Fail(ErrorCode::kInternal, "xgboost: prediction has " + std::to_string(total) +
                                          " values, expected " + std::to_string(out.size()));
  }
  std::copy(values, values + total, out.begin());
  return {};
}

// In-place prediction without a proxy DMatrix makes XGBoost 1.7 build one per call, and with
// it a Context that reads the cgroup CPU quota from /sys/fs/cgroup: two file opens per
// request, about two thirds of a single-row prediction's time. Each thread reuses one proxy
// instead (a proxy is mutated by every prediction, so it cannot be shared between threads).
Result<DMatrixHandle> ThreadProxy() {
  struct Owner {
    DMatrixHandle handle = nullptr;
    ~Owner() {
      if (handle != nullptr) XGDMatrixFree(handle);
    }
  };
  thread_local Owner proxy;
  if (proxy.handle == nullptr) {
    HONE_TRY(Check(XGProxyDMatrixCreate(&proxy.handle), "creating a prediction proxy"));
  }
  return proxy.handle;
}

}  // namespace

void DMatrix::Free::operator()(void* handle) const { XGDMatrixFree(handle); }
void Booster::Free::operator()(void* handle) const { XGBoosterFree(handle); }

Result<DMatrix> DMatrix::FromDense(const DenseView& x, unsigned threads) {
  QuietThisThread();
  DMatrixHandle handle = nullptr;
  HONE_TRY(Check(
      XGDMatrixCreateFromDense(DenseInterface(x).c_str(), MatrixConfig(threads).c_str(), &handle),
      "reading the training matrix", ErrorCode::kInvalidData));
  return DMatrix(handle);
}

Result<DMatrix> DMatrix::FromCsr(const CsrView& x, unsigned threads) {
  QuietThisThread();
  std::string indptr = ArrayInterface(x.row_offsets.data(), "<u8", {x.row_offsets.size()});
  std::string indices = ArrayInterface(x.columns.data(), "<u4", {x.columns.size()});
  std::string values = ArrayInterface(x.values.data(), "<f4", {x.values.size()});
  DMatrixHandle handle = nullptr;
  HONE_TRY(Check(XGDMatrixCreateFromCSR(indptr.c_str(), indices.c_str(), values.c_str(), x.cols,
                                        MatrixConfig(threads).c_str(), &handle),
                 "reading the training matrix", ErrorCode::kInvalidData));
  return DMatrix(handle);
}

Result<void> DMatrix::SetLabels(std::span<const float> labels) {
  QuietThisThread();
  return Check(XGDMatrixSetFloatInfo(handle(), "label", labels.data(), labels.size()),
               "setting the labels", ErrorCode::kInvalidData);
}

Result<void> DMatrix::SetFeatureTypes(const std::vector<std::string>& types) {
  QuietThisThread();
  std::vector<const char*> pointers;
  for (const std::string& t : types) pointers.push_back(t.c_str());
  return Check(
      XGDMatrixSetStrFeatureInfo(handle(), "feature_type", pointers.data(), pointers.size()),
      "setting the feature types");
}

Result<Booster> Booster::ForTraining(const DMatrix& train) {
  QuietThisThread();
  BoosterHandle handle = nullptr;
  DMatrixHandle cache[] = {train.handle()};
  HONE_TRY(Check(XGBoosterCreate(cache, 1, &handle), "creating a booster"));
  Booster booster(handle);
  // Before anything else, so that configuring prints nothing.
  HONE_TRY(booster.SetParam("verbosity", "0"));
  return booster;
}

Result<Booster> Booster::Load(std::string_view bytes) {
  // XGBoost trusts the models it reads (see model_check.h).
  HONE_TRY(CheckModelBytes(bytes).map_error(
      [](const Error& e) { return e.WithContext("xgboost: loading the model failed"); }));
  QuietThisThread();
  BoosterHandle handle = nullptr;
  HONE_TRY(Check(XGBoosterCreate(nullptr, 0, &handle), "creating a booster"));
  Booster booster(handle);
  HONE_TRY(booster.SetParam("verbosity", "0"));
  HONE_TRY(Check(XGBoosterLoadModelFromBuffer(handle, bytes.data(), bytes.size()),
                 "loading the model", ErrorCode::kInvalidData));
  return booster;
}

Result<void> Booster::SetParam(std::string_view name, std::string_view value) {
  QuietThisThread();
  std::string n(name), v(value);
  return Check(XGBoosterSetParam(handle_.get(), n.c_str(), v.c_str()),
               "setting parameter " + n + "=" + v, ErrorCode::kInvalidArgument);
}

Result<void> Booster::UpdateOneIter(int iteration, const DMatrix& train) {
  QuietThisThread();
  return Check(XGBoosterUpdateOneIter(handle_.get(), iteration, train.handle()), "training");
}

Result<void> Booster::Prime(size_t num_features) {
  QuietThisThread();
  std::vector<float> row(num_features, std::numeric_limits<float>::quiet_NaN());
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* values = nullptr;
  std::string input = DenseInterface(DenseView::RowMajor(row.data(), 1, num_features));
  return Check(XGBoosterPredictFromDense(handle_.get(), input.c_str(),
                                         PredictConfig(PredictKind::kValue).c_str(), nullptr,
                                         &shape, &dim, &values),
               "preparing the model for prediction");
}

Result<std::string> Booster::Save(std::string_view format) const {
  QuietThisThread();
  std::string config = R"({"format": ")" + std::string(format) + "\"}";
  bst_ulong length = 0;
  const char* bytes = nullptr;
  HONE_TRY(Check(XGBoosterSaveModelToBuffer(handle_.get(), config.c_str(), &length, &bytes),
                 "saving the model"));
  return std::string(bytes, length);
}

Result<std::string> Booster::SaveConfig() const {
  QuietThisThread();
  bst_ulong length = 0;
  const char* text = nullptr;
  HONE_TRY(
      Check(XGBoosterSaveJsonConfig(handle_.get(), &length, &text), "reading the configuration"));
  return std::string(text, length);
}

Result<size_t> Booster::NumFeatures() const {
  QuietThisThread();
  bst_ulong n = 0;
  HONE_TRY(Check(XGBoosterGetNumFeature(handle_.get(), &n), "reading the number of features"));
  return static_cast<size_t>(n);
}

Result<std::vector<double>> Booster::TotalGain(size_t num_features) const {
  QuietThisThread();
  bst_ulong count = 0, dim = 0;
  const char** names = nullptr;
  const bst_ulong* shape = nullptr;
  const float* scores = nullptr;
  HONE_TRY(Check(XGBoosterFeatureScore(handle_.get(), R"({"importance_type": "total_gain"})",
                                       &count, &names, &dim, &shape, &scores),
                 "computing feature importance"));
  // Features are named "f<index>" when the training data carried no names.
  std::vector<double> gain(num_features, 0.0);
  for (bst_ulong i = 0; i < count; ++i) {
    std::string_view name = names[i];
    size_t index = 0;
    auto [end, ec] = std::from_chars(name.data() + 1, name.data() + name.size(), index);
    if (!name.starts_with('f') || ec != std::errc() || end != name.data() + name.size() ||
        index >= num_features) {
      return Fail(ErrorCode::kInternal,
                  "xgboost: unexpected feature name '" + std::string(name) + "' in importance");
    }
    gain[index] += scores[i];
  }
  return gain;
}

Result<void> Booster::PredictDense(const DenseView& x, PredictKind kind,
                                   std::span<float> out) const {
  QuietThisThread();
  HONE_ASSIGN_OR_RETURN(DMatrixHandle proxy, ThreadProxy());
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* values = nullptr;
  HONE_TRY(
      Check(XGBoosterPredictFromDense(handle_.get(), DenseInterface(x).c_str(),
                                      PredictConfig(kind).c_str(), proxy, &shape, &dim, &values),
            "prediction"));
  return CopyPrediction(shape, dim, values, out);
}

Result<void> Booster::PredictDMatrix(const DMatrix& x, PredictKind kind,
                                     std::span<float> out) const {
  QuietThisThread();
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* values = nullptr;
  HONE_TRY(Check(XGBoosterPredictFromDMatrix(handle_.get(), x.handle(), PredictConfig(kind).c_str(),
                                             &shape, &dim, &values),
                 "prediction"));
  return CopyPrediction(shape, dim, values, out);
}

std::string LibraryVersion() {
  int major = 0, minor = 0, patch = 0;
  XGBoostVersion(&major, &minor, &patch);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

std::string ParamText(double value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(value);
}

}  // namespace hone::learn::xgb
