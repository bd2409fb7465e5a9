// hone's framing of an XGBoost-backed model: a self-describing header (what kind of model,
// which task and features it was trained for, hone's own encoding state) around XGBoost's model
// bytes, sealed with a SHA-256 so that truncated or damaged bytes are refused before XGBoost's
// parser ever sees them.
//
//   "HONEXGB1"  u32le header length  header (JSON text)  u64le payload length  payload
//   SHA-256 of everything before it (32 bytes)
#ifndef HONE_LEARN_XGB_MODEL_ENVELOPE_H_
#define HONE_LEARN_XGB_MODEL_ENVELOPE_H_

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "hone/core/error.h"
#include "hone/learn/features.h"
#include "hone/learn/target.h"

namespace hone::learn::xgb {

struct ModelEnvelope {
  /// A JSON object; always has "kind", "task", "num_classes", "feature_types", "xgboost".
  nlohmann::json header;
  /// XGBoost's model bytes.
  std::string payload;
};

/// The header every XGBoost-backed model starts with: `kind` ("gbdt", "linear"), the task and
/// number of classes of `target`, the type of each feature of `schema`, and the XGBoost version.
nlohmann::json BasicHeader(std::string_view kind, const FeatureSchema& schema,
                           const TargetInfo& target);

std::string WriteEnvelope(const nlohmann::json& header, std::string_view payload);

/// Reads an envelope of model kind `kind` and checks that it was trained for `schema` and
/// `target`. Errors name the model kind and the mismatch.
Result<ModelEnvelope> ReadEnvelope(std::string_view bytes, std::string_view kind,
                                   const FeatureSchema& schema, const TargetInfo& target);

}  // namespace hone::learn::xgb

#endif  // HONE_LEARN_XGB_MODEL_ENVELOPE_H_
