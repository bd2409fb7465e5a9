# The XGBoost-backed trainers "gbdt" and "linear". Only xgb_api.cc includes <xgboost/c_api.h>.
list(APPEND HONE_LEARN_SOURCES
  xgb/flat_trees.cc
  xgb/gbdt_model.cc
  xgb/gbdt_trainer.cc
  xgb/import.cc
  xgb/linear_encoding.cc
  xgb/linear_model.cc
  xgb/linear_trainer.cc
  xgb/model_check.cc
  xgb/model_envelope.cc
  xgb/objective.cc
  xgb/ubjson.cc
  xgb/xgb_api.cc
  xgb/xgboost_json.cc
)
list(APPEND HONE_LEARN_TESTS
  xgb/flat_trees_test.cc
  xgb/gbdt_trainer_test.cc
  xgb/import_test.cc
  xgb/linear_encoding_test.cc
  xgb/linear_trainer_test.cc
  xgb/model_check_test.cc
  xgb/model_envelope_test.cc
  xgb/ubjson_test.cc
  xgb/xgb_api_test.cc
  xgb/xgboost_json_test.cc
)
