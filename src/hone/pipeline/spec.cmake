# hone.yaml → pipeline::Spec (yaml-cpp, caught inside spec.cc). spec_reader.h and
# spec_sections.h are internal to these files.
list(APPEND HONE_PIPELINE_SOURCES spec.cc spec_reader.cc spec_checks.cc spec_train.cc
     spec_gates.cc spec_json.cc spec_watch.cc spec_executor.cc spec_pii.cc)
list(APPEND HONE_PIPELINE_TESTS spec_test.cc spec_error_test.cc spec_watch_test.cc
     spec_executor_test.cc spec_pii_test.cc)
