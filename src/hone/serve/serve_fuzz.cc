// libFuzzer entry point for what `hone serve` reads from the network: HTTP requests, parsed by
// Boost.Beast with a server's limits (16 KiB of header, 1 MiB of body), and their bodies decoded
// as Open Inference Protocol and MLflow (JSON and CSV) requests against a small fixed schema.
// Any bytes must give rows or an error, never a crash or a hang; decoded rows must have the
// schema's width, and the responses encoded from them (and every error body) must be JSON.
// Bytes that are not an HTTP request are decoded as a body themselves, so that the corpus's
// bare bodies reach the decoders without HTTP framing.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <nlohmann/json.hpp>

#include "hone/serve/infer_codec.h"

namespace {

namespace http = boost::beast::http;
using hone::serve::DecodedRows;
using hone::serve::DecodeLimits;
using hone::serve::Predictions;

using hone::core::ColumnType;
using hone::learn::FeatureInfo;
using hone::learn::FeatureSchema;
using hone::learn::TargetInfo;
using hone::learn::Task;

const FeatureSchema& Schema() {
  static const FeatureSchema schema({
      FeatureInfo{"x", ColumnType::kNumeric, {}},
      FeatureInfo{"y", ColumnType::kNumeric, {}},
      FeatureInfo{"color", ColumnType::kCategorical, {"blue", "green", "red"}},
      FeatureInfo{"zip", ColumnType::kCategorical, {"02134", "3", "7.5"}},
  });
  return schema;
}

const std::vector<TargetInfo>& Targets() {
  static const std::vector<TargetInfo> targets = {
      {"label", Task::kBinary, {"no", "yes"}},
      {"label", Task::kMulticlass, {"1", "2", "10"}},
      {"label", Task::kRegression, {}},
  };
  return targets;
}

[[noreturn]] void Die(const char* what, const std::string& detail) {
  std::fprintf(stderr, "serve_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

void CheckJson(const std::string& text, const char* what) {
  if (!nlohmann::json::accept(text)) Die(what, text);
}

// Encodes made-up predictions for the decoded rows with every target.
void Encode(const DecodedRows& rows, const std::string& id) {
  const size_t width = Schema().size();
  if (rows.values.size() != rows.rows * width) {
    Die("decoded values do not have rows × features entries", std::to_string(rows.rows));
  }
  for (const TargetInfo& target : Targets()) {
    const size_t k = hone::learn::IsClassification(target.task) ? target.num_classes() : 1;
    std::vector<float> outputs(rows.rows * k);
    // Decoded values (NaN included) stand in for predictions, so odd floats reach the encoder.
    for (size_t i = 0; i < outputs.size(); ++i) {
      outputs[i] = rows.values.empty() ? 0.5f : rows.values[i % rows.values.size()];
    }
    Predictions predictions{rows.rows, k, outputs};
    CheckJson(hone::serve::EncodeOipResponse("fuzz", 1, id, target, predictions),
              "the OIP response is not JSON");
    CheckJson(hone::serve::EncodeMlflowResponse(target, predictions),
              "the MLflow response is not JSON");
  }
}

void Decode(std::string_view body, std::string_view content_type) {
  DecodeLimits limits;
  limits.max_rows = 1000;
  const TargetInfo& target = Targets()[0];
  auto use = [](const hone::Result<DecodedRows>& r) {
    if (r) {
      Encode(*r, r->id);
    } else {
      CheckJson(hone::serve::ErrorBody(r.error().message()), "the error body is not JSON");
    }
  };
  use(hone::serve::DecodeOipRequest(body, Schema(), target, limits));
  use(hone::serve::DecodeMlflowRequest(body, "application/json", Schema(), target, limits));
  use(hone::serve::DecodeMlflowRequest(body, "text/csv", Schema(), target, limits));
  if (!content_type.empty()) {
    use(hone::serve::DecodeMlflowRequest(body, content_type, Schema(), target, limits));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(1024 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  size_t used = 0;
  while (!ec && !parser.is_done() && used < size) {
    size_t n = parser.put(boost::asio::const_buffer(data + used, size - used), ec);
    if (ec == http::error::need_more) break;
    if (n == 0 && !ec) break;
    used += n;
  }
  // The connection closing: what a server does at EOF after part of a request.
  if (!parser.is_done() && parser.got_some() && (!ec || ec == http::error::need_more)) {
    ec = {};
    parser.put_eof(ec);
  }
  if (parser.is_done() && !ec) {
    const auto& request = parser.get();
    auto type = request[http::field::content_type];
    Decode(request.body(), std::string_view(type.data(), type.size()));
  } else {
    Decode(input, "");
  }
  return 0;
}
