# Data checks: data_checks.cc (the check kinds, RunDataChecks, the simple checks), with the
# checks against the production profile in schema_check.cc and drift.cc (PSI).
list(APPEND HONE_GATE_SOURCES data_checks.cc drift.cc schema_check.cc)
list(APPEND HONE_GATE_TESTS data_checks_test.cc)
