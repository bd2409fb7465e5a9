#include "hone/store/version_fields.h"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

namespace hone::store {
namespace {

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<nlohmann::json> ParseObject(std::string_view text, std::string_view where) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    return Fail(ErrorCode::kCorrupt, std::string(where) + " is not a JSON object: '" +
                                         std::string(text.substr(0, 80)) + "'");
  }
  return j;
}

}  // namespace

std::string EncodeParams(const std::map<std::string, std::string>& params) {
  return Dump(nlohmann::json(params));
}

std::string EncodeMetrics(const std::map<std::string, double>& metrics) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [key, value] : metrics) {
    if (std::isnan(value)) {
      j[key] = "nan";
    } else if (std::isinf(value)) {
      j[key] = value > 0 ? "inf" : "-inf";
    } else {
      j[key] = value;
    }
  }
  return Dump(j);
}

Result<std::map<std::string, std::string>> DecodeParams(std::string_view text,
                                                        std::string_view where) {
  HONE_ASSIGN_OR_RETURN(nlohmann::json j, ParseObject(text, where));
  std::map<std::string, std::string> params;
  for (const auto& [key, value] : j.items()) {
    if (!value.is_string()) {
      return Fail(ErrorCode::kCorrupt,
                  std::string(where) + ": parameter '" + key + "' is not a string");
    }
    params.emplace(key, value.get<std::string>());
  }
  return params;
}

Result<std::map<std::string, double>> DecodeMetrics(std::string_view text, std::string_view where) {
  HONE_ASSIGN_OR_RETURN(nlohmann::json j, ParseObject(text, where));
  std::map<std::string, double> metrics;
  for (const auto& [key, value] : j.items()) {
    if (value.is_number()) {
      metrics.emplace(key, value.get<double>());
    } else if (value == "nan") {
      metrics.emplace(key, std::numeric_limits<double>::quiet_NaN());
    } else if (value == "inf" || value == "-inf") {
      const double inf = std::numeric_limits<double>::infinity();
      metrics.emplace(key, value == "inf" ? inf : -inf);
    } else {
      return Fail(ErrorCode::kCorrupt,
                  std::string(where) + ": metric '" + key + "' is not a number");
    }
  }
  return metrics;
}

}  // namespace hone::store
