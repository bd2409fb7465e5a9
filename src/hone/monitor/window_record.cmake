#What a server stores per version and window(window_record.cc) : traffic, latency, statuses;
#and re - binning one version 's counts onto another' s profile.
list(APPEND HONE_MONITOR_SOURCES window_record.cc)
    list(APPEND HONE_MONITOR_TESTS window_record_test.cc)
