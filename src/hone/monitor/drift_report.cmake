# The drift report of `hone monitor`: a window against the reference profile (or against another
# window), on the statistics of drift_stats.cc.
list(APPEND HONE_MONITOR_SOURCES drift_report.cc)
list(APPEND HONE_MONITOR_TESTS drift_report_test.cc)
