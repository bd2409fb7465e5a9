# Metrics and splits.
list(APPEND HONE_LEARN_SOURCES metrics.cc split.cc)
list(APPEND HONE_LEARN_TESTS metrics_test.cc split_test.cc)
