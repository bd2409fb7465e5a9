#Live metrics from the prediction log 's labelled predictions (needs the store' s types).
list(APPEND HONE_MONITOR_SOURCES live_metrics.cc)
    list(APPEND HONE_MONITOR_TESTS live_metrics_test.cc)
