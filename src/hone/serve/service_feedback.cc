// POST /v2/models/{m}/feedback: ground truth for predictions the server logged, matched by the
// request's id. The body is
//   {"feedback": [{"id": "REQUEST-ID", "label": VALUE}, ...]}
// (or one {"id", "label"} object, or the bare list); VALUE is any JSON value but null, as the
// target was written (3.5, "yes"). Answers {"matched": n, "unknown_count": k, "unknown": [ids]}.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hone/serve/service.h"
#include "hone/serve/service_internal.h"

namespace hone::serve {
namespace {

/// Most records in one feedback request (larger sets: several requests, or `hone feedback`).
constexpr size_t kMaxFeedbackRecords = 100000;

Result<std::vector<store::Feedback>> DecodeFeedback(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Fail(ErrorCode::kInvalidArgument, "feedback: the body is not JSON");
  if (j.is_object() && j.contains("feedback")) j = j["feedback"];
  if (j.is_object()) j = nlohmann::json::array({j});
  if (!j.is_array()) {
    return Fail(ErrorCode::kInvalidArgument,
                "feedback: expected {\"feedback\": [{\"id\": ..., \"label\": ...}, ...]}");
  }
  if (j.size() > kMaxFeedbackRecords) {
    return Fail(ErrorCode::kInvalidArgument, "feedback: " + std::to_string(j.size()) +
                                                 " records in one request; at most " +
                                                 std::to_string(kMaxFeedbackRecords));
  }
  std::vector<store::Feedback> out;
  out.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    const nlohmann::json& r = j[i];
    const std::string where = "feedback[" + std::to_string(i) + "]";
    if (!r.is_object()) return Fail(ErrorCode::kInvalidArgument, where + " is not an object");
    auto id = r.find("id");
    if (id == r.end() || !id->is_string() || id->get_ref<const std::string&>().empty()) {
      return Fail(ErrorCode::kInvalidArgument, where + ".id must be the request's id (a string)");
    }
    auto label = r.find("label");
    if (label == r.end() || label->is_null() || label->is_object()) {
      return Fail(ErrorCode::kInvalidArgument,
                  where + ".label must be the true value (a number, text or bool)");
    }
    out.push_back({id->get<std::string>(), label->dump(), 0});
  }
  return out;
}

}  // namespace

void InferenceService::Feedback(const HttpRequest& request, HttpResponse& response,
                                std::string_view model) {
  if (write_guard_ && !write_guard_(request, response)) return;
  if (monitor_ == nullptr) {
    SetJson(response, 503, ErrorBody("feedback: this server keeps no prediction log"));
    return;
  }
  auto routes = manager_.Routes();
  if (!routes->models.contains(model)) {
    SetJson(response, 404, ErrorBody("feedback: unknown model '" + std::string(model) + "'"));
    return;
  }
  auto records = DecodeFeedback(request.body);
  if (!records) {
    SetJson(response, 400, ErrorBody(records.error().message()));
    return;
  }
  auto result = monitor_->Feedback(model, *records);
  if (!result) {
    const int status = result.error().code() == ErrorCode::kInvalidArgument ? 400 : 503;
    SetJson(response, status, ErrorBody("feedback: " + result.error().message()));
    return;
  }
  SetJson(response, 200,
          nlohmann::json{{"matched", result->matched},
                         {"unknown_count", result->unknown_count},
                         {"unknown", result->unknown}}
              .dump());
}

}  // namespace hone::serve
