# Windows of live inputs and predictions counted on the reference profile's bins: the lock-free
# WindowAccumulator (window.cc) and WindowSummary's JSON form and merging (window_summary.cc).
list(APPEND HONE_MONITOR_SOURCES window.cc window_summary.cc)
list(APPEND HONE_MONITOR_TESTS window_test.cc)
