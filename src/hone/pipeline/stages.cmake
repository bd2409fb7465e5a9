# The stages of `hone run` and their orchestration.
list(APPEND HONE_PIPELINE_SOURCES
  command_trainer.cc
  evaluate_stage.cc
  init.cc
  pipeline_judge.cc
  pipeline_run.cc
  plan.cc
  run.cc
  stage_keys.cc
)
list(APPEND HONE_PIPELINE_TESTS run_test.cc)
