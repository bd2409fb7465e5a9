#include "hone/learn/model.h"

#include <string>

namespace hone::learn {

Result<void> CheckPredictShape(std::string_view kind, size_t model_features, size_t outputs,
                               size_t features, size_t rows, size_t out_size) {
  if (features == model_features && out_size == rows * outputs) return {};
  return Fail(ErrorCode::kInvalidArgument,
              std::string(kind) + ": predicting needs " + std::to_string(model_features) +
                  " features and " + std::to_string(outputs) + " outputs per row; got " +
                  std::to_string(features) + " features and room for " + std::to_string(out_size) +
                  " values for " + std::to_string(rows) + " rows");
}

}  // namespace hone::learn
