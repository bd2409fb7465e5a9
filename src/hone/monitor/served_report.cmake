# The report of a model's served versions (served_report.cc): what `hone monitor` prints and
# `hone server` answers at /api/hone/v1/monitor/report. It reads each version's reference
# profile from its bundle, so the monitor library needs hone_learn's bundle format.
list(APPEND HONE_MONITOR_SOURCES served_report.cc)
list(APPEND HONE_MONITOR_LIBS hone_learn)
